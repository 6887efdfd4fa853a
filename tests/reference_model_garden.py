"""TF Model Garden's schedules, transcribed in Python floats (float64).

The ``mg_*`` functions transcribe the ``__call__`` of each class of Model
Garden's ``official/modeling/optimization/lr_schedule.py``; the formula is in
each one's comment. They share no code with jaxsched. The ``*WithOffset``
variants of Keras classes use the Keras formulas of ``tests/reference.py`` at
``step - offset``, as Model Garden's offset wrapper does. Where Model Garden
returns NaN or inf and jaxsched documents another value, the transcription
computes Model Garden's value and replaces it by jaxsched's documented one,
with a comment saying so.

Used by ``tests/test_model_garden.py`` and ``tests/cases.py``.
"""

from __future__ import annotations

import math

import numpy as np

import reference as ref

def _tf_div(a, b):
    """a / b with float semantics: x / 0 is +-inf, 0 / 0 is NaN (as in TF)."""
    if b == 0:
        return math.nan if a == 0 else math.copysign(math.inf, a)
    return a / b


def _tf_cos(x):
    return math.cos(x) if math.isfinite(x) else math.nan


def _offset(base):
    """Model Garden's _make_offset_wrapper: new_class(step) = base(step - offset).

    ``hold_before_offset`` is jaxsched's option (Model Garden has none):
    base(max(step - offset, 0)).
    """

    def wrapped(step, offset=0, hold_before_offset=False, **kwargs):
        s = step - offset
        if hold_before_offset:
            s = max(s, 0.0)
        return base(s, **kwargs)

    return wrapped


def _keras(fn):
    def call(step, name=None, **kwargs):
        return float(fn(np.float64(step), **kwargs))

    return call


def _exponential(step, staircase=False, **kwargs):
    # Keras: lr * rate ** (step / decay_steps), floored exponent when staircase.
    # Model Garden's config passes staircase=None: falsy, i.e. False.
    return _keras(ref.exponential_decay)(step, staircase=bool(staircase), **kwargs)


def _polynomial(step, cycle=False, **kwargs):
    # Keras: (lr - end) * (1 - step / decay_steps) ** power + end, with
    # decay_steps * ceil(step / decay_steps) when cycling (1 at step 0).
    if cycle and step < 0:
        # Keras' multiplier ceil(step / decay_steps) is 0 or negative here
        # (inf or NaN); jaxsched documents the first cycle extrapolated.
        cycle = False
    return _keras(ref.polynomial_decay)(step, cycle=cycle, **kwargs)


def _cosine(step, warmup_target=None, warmup_steps=0, **kwargs):
    # Keras: linear warmup to warmup_target, then cosine decay.
    if warmup_target is not None and warmup_steps == 0 and step < 0:
        # Keras divides by warmup_steps=0 here (-inf); jaxsched documents no
        # warmup: the decay from warmup_target, extrapolated.
        kwargs = {**kwargs, "initial_learning_rate": warmup_target}
        return _keras(ref.cosine_decay)(step, **kwargs)
    return _keras(ref.cosine_decay)(
        step, warmup_target=warmup_target, warmup_steps=warmup_steps, **kwargs
    )


mg_exponential_decay_with_offset = _offset(_exponential)
mg_piecewise_constant_decay_with_offset = _offset(_keras(ref.piecewise_constant_decay))
mg_polynomial_decay_with_offset = _offset(_polynomial)
mg_cosine_decay_with_offset = _offset(_cosine)


def _rate(after, step):
    return after(step) if callable(after) else float(after)


def mg_linear_warmup(step, after_warmup_lr_sched, warmup_steps, warmup_learning_rate,
                     name=None):
    # target = after(warmup_steps)   (Model Garden evaluates it in __init__)
    # lr = warmup_lr + step / warmup_steps * (target - warmup_lr)  if step < warmup_steps
    #      after(step)                                             otherwise
    after = after_warmup_lr_sched
    target = _rate(after, warmup_steps)
    if step < warmup_steps:
        lr = warmup_learning_rate + _tf_div(step, warmup_steps) * (
            target - warmup_learning_rate
        )
        if not math.isfinite(lr):
            # warmup_steps=0 at a negative step: Model Garden divides by 0;
            # jaxsched documents `target` (PolynomialWarmUp's value there).
            lr = target
        return lr
    return _rate(after, step)


def mg_polynomial_warmup(step, after_warmup_lr_sched, warmup_steps, power=1.0,
                         name="PolynomialWarmup"):
    # target = after(warmup_steps)
    # done = 1 if warmup_steps <= 0 else max(step, 1) / warmup_steps
    # lr = target * done ** power   if step < warmup_steps   else after(step)
    after = after_warmup_lr_sched
    target = _rate(after, warmup_steps)
    done = 1.0 if warmup_steps <= 0 else max(step, 1.0) / warmup_steps
    if step < warmup_steps:
        return target * done**power
    return _rate(after, step)


def mg_direct_power_decay(step, initial_learning_rate, power=1.0,
                          name="DirectPowerDecay"):
    # lr = initial_learning_rate * max(step, 1) ** power
    return initial_learning_rate * max(step, 1.0) ** power


def mg_power_and_linear_decay(step, initial_learning_rate, total_decay_steps, power=1.0,
                              linear_decay_fraction=0.1, offset=0,
                              name="PowerAndLinearDecay"):
    # s = step - offset; lr = initial_learning_rate * max(s, 1) ** power
    # if total_decay_steps * linear_decay_fraction > 0:
    #     lr = max(0, lr * min(1, (total_decay_steps - s)
    #                               / (total_decay_steps * linear_decay_fraction)))
    s = step - offset
    lr = initial_learning_rate * max(s, 1.0) ** power
    span = total_decay_steps * linear_decay_fraction
    if span > 0:
        lr *= min(1.0, (total_decay_steps - s) / span)
        lr = max(0.0, lr)
    return lr


def mg_power_decay_with_offset(step, initial_learning_rate, power=1.0, offset=0,
                               pre_offset_learning_rate=1.0e6,
                               name="PowerDecayWithOffset"):
    # after = max(step - offset, 1) ** power * initial_learning_rate
    # sign = step > offset
    # lr = min((1 - sign) * pre_offset_learning_rate + sign * after, pre_offset_learning_rate)
    after = max(step - offset, 1.0) ** power * initial_learning_rate
    sign = 1.0 if step > offset else 0.0
    return min((1 - sign) * pre_offset_learning_rate + sign * after,
               pre_offset_learning_rate)


def mg_step_cosine_decay_with_offset(step, boundaries, values, offset=0,
                                     name="StepCosineDecayWithOffset"):
    # gs = step - offset; n = len(values)
    # total_steps = [b[i+1] - b[i] for i < n-1] + [0]
    # lr = cosine from values[0] to values[1] (0 if n == 1) over total_steps[0],
    #      at gs:  (v0 - v1) * (cos(pi * gs / total_steps[0]) + 1) / 2 + v1
    # for i in 1..n-1: if gs >= b[i]:
    #      lr = (v[i] - v[i+1]) * (cos(pi * (gs - b[i]) / total_steps[i]) + 1) / 2
    #           + v[i+1]                    (v[n] = 0)
    gs = step - offset
    b, v, n = list(boundaries), list(values), len(values)
    total = [b[i + 1] - b[i] for i in range(n - 1)] + [0]
    nxt = v[1] if n > 1 else 0.0
    lr = (v[0] - nxt) * (_tf_cos(math.pi * _tf_div(gs, total[0])) + 1.0) / 2.0 + nxt
    for i in range(1, n):
        nxt = v[i + 1] if n > i + 1 else 0.0
        if gs >= b[i]:
            lr = (v[i] - nxt) * (
                _tf_cos(math.pi * _tf_div(gs - b[i], total[i])) + 1.0
            ) / 2.0 + nxt
    if math.isnan(lr):
        # Model Garden divides by the zero-length last segment: NaN from
        # gs >= b[-1] on (everywhere when n == 1). jaxsched holds values[-1].
        lr = v[-1]
    return lr


MG = {
    "ExponentialDecayWithOffset": mg_exponential_decay_with_offset,
    "PiecewiseConstantDecayWithOffset": mg_piecewise_constant_decay_with_offset,
    "PolynomialDecayWithOffset": mg_polynomial_decay_with_offset,
    "CosineDecayWithOffset": mg_cosine_decay_with_offset,
    "LinearWarmup": mg_linear_warmup,
    "PolynomialWarmUp": mg_polynomial_warmup,
    "DirectPowerDecay": mg_direct_power_decay,
    "PowerAndLinearDecay": mg_power_and_linear_decay,
    "PowerDecayWithOffset": mg_power_decay_with_offset,
    "StepCosineDecayWithOffset": mg_step_cosine_decay_with_offset,
    # Inner schedules of the warmups: Keras' formulas.
    "PiecewiseConstantDecay": _keras(ref.piecewise_constant_decay),
    "ExponentialDecay": _exponential,
    "PolynomialDecay": _polynomial,
    "CosineDecay": _cosine,
}
