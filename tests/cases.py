"""The case table: one row per public schedule class, all the generic tests need.

Every generic test iterates over ``ROWS``: values against the independent
reference around every boundary (``test_precision.py``), pytree behaviour, step
types and ranges, precision, dtypes, jit/eager/vmap/grad, sweeps, sharding,
serialization, optax, property-based curves and hostile input. A new
schedule class joins all of them by adding one ``Row``:

* ``example``: a valid config, also the base the hostile tests break one
  argument of; ``marks``: its boundary steps (decay, warmup, restart,
  piecewise), checked at ±1;
* ``cases``: more configs, each with its marks (the other switches,
  nested schedules, offsets);
* ``sweep``: configs of one structure that differ in several
  hyperparameters (stacked, vmapped and sharded as one sweep);
* ``kwargs``: a hypothesis strategy of valid configs;
* ``numbers`` / ``positive`` / ``nonnegative``: which arguments are numbers,
  which must be > 0 and which >= 0 (the hostile table is built from these);
* ``bounds``, ``monotone``, ``end``, ``continuous_at``: the documented shape
  of the curve for steps >= 0 (None where the class promises nothing);
* ``reference``: an independent float64 evaluation (``tests/reference.py``);
* ``negative``: what negative steps give, ``"extrapolate"`` (the reference
  formula, as Keras) or ``"hold"`` (the step-0 value).

The TF Model Garden classes' references are the transcriptions of
``tests/reference_model_garden.py``; a nested schedule is an ``Inner``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import re
from fractions import Fraction
from typing import Any, Callable

import jax
import jax.extend
import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

import jaxsched
import reference as ref
from jaxsched import _core
from reference_model_garden import MG


@dataclasses.dataclass(frozen=True)
class Row:
    cls: type
    example: dict
    kwargs: st.SearchStrategy
    numbers: tuple[str, ...]
    positive: tuple[str, ...] = ()
    nonnegative: tuple[str, ...] = ()
    # kw -> (lo, hi) for every step >= 0.
    bounds: Callable[[dict], tuple[float, float]] | None = None
    # kw -> list of (first step, last step or None, sign): the value is
    # monotone (sign -1 non-increasing, +1 non-decreasing) on each segment.
    monotone: Callable[[dict], list[tuple[float, float | None, int]]] | None = None
    # kw -> the first step from which the value is held, or None.
    end: Callable[[dict], float | None] | None = None
    # kw -> list of (step, bound on |slope| just left of it, length of the
    # smooth piece left of it).
    continuous_at: Callable[[dict], list[tuple[float, float]]] | None = None
    # (steps, kw) -> float64 values.
    reference: Callable[..., np.ndarray] | None = None
    negative: str = "extrapolate"
    # Noise: values at different steps are not a deterministic curve.
    noisy: bool = False
    # (kw, steps) -> an absolute error float32 cannot avoid at those steps
    # (ill-conditioned formulas).
    float32_atol: Callable[[dict, Any], Any] = lambda kw, steps: 0.0
    # Arguments annotated bool that also take None (read as False).
    accepts_none: tuple[str, ...] = ()
    # Hypothesis examples per property test (None: the test's default), to
    # keep the suite's time.
    max_examples: int | None = None
    # The boundary steps of `example`.
    marks: tuple = ()
    # More (config, marks) pairs.
    cases: tuple = ()
    # Members of a sweep (full configs of one structure).
    sweep: tuple = ()

    @property
    def id(self) -> str:
        return self.cls.__name__

    @property
    def all_cases(self) -> list[tuple[dict, tuple]]:
        """(config, marks) for the example and every case."""
        return [(self.example, self.marks), *self.cases]

    def build(self, kw: dict[str, Any]) -> jaxsched.LearningRateSchedule:
        return self.cls(**{k: _built(v) for k, v in kw.items()})


def _built(v):
    if isinstance(v, Inner):
        return v.build()
    if isinstance(v, list) and v and all(isinstance(x, Inner) for x in v):
        return [x.build() for x in v]
    return v


@dataclasses.dataclass(frozen=True)
class Inner:
    """A schedule inside a config (the warmups' ``after_warmup_lr_sched``):
    ``Row.build`` makes it a jaxsched schedule, the references evaluate it
    with ``reference_model_garden.MG[name]``."""

    name: str
    kw: dict

    def build(self) -> jaxsched.LearningRateSchedule:
        return getattr(jaxsched, self.name)(**self.kw)

    def reference(self, step: float) -> float:
        return MG[self.name](float(step), **self.kw)


# The arguments that are rates (one of them sets the result dtype, the others
# are cast to it): Keras' and Model Garden's, then the arithmetic, optax and
# modern classes'.
RATES = ("values", "initial_learning_rate", "warmup_target", "value", "init_value",
         "peak_value", "end_value", "learning_rate", "base_lr", "max_lr")


def rates_in(kw, dtype):
    """(kw with its rates as `dtype` arrays, kw with the rounded rates as
    Python floats). The rates (``RATES``) set the result dtype, or those of
    nested schedules (a warmup's inner schedule or its constant rate, a
    composition's schedules)."""
    kw, rounded = dict(kw), dict(kw)
    for arg in RATES:
        if arg in kw:
            kw[arg] = jnp.asarray(kw[arg], dtype)
            rounded[arg] = np.asarray(kw[arg], np.float64).tolist()
    for arg in ("schedule", "schedules"):  # composition: the inner rates
        inner = kw.get(arg)
        if inner is not None:
            pairs = [rates_in(x.kw, dtype) for x in np.atleast_1d(np.asarray(inner,
                                                                             object))]
            kw[arg] = [Inner(x.name, p[0]) for x, p in zip(np.atleast_1d(inner), pairs)]
            rounded[arg] = [Inner(x.name, p[1]) for x, p in
                            zip(np.atleast_1d(inner), pairs)]
            if isinstance(inner, Inner):
                kw[arg], rounded[arg] = kw[arg][0], rounded[arg][0]
    after = kw.get("after_warmup_lr_sched")
    if isinstance(after, Inner):
        inner, inner_rounded = rates_in(after.kw, dtype)
        kw["after_warmup_lr_sched"] = Inner(after.name, inner)
        rounded["after_warmup_lr_sched"] = Inner(after.name, inner_rounded)
    elif after is not None:
        kw["after_warmup_lr_sched"] = jnp.asarray(after, dtype)
        rounded["after_warmup_lr_sched"] = float(kw["after_warmup_lr_sched"])
    return kw, rounded


# Strategies of hyperparameters: wide, but within what a config can mean.


def from_zero(top):
    """0, or a float in [1e-6, top]: hyperparameters jaxsched accepts (it
    rejects nonzero values float32 flushes to zero, like 1e-229)."""
    return st.one_of(st.just(0.0), st.floats(1e-6, top))


rates = st.floats(1e-6, 10.0)
fractions = from_zero(1.0)
steps_lengths = st.one_of(st.integers(1, 10**6), st.floats(0.5, 1e6))


def _decay_kwargs(decay_rate):
    """Exponential and inverse-time decay: the same arguments."""
    return st.fixed_dictionaries(
        dict(
            initial_learning_rate=rates,
            decay_steps=steps_lengths,
            decay_rate=decay_rate,
            staircase=st.booleans(),
        )
    )


def _exp_monotone(kw):
    return [(0, None, -1 if kw["decay_rate"] <= 1 else 1)]


def _exp_bounds(kw):
    lr = kw["initial_learning_rate"]
    top = float(np.finfo(jax.dtypes.canonicalize_dtype(float)).max)  # saturation
    return (0.0, lr) if kw["decay_rate"] <= 1 else (lr, top)


@st.composite
def _piecewise_kwargs(draw):
    n = draw(st.integers(1, 6))
    ints = draw(st.booleans())
    if ints:
        bounds = sorted(draw(st.sets(st.integers(-100, 10**6), min_size=n, max_size=n)))
    else:
        bounds = sorted(
            draw(st.sets(st.floats(-100.0, 1e6).map(lambda x: round(x, 2)), min_size=n,
                         max_size=n))
        )
    values = draw(st.lists(rates, min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    return dict(boundaries=bounds, values=values)


def _piecewise_end(kw):
    # After the last boundary, also as float32 holds it (float steps compare
    # in their own dtype: 524288.97 is 524289.0, and step 524289.0 <= it).
    last = kw["boundaries"][-1]
    return max(math.floor(last), math.floor(np.float32(last))) + 1


def _poly_kwargs():
    return st.fixed_dictionaries(
        dict(
            initial_learning_rate=rates,
            decay_steps=steps_lengths,
            end_learning_rate=from_zero(10.0),
            power=from_zero(5.0),
            cycle=st.booleans(),
        )
    )


def _poly_bounds(kw):
    lr, end = kw["initial_learning_rate"], kw.get("end_learning_rate", 0.0001)
    return min(lr, end), max(lr, end)


def _poly_monotone(kw):
    if kw.get("cycle", False):
        return None
    lr, end = kw["initial_learning_rate"], kw.get("end_learning_rate", 0.0001)
    return [(0, None, -1 if lr >= end else 1)]


def _poly_continuous(kw):
    if kw.get("cycle", False) or kw.get("power", 1.0) < 1:
        return []
    lr, end = kw["initial_learning_rate"], kw.get("end_learning_rate", 0.0001)
    k = kw["decay_steps"]
    return [(k, kw.get("power", 1.0) * abs(lr - end) / k, k)]


@st.composite
def _cosine_kwargs(draw):
    kw = dict(
        initial_learning_rate=draw(rates),
        decay_steps=draw(steps_lengths),
        alpha=draw(fractions),
    )
    if draw(st.booleans()):
        kw["warmup_target"] = draw(rates)
        kw["warmup_steps"] = draw(st.one_of(st.integers(0, 10**5), from_zero(1e5)))
    return kw


def _cosine_peak(kw):
    return kw.get("warmup_target", kw["initial_learning_rate"])


def _cosine_bounds(kw):
    peak = _cosine_peak(kw)
    values = [kw["initial_learning_rate"], peak, kw.get("alpha", 0.0) * peak]
    return min(values), max(values)


def _cosine_monotone(kw):
    w = kw.get("warmup_steps", 0) if "warmup_target" in kw else 0
    segments = [(w, None, -1)]
    if w > 0:
        sign = 1 if kw["warmup_target"] >= kw["initial_learning_rate"] else -1
        segments.insert(0, (0, w, sign))  # the closed interval [0, w]
    return segments


def _cosine_end(kw):
    w = kw.get("warmup_steps", 0) if "warmup_target" in kw else 0
    return kw["decay_steps"] + w


def _cosine_continuous(kw):
    # The end of warmup (the warmup line reaches warmup_target there) and the
    # end of the decay (the cosine is flat there).
    w = kw.get("warmup_steps", 0) if "warmup_target" in kw else 0
    k, peak = kw["decay_steps"], _cosine_peak(kw)
    points = [(k + w, math.pi / 2 * peak / k, k)]
    if w > 0:
        slope = abs(kw["warmup_target"] - kw["initial_learning_rate"]) / w
        points.append((w, slope, w))
    return points


def _cosine_reference(steps, kw):
    return ref.cosine_decay(steps, **kw)


@st.composite
def _restarts_kwargs(draw):
    return dict(
        initial_learning_rate=draw(rates),
        first_decay_steps=draw(st.one_of(st.integers(1, 10**5), st.floats(0.5, 1e5))),
        t_mul=draw(st.one_of(st.sampled_from([0.5, 0.75, 0.999, 1.0, 1.001, 1.5, 2.0, 3.0]),
                             st.floats(0.05, 4.0))),
        m_mul=draw(fractions),
        alpha=draw(fractions),
    )


def _restarts_bounds(kw):
    lr, alpha = kw["initial_learning_rate"], kw.get("alpha", 0.0)
    return alpha * lr, lr


def restarts_reference(steps, kw):
    """ref.cosine_decay_restarts, with t_mul == 1 done in closed form: the
    reference walks the periods one by one, 10**9 of them at step 10**12."""
    kw = {"t_mul": 2.0, "m_mul": 1.0, "alpha": 0.0, **kw}
    if kw["t_mul"] != 1.0:
        return ref.cosine_decay_restarts(steps, **kw)
    steps = np.asarray(steps)
    k = Fraction(kw["first_decay_steps"])
    out = []
    for s in steps.reshape(-1).tolist():
        if s < 0:  # jaxsched's documented choice: the step-0 value
            i, position = 0, Fraction(0)
        else:
            i = math.floor(Fraction(s) / k)
            position = (Fraction(s) - i * k) / k
        cosine = 0.5 * kw["m_mul"] ** i * (1 + math.cos(math.pi * float(position)))
        alpha = kw["alpha"]
        out.append(kw["initial_learning_rate"] * ((1 - alpha) * cosine + alpha))
    return np.asarray(out, np.float64).reshape(steps.shape)


def _restarts_end(kw):
    t = kw.get("t_mul", 2.0)
    return kw["first_decay_steps"] / (1 - t) if t < 1 else None


@st.composite
def _linear_cosine_kwargs(draw):
    return dict(
        initial_learning_rate=draw(rates),
        decay_steps=draw(steps_lengths),
        num_periods=draw(from_zero(10.0)),
        alpha=draw(fractions),
        beta=draw(from_zero(0.1)),
    )


def _linear_cosine_bounds(kw):
    lr = kw["initial_learning_rate"]
    alpha, beta = kw.get("alpha", 0.0), kw.get("beta", 0.001)
    return lr * beta, lr * (1 + alpha + beta)


def _linear_cosine_monotone(kw):
    # Both factors decrease on [0, decay_steps] when the cosine makes at most
    # half a period.
    return [(0, None, -1)] if kw.get("num_periods", 0.5) <= 0.5 else None


def _phase_atol(kw, steps):
    """LinearCosineDecay's cos(2 pi num_periods step / decay_steps): in
    float32 the phase u = num_periods * step / decay_steps carries an absolute
    rounding error of a few |u| * 2**-24, whatever the formula; the value
    scales it by (alpha + linear) near the steep parts of the cosine
    (measured: 4e-6 of the peak at num_periods=10, within this bound)."""
    k, n = kw["decay_steps"], kw.get("num_periods", 0.5)
    s = np.minimum(np.asarray(steps, np.float64), k)
    linear = np.abs(kw.get("alpha", 0.0)) + np.abs(k - s) / k
    # The noise of NoisyLinearCosineDecay is a term of the same factor
    # (6 standard deviations; the variance only decays for variance_decay >= 0).
    linear = linear + 6 * math.sqrt(kw.get("initial_variance", 0.0))
    u = np.maximum(np.abs(n * s / k), 1.0)
    return abs(kw["initial_learning_rate"]) * linear * math.pi * u * 2.0**-22


@st.composite
def _noisy_kwargs(draw):
    kw = draw(_linear_cosine_kwargs())
    kw.update(
        initial_variance=draw(from_zero(2.0)),
        variance_decay=draw(from_zero(2.0)),
        seed=draw(st.integers(0, 2**31 - 1)),
    )
    return kw


ROWS = [
    Row(
        jaxsched.ExponentialDecay,
        example=dict(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.5),
        kwargs=_decay_kwargs(st.floats(0.01, 2.0)),
        numbers=("initial_learning_rate", "decay_steps", "decay_rate"),
        positive=("decay_steps", "decay_rate"),
        bounds=_exp_bounds,
        monotone=_exp_monotone,
        reference=lambda s, kw: ref.exponential_decay(s, **kw),
        marks=(100, 200),
        cases=(
            ({'initial_learning_rate': 0.0003,
              'decay_steps': 7,
              'decay_rate': 0.96,
              'staircase': True},
             ()),
            ({'initial_learning_rate': 1.0,
              'decay_steps': 100000.0,
              'decay_rate': 0.1},
             ()),
            ({'initial_learning_rate': 0.1, 'decay_steps': 3.7, 'decay_rate': 0.999},
             ()),
            ({'initial_learning_rate': 0.1, 'decay_steps': 10, 'decay_rate': 0.5},
             (10, 20, 30, 40)),
            ({'initial_learning_rate': 0.1,
              'decay_steps': 10,
              'decay_rate': 0.5,
              'staircase': True},
             (10, 20, 30)),
        ),
        sweep=(
            {'initial_learning_rate': 0.1,
             'decay_steps': 10,
             'decay_rate': 0.5,
             'staircase': True},
            {'initial_learning_rate': 0.2,
             'decay_steps': 10,
             'decay_rate': 0.9,
             'staircase': True},
            {'initial_learning_rate': 0.05,
             'decay_steps': 10,
             'decay_rate': 0.3,
             'staircase': True},
        ),
    ),
    Row(
        jaxsched.InverseTimeDecay,
        example=dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
        kwargs=_decay_kwargs(from_zero(10.0)),
        numbers=("initial_learning_rate", "decay_steps", "decay_rate"),
        positive=("decay_steps",),
        nonnegative=("decay_rate",),
        bounds=lambda kw: (0.0, kw["initial_learning_rate"]),
        monotone=lambda kw: [(0, None, -1)],
        reference=lambda s, kw: ref.inverse_time_decay(s, **kw),
        negative="hold",
        marks=(10, 20),
        cases=(
            ({'initial_learning_rate': 0.001,
              'decay_steps': 7.5,
              'decay_rate': 2.0,
              'staircase': True},
             ()),
            ({'initial_learning_rate': 0.1,
              'decay_steps': 1000000,
              'decay_rate': 100.0},
             ()),
            ({'initial_learning_rate': 0.1,
              'decay_steps': 10,
              'decay_rate': 0.5,
              'staircase': True},
             (10, 20, 30)),
        ),
        sweep=(
            {'initial_learning_rate': 0.1, 'decay_steps': 10, 'decay_rate': 0.5},
            {'initial_learning_rate': 0.3, 'decay_steps': 7, 'decay_rate': 2.0},
            {'initial_learning_rate': 0.01, 'decay_steps': 100, 'decay_rate': 0.0},
        ),
    ),
    Row(
        jaxsched.PiecewiseConstantDecay,
        example=dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1]),
        kwargs=_piecewise_kwargs(),
        numbers=(),
        bounds=lambda kw: (min(kw["values"]), max(kw["values"])),
        end=_piecewise_end,
        reference=lambda s, kw: ref.piecewise_constant_decay(s, **kw),
        marks=(10, 20),
        cases=(
            ({'boundaries': [0.5, 1000.5, 1000000], 'values': [0.3, 0.2, 0.1, 0.001]},
             ()),
            ({'boundaries': [5.5, 20.25], 'values': [1.0, 0.5, 0.1]},
             (5, 6, 20, 21)),
            ({'boundaries': [-5, 0, 100], 'values': [4.0, 3.0, 2.0, 1.0]},
             (-5, 0, 100)),
        ),
        sweep=(
            {'boundaries': [10, 25], 'values': [1.0, 0.5, 0.1]},
            {'boundaries': [10, 25], 'values': [0.3, 0.2, 0.01]},
            {'boundaries': [10, 25], 'values': [0.1, 0.1, 0.1]},
        ),
    ),
    Row(
        jaxsched.PolynomialDecay,
        example=dict(initial_learning_rate=0.1, decay_steps=100),
        kwargs=_poly_kwargs(),
        numbers=("initial_learning_rate", "decay_steps", "end_learning_rate", "power"),
        positive=("decay_steps",),
        nonnegative=("power",),
        bounds=_poly_bounds,
        monotone=_poly_monotone,
        end=lambda kw: None if kw.get("cycle", False) else kw["decay_steps"],
        continuous_at=_poly_continuous,
        reference=lambda s, kw: ref.polynomial_decay(s, **kw),
        marks=(100,),
        cases=(
            ({'initial_learning_rate': 0.1,
              'decay_steps': 1000,
              'end_learning_rate': 0.001,
              'power': 2.0},
             ()),
            ({'initial_learning_rate': 0.1,
              'decay_steps': 1000,
              'end_learning_rate': 0.001,
              'power': 0.5},
             ()),
            ({'initial_learning_rate': 0.001,
              'decay_steps': 300,
              'end_learning_rate': 1e-05,
              'cycle': True},
             ()),
            ({'initial_learning_rate': 0.1,
              'decay_steps': 1000000,
              'end_learning_rate': 0.0,
              'power': 3.0},
             ()),
            ({'initial_learning_rate': 1e-06,
              'decay_steps': 1000,
              'end_learning_rate': 0.001},
             ()),
            ({'initial_learning_rate': 1e-07,
              'decay_steps': 1000,
              'end_learning_rate': 1.0,
              'power': 0.5},
             ()),
            ({'initial_learning_rate': 1e-06,
              'decay_steps': 1000,
              'end_learning_rate': 2.0,
              'power': 0.01},
             ()),
            ({'initial_learning_rate': 0.0,
              'decay_steps': 700,
              'end_learning_rate': 0.1,
              'power': 2.0,
              'cycle': True},
             ()),
            ({'initial_learning_rate': 0.1,
              'decay_steps': 30,
              'end_learning_rate': 0.01,
              'power': 0.5},
             (30,)),
            ({'initial_learning_rate': 0.1,
              'decay_steps': 12,
              'end_learning_rate': 0.01,
              'power': 2.0,
              'cycle': True},
             (12, 24, 36)),
        ),
        sweep=(
            {'initial_learning_rate': 0.1,
             'decay_steps': 20,
             'end_learning_rate': 0.01,
             'power': 1.0,
             'cycle': True},
            {'initial_learning_rate': 0.2,
             'decay_steps': 20,
             'end_learning_rate': 0.0,
             'power': 0.5,
             'cycle': True},
            {'initial_learning_rate': 0.3,
             'decay_steps': 20,
             'end_learning_rate': 0.05,
             'power': 2.0,
             'cycle': True},
        ),
    ),
    Row(
        jaxsched.CosineDecay,
        example=dict(initial_learning_rate=0.0, decay_steps=100, warmup_target=0.1,
                     warmup_steps=10),
        kwargs=_cosine_kwargs(),
        numbers=("initial_learning_rate", "decay_steps", "alpha", "warmup_target",
                 "warmup_steps"),
        # decay_steps=0 is a warmup only (tf.keras) after the example's warmup.
        nonnegative=("decay_steps", "warmup_steps"),
        bounds=_cosine_bounds,
        monotone=_cosine_monotone,
        end=_cosine_end,
        continuous_at=_cosine_continuous,
        reference=_cosine_reference,
        marks=(10, 110),
        cases=(
            ({'initial_learning_rate': 0.1, 'decay_steps': 1000, 'alpha': 0.1},
             ()),
            ({'initial_learning_rate': 0.0,
              'decay_steps': 1000000,
              'alpha': 0.01,
              'warmup_target': 0.0003,
              'warmup_steps': 5000},
             ()),
            ({'initial_learning_rate': 0.01,
              'decay_steps': 1000,
              'alpha': 0.1,
              'warmup_target': 0.1,
              'warmup_steps': 300},
             ()),
            ({'initial_learning_rate': 0.1, 'decay_steps': 30, 'alpha': 0.1},
             (30,)),
            ({'initial_learning_rate': 0.0,
              'decay_steps': 30,
              'alpha': 0.1,
              'warmup_target': 0.1,
              'warmup_steps': 10},
             (10, 40)),
            ({'initial_learning_rate': 0.05,
              'decay_steps': 25,
              'warmup_target': 0.1,
              'warmup_steps': 0},
             (25,)),
        ),
        sweep=(
            {'initial_learning_rate': 0.0,
             'decay_steps': 30,
             'alpha': 0.1,
             'warmup_target': 0.1,
             'warmup_steps': 0},
            {'initial_learning_rate': 0.0,
             'decay_steps': 30,
             'alpha': 0.0,
             'warmup_target': 0.2,
             'warmup_steps': 5},
            {'initial_learning_rate': 0.01,
             'decay_steps': 30,
             'alpha': 0.5,
             'warmup_target': 0.05,
             'warmup_steps': 10},
        ),
    ),
    Row(
        jaxsched.CosineDecayRestarts,
        example=dict(initial_learning_rate=0.1, first_decay_steps=10),
        kwargs=_restarts_kwargs(),
        numbers=("initial_learning_rate", "first_decay_steps", "t_mul", "m_mul",
                 "alpha"),
        positive=("first_decay_steps", "t_mul"),
        nonnegative=("m_mul",),
        bounds=_restarts_bounds,
        end=_restarts_end,
        reference=restarts_reference,
        negative="hold",
        marks=(10, 30, 70),
        cases=(
            ({'initial_learning_rate': 0.1,
              'first_decay_steps': 10,
              't_mul': 1.5,
              'm_mul': 0.9,
              'alpha': 0.01},
             ()),
            ({'initial_learning_rate': 0.1,
              'first_decay_steps': 7,
              't_mul': 1.0,
              'm_mul': 0.9},
             ()),
            ({'initial_learning_rate': 0.1,
              'first_decay_steps': 1024,
              't_mul': 0.5,
              'm_mul': 0.9,
              'alpha': 0.1},
             ()),
            ({'initial_learning_rate': 0.1,
              'first_decay_steps': 100,
              't_mul': 3.0,
              'm_mul': 0.5},
             ()),
            ({'initial_learning_rate': 0.1,
              'first_decay_steps': 1000,
              't_mul': 0.75,
              'alpha': 0.05},
             ()),
            ({'initial_learning_rate': 0.1,
              'first_decay_steps': 10,
              't_mul': 1.5,
              'm_mul': 0.8,
              'alpha': 0.05},
             (10, 25, 47.5)),
            ({'initial_learning_rate': 0.1,
              'first_decay_steps': 7,
              't_mul': 1.0,
              'm_mul': 0.5},
             (7, 14, 21)),
            ({'initial_learning_rate': 0.1,
              'first_decay_steps': 8,
              't_mul': 0.5,
              'alpha': 0.1},
             (8, 12, 14, 16)),
        ),
        sweep=(
            {'initial_learning_rate': 0.1,
             'first_decay_steps': 10,
             't_mul': 2.0,
             'm_mul': 1.0,
             'alpha': 0.0},
            {'initial_learning_rate': 0.1,
             'first_decay_steps': 10,
             't_mul': 1.0,
             'm_mul': 0.5,
             'alpha': 0.1},
            {'initial_learning_rate': 0.2,
             'first_decay_steps': 10,
             't_mul': 0.5,
             'm_mul': 0.9,
             'alpha': 0.0},
            {'initial_learning_rate': 0.2,
             'first_decay_steps': 10,
             't_mul': 1.5,
             'm_mul': 0.0,
             'alpha': 0.2},
        ),
    ),
    Row(
        jaxsched.LinearCosineDecay,
        example=dict(initial_learning_rate=0.1, decay_steps=100),
        kwargs=_linear_cosine_kwargs(),
        numbers=("initial_learning_rate", "decay_steps", "num_periods", "alpha",
                 "beta"),
        positive=("decay_steps",),
        bounds=_linear_cosine_bounds,
        monotone=_linear_cosine_monotone,
        end=lambda kw: kw["decay_steps"],
        reference=lambda s, kw: ref.linear_cosine_decay(s, **kw),
        float32_atol=_phase_atol,
        marks=(100,),
        cases=(
            ({'initial_learning_rate': 0.1,
              'decay_steps': 1000,
              'num_periods': 2.5,
              'alpha': 0.1},
             ()),
            ({'initial_learning_rate': 0.1,
              'decay_steps': 1000000,
              'alpha': 0.0,
              'beta': 0.0},
             ()),
            ({'initial_learning_rate': 0.1,
              'decay_steps': 30,
              'num_periods': 2.0,
              'alpha': 0.1,
              'beta': 0.01},
             (30,)),
        ),
        sweep=(
            {'initial_learning_rate': 0.1,
             'decay_steps': 40,
             'num_periods': 0.5,
             'alpha': 0.0,
             'beta': 0.001},
            {'initial_learning_rate': 0.2,
             'decay_steps': 40,
             'num_periods': 2.0,
             'alpha': 0.1,
             'beta': 0.01},
            {'initial_learning_rate': 0.05,
             'decay_steps': 40,
             'num_periods': 1.0,
             'alpha': 0.0,
             'beta': 0.0},
        ),
    ),
    Row(
        jaxsched.NoisyLinearCosineDecay,
        example=dict(initial_learning_rate=0.1, decay_steps=100),
        kwargs=_noisy_kwargs(),
        numbers=("initial_learning_rate", "decay_steps", "initial_variance",
                 "variance_decay", "num_periods", "alpha", "beta"),
        positive=("decay_steps",),
        nonnegative=("initial_variance",),
        noisy=True,
        float32_atol=_phase_atol,
        marks=(100,),
        sweep=(
            {'initial_learning_rate': 0.1, 'decay_steps': 100, 'seed': 1},
            {'initial_learning_rate': 0.2,
             'decay_steps': 100,
             'initial_variance': 0.5,
             'seed': 2},
            {'initial_learning_rate': 0.05,
             'decay_steps': 100,
             'initial_variance': 0.0,
             'num_periods': 1.0,
             'seed': 3},
        ),
    ),
]


# --------------------------------------------------------------------------
# TF Model Garden. Offsets as in its configs (integers), and fractional ones.

offsets = st.one_of(st.integers(-1000, 10**5),
                    st.floats(-1000.0, 1e5).map(lambda x: round(x, 2)))
F64_MAX = float(np.finfo(np.float64).max)


def _top():
    """The largest finite value of the default float (where powers saturate)."""
    return float(np.finfo(jax.dtypes.canonicalize_dtype(float)).max)


def _mg_reference(name):
    """(steps, kw) -> Model Garden's float64 values (nested ``Inner``s too)."""
    fn = MG[name]

    def reference(steps, kw):
        kw = {k: v.reference if isinstance(v, Inner) else v for k, v in kw.items()}
        steps = np.asarray(steps, np.float64)
        out = [fn(float(t), **kw) for t in steps.reshape(-1)]
        return np.asarray(out, np.float64).reshape(steps.shape)

    return reference


def _step_after(x, *terms):
    """A step from which ``x + sum(terms)`` is passed also as float32 computes
    it: the sum for integers, one step more for fractions (rounding)."""
    total = x + sum(terms)
    if all(isinstance(t, int) for t in (x, *terms)):
        return total
    return math.floor(total) + 2


def _with_offset(strategy):
    @st.composite
    def kwargs(draw):
        kw = draw(strategy)
        kw["offset"] = draw(offsets)
        if draw(st.booleans()):
            kw["hold_before_offset"] = True
        return kw

    return kwargs()


def _o(kw):
    return kw.get("offset", 0)


def _o_up(kw):
    """The offset, or its float32 rounding when that is larger (>= 0): a
    fractional offset is a float32 hyperparameter without x64, and the
    extrapolation before it reaches that far back."""
    o = _o(kw)
    return max(o, float(np.float32(o)), 0)


def _resolved(points):
    """The continuity points float64 resolves: a piece shorter than 1e-3 of
    its end step (1e-6 steps after an offset of 32) ends at a step rounded by
    more than the test's 1e-12 of the value (the slope is 1 / length)."""
    return [(p, slope, span) for p, slope, span in points
            if span >= 1e-3 * max(1.0, abs(p))]


def _shifted(points, kw):
    """Continuity points of the base, shifted by the offset."""
    return _resolved([(p + _o(kw), *rest) for p, *rest in points])


def _shifted_segments(segments, kw):
    """Monotone segments of the base, shifted by the offset."""
    if segments is None:
        return None
    o = _o(kw)
    return [(a + o, None if b is None else b + o, sign) for a, b, sign in segments]


def _exp_offset_bounds(kw):
    lr, rate, k = kw["initial_learning_rate"], kw["decay_rate"], kw["decay_steps"]
    if rate > 1:
        return 0.0, _top()
    # Before the offset the formula is extrapolated: above lr (one decay step
    # more with staircase, whose exponent is floored).
    back = 0.0
    if not kw.get("hold_before_offset", False):
        back = _o_up(kw) / k + (1 if kw.get("staircase") else 0)
    # float32 evaluates rate ** (-back) with an error of a few units of
    # 2**-24 in the exponent's value, that is relative to the result's log.
    log_growth = -back * math.log(rate)
    slack = 1 + 4 * 2.0**-24 * (1 + log_growth)
    if lr <= 0:
        return 0.0, 0.0
    log_hi = math.log(lr) + log_growth + math.log(slack)
    return 0.0, _top() if log_hi >= math.log(_top()) else math.exp(log_hi)


def _piecewise_offset_end(kw):
    # After the last shifted boundary, as float64 and as float32 compute it.
    last, o = kw["boundaries"][-1], _o(kw)
    as_f32 = float(np.float32(np.float32(last) + np.float32(o)))
    return max(math.floor(last + o), math.floor(as_f32)) + 1


def _poly_offset_bounds(kw):
    lo, hi = _poly_bounds(kw)
    if kw.get("hold_before_offset", False) or _o(kw) <= 0:
        return lo, hi
    # Step 0 extrapolates furthest: (lr - end) * (1 + offset / k) ** power + end.
    lr, end = kw["initial_learning_rate"], kw.get("end_learning_rate", 0.0001)
    v0 = (lr - end) * (1 + _o_up(kw) / kw["decay_steps"]) ** kw.get("power", 1.0) + end
    return min(lo, v0), max(hi, v0)


def _poly_offset_monotone(kw):
    if kw.get("cycle", False):
        return None  # (the extrapolated first cycle is monotone; later ones restart)
    return _poly_monotone(kw)  # the extrapolation continues the same curve


def _cosine_offset_bounds(kw):
    lo, hi = _cosine_bounds(kw)
    w = kw.get("warmup_steps", 0) if "warmup_target" in kw else 0
    if w > 0 and _o(kw) > 0 and not kw.get("hold_before_offset", False):
        # The warmup line continued back to step 0.
        # Through the float32 rates too: their rounding (2**-24 of the rate)
        # grows by offset / warmup_steps along the extrapolated line.
        for f in (float, lambda x: float(np.float32(x))):
            lr, target = f(kw["initial_learning_rate"]), f(kw["warmup_target"])
            v0 = lr - f(_o(kw)) / f(w) * (target - lr)
            lo, hi = min(lo, v0), max(hi, v0)
    return lo, hi


def _cosine_offset_end(kw):
    w = kw.get("warmup_steps", 0) if "warmup_target" in kw else 0
    return _step_after(kw["decay_steps"], w, _o(kw))


@st.composite
def _inner(draw):
    """What a warmup wraps: a constant rate or a Keras-named schedule."""
    kind = draw(st.sampled_from(["constant", "PolynomialDecay", "PiecewiseConstantDecay",
                                 "CosineDecay"]))
    if kind == "constant":
        return draw(rates)
    strategy = {"PolynomialDecay": _poly_kwargs(),
                "PiecewiseConstantDecay": _piecewise_kwargs(),
                "CosineDecay": _cosine_kwargs()}[kind]
    return Inner(kind, draw(strategy))


def _inner_value(after, step):
    return after.reference(step) if isinstance(after, Inner) else float(after)


def _inner_row(after):
    return _BY_NAME[after.name] if isinstance(after, Inner) else None


def _inner_bounds(after):
    row = _inner_row(after)
    return row.bounds(after.kw) if row else (float(after), float(after))


def _inner_end(after):
    row = _inner_row(after)
    return row.end(after.kw) if row and row.end else (0 if row is None else None)


def _inner_after(after, w, what):
    """The inner schedule's monotone segments (None: no promise) or continuity
    points, past the warmup's end w."""
    row = _inner_row(after)
    if row is None:  # a constant
        return []
    fn = getattr(row, what)
    items = fn(after.kw) if fn else None
    if what == "monotone":
        if items is None:
            return None
        return [(max(a, w), b, sign) for a, b, sign in items if b is None or b >= w]
    return [(p, slope, span) for p, slope, span in items or []
            if p - 1e-2 * span > w]


@st.composite
def _warmup_kwargs(draw, polynomial):
    kw = dict(after_warmup_lr_sched=draw(_inner()),
              warmup_steps=draw(st.one_of(st.integers(0, 10**5), from_zero(1e5))))
    if polynomial:
        kw["power"] = draw(from_zero(5.0))
    else:
        kw["warmup_learning_rate"] = draw(from_zero(10.0))
    return kw


def _warmup_end(kw):
    end = _inner_end(kw["after_warmup_lr_sched"])
    return None if end is None else max(end, kw["warmup_steps"])


def _linear_warmup_bounds(kw):
    lo, hi = _inner_bounds(kw["after_warmup_lr_sched"])
    init = kw["warmup_learning_rate"]
    return min(lo, init), max(hi, init)


def _linear_warmup_monotone(kw):
    after, w = kw["after_warmup_lr_sched"], kw["warmup_steps"]
    later = _inner_after(after, w, "monotone")
    sign = 1 if _inner_value(after, w) >= kw["warmup_learning_rate"] else -1
    return None if later is None else [(0, w, sign), *later]


def _linear_warmup_continuous(kw):
    after, w = kw["after_warmup_lr_sched"], kw["warmup_steps"]
    points = _inner_after(after, w, "continuous_at")
    if w > 0:
        slope = abs(_inner_value(after, w) - kw["warmup_learning_rate"]) / w
        points.append((w, slope, w))
    return _resolved(points)


def _poly_warmup_bounds(kw):
    lo, hi = _inner_bounds(kw["after_warmup_lr_sched"])
    w, p = kw["warmup_steps"], kw.get("power", 1.0)
    if 0 < w < 1:  # the step is clamped to 1 > w: target / w ** power
        hi = max(hi, hi * (1 / w) ** p)
    return min(lo, 0.0), hi


def _poly_warmup_monotone(kw):
    after, w = kw["after_warmup_lr_sched"], kw["warmup_steps"]
    later = _inner_after(after, w, "monotone")
    warm = [(0, w, 1)] if w >= 1 else []  # from target / w ** p (w < 1) down to target
    return None if later is None else [*warm, *later]


def _poly_warmup_continuous(kw):
    after, w, p = kw["after_warmup_lr_sched"], kw["warmup_steps"], kw.get("power", 1.0)
    points = _inner_after(after, w, "continuous_at")
    if w * 0.99 >= 1:  # left of w the step is not clamped
        # d/ds target * (s / w) ** p, largest on [0.99 w, w].
        slope = abs(_inner_value(after, w)) * p / w * max(1.0, 0.99 ** (p - 1))
        points.append((w, slope, w))
    return _resolved(points)


def _power_atol(kw, steps):
    """lr * s ** power in float32: pow is exp(power * log(s)), whose argument
    carries an absolute error of a few |power * log(s)| * 2**-24, relative in
    the value (2e-6 of it at s = 2**24 for power = -1)."""
    s = np.maximum(np.abs(np.asarray(steps, np.float64) - _o(kw)), 1.0)
    value = np.abs(kw["initial_learning_rate"]) * s ** kw.get("power", 1.0)
    value = np.minimum(value, _top())
    return value * abs(kw.get("power", 1.0)) * np.log(s) * 2.0**-22


# (No tiny nonzero powers: float32 flushes them to zero, and jaxsched rejects them.)
powers = st.floats(-2.0, 1.0).map(lambda x: 0.0 if abs(x) < 1e-6 else x)


def _direct_power_bounds(kw):
    lr = kw["initial_learning_rate"]
    return (0.0, lr) if kw.get("power", 1.0) <= 0 else (lr, _top())


@st.composite
def _power_linear_kwargs(draw):
    return dict(
        initial_learning_rate=draw(rates),
        total_decay_steps=draw(st.one_of(st.integers(0, 10**6), from_zero(1e6))),
        power=draw(powers),
        linear_decay_fraction=draw(fractions),
        offset=draw(offsets),
    )


def _span(kw):
    return kw["total_decay_steps"] * kw.get("linear_decay_fraction", 0.1)


def _power_linear_bounds(kw):
    lr, p, total = kw["initial_learning_rate"], kw.get("power", 1.0), kw["total_decay_steps"]
    if p <= 0:
        return 0.0, lr
    # The linear factor is at most 1 and 0 from total on.
    return 0.0, (min(lr * max(total, 1.0) ** p, _top()) if _span(kw) > 0 else _top())


def _power_linear_continuous(kw):
    span = _span(kw)
    if span <= 0:
        return []
    lr, p, total = kw["initial_learning_rate"], kw.get("power", 1.0), kw["total_decay_steps"]
    # The line reaches 0 at total: |v(total - d)| = rate(total - d) * d / span.
    rate = lr * max(0.99 * total if p <= 0 else total, 1.0) ** p
    return _resolved([(total + _o(kw), rate / span, span)])


@st.composite
def _power_offset_kwargs(draw):
    return dict(
        initial_learning_rate=draw(rates),
        power=draw(powers),
        offset=draw(offsets),
        pre_offset_learning_rate=draw(rates),
    )


def _power_offset_monotone(kw):
    if kw.get("power", 1.0) <= 0:
        return [(0, None, -1)]
    # The constant phase, then up from initial_learning_rate (<= the cap).
    return [(_step_after(_o(kw)), None, 1)]


@st.composite
def _step_cosine_kwargs(draw):
    n = draw(st.integers(1, 5))
    bounds = sorted(draw(st.sets(st.integers(0, 10**6), min_size=n, max_size=n)))
    if draw(st.booleans()):
        bounds[0] = 0  # Model Garden's configs
    bounds = sorted(set(bounds))
    values = draw(st.lists(rates, min_size=len(bounds), max_size=len(bounds)))
    return dict(boundaries=bounds, values=values, offset=draw(offsets))


def _step_cosine_continuous(kw):
    # Segment i - 1 ends on values[i] at boundaries[i], flat (a half cosine),
    # except segment 0 when boundaries[0] != 0 (it starts at step 0).
    b, v = kw["boundaries"], kw["values"]
    points = []
    for i in range(1, len(b)):
        if i == 1 and b[0] != 0:
            continue
        length = b[i] - b[i - 1]
        points.append((b[i] + _o(kw), math.pi / 2 * abs(v[i - 1] - v[i]) / length, length))
    return _resolved(points)


# Model Garden configs' inner schedules (from its experiment configs).
_MG_PIECEWISE = Inner("PiecewiseConstantDecayWithOffset",
                      dict(boundaries=[10000, 20000], values=[0.1, 0.01, 0.001]))
_MG_STEP_COSINE = Inner("StepCosineDecayWithOffset",
                        dict(values=[0.0001, 0.00005], boundaries=[0, 500000], offset=10000))
_LW_SWEEP = tuple(
    dict(after_warmup_lr_sched=Inner("PolynomialDecay", dict(
        initial_learning_rate=lr, decay_steps=100, end_learning_rate=0.01)),
         warmup_steps=w, warmup_learning_rate=w0)
    for lr, w, w0 in ((0.1, 10, 0.0), (0.2, 20, 0.01), (0.05, 5, 0.1))
)
_PW_SWEEP = tuple(
    dict(after_warmup_lr_sched=Inner("CosineDecay", dict(
        initial_learning_rate=lr, decay_steps=100, alpha=0.1)),
         warmup_steps=w, power=p)
    for lr, w, p in ((0.1, 10, 2.0), (0.2, 20, 1.0), (0.05, 5, 0.5))
)


_BY_NAME = {row.id: row for row in ROWS}

ROWS += [
    Row(
        jaxsched.ExponentialDecayWithOffset,
        example=dict(initial_learning_rate=0.1, decay_steps=100, decay_rate=0.5,
                     offset=10),
        kwargs=_with_offset(_decay_kwargs(st.floats(0.01, 2.0))),
        numbers=("initial_learning_rate", "decay_steps", "decay_rate", "offset"),
        positive=("decay_steps", "decay_rate"),
        bounds=_exp_offset_bounds,
        monotone=_exp_monotone,
        reference=_mg_reference("ExponentialDecayWithOffset"),
        max_examples=3,
        accepts_none=("staircase",),
        marks=(10, 110, 210),
        cases=(
            (dict(initial_learning_rate=1.0, decay_steps=100, decay_rate=0.5, offset=10),
             (10, 110)),
            (dict(initial_learning_rate=2.5, decay_steps=7, decay_rate=0.96, staircase=True, offset=30),
             (-10, 30, 37, 44)),
        ),
        sweep=(
            {'initial_learning_rate': 0.1,
             'decay_steps': 100,
             'decay_rate': 0.5,
             'offset': 10},
            {'initial_learning_rate': 0.2,
             'decay_steps': 100,
             'decay_rate': 0.9,
             'offset': 20},
            {'initial_learning_rate': 0.05,
             'decay_steps': 100,
             'decay_rate': 0.3,
             'offset': 0},
        ),
    ),
    Row(
        jaxsched.PiecewiseConstantDecayWithOffset,
        example=dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1], offset=15),
        kwargs=_with_offset(_piecewise_kwargs()),
        numbers=("offset",),
        bounds=lambda kw: (min(kw["values"]), max(kw["values"])),
        end=_piecewise_offset_end,
        reference=_mg_reference("PiecewiseConstantDecayWithOffset"),
        max_examples=3,
        marks=(15, 25, 35),
        cases=(
            (dict(boundaries=[50, 80], values=[1.0, 0.5, 0.1], offset=10),
             (10, 60, 90)),
            (dict(boundaries=[-5, 20], values=[2.0, 1.0, 0.5], offset=10, hold_before_offset=True),
             (5, 10, 30)),
        ),
        sweep=(
            {'boundaries': [10, 20], 'values': [1.0, 0.5, 0.1], 'offset': 15},
            {'boundaries': [10, 20], 'values': [0.3, 0.2, 0.01], 'offset': 5},
            {'boundaries': [10, 20], 'values': [0.1, 0.1, 0.1], 'offset': 0},
        ),
    ),
    Row(
        jaxsched.PolynomialDecayWithOffset,
        example=dict(initial_learning_rate=0.1, decay_steps=100, offset=10),
        kwargs=_with_offset(_poly_kwargs()),
        numbers=("initial_learning_rate", "decay_steps", "end_learning_rate", "power",
                 "offset"),
        positive=("decay_steps",),
        nonnegative=("power",),
        bounds=_poly_offset_bounds,
        monotone=_poly_offset_monotone,
        end=lambda kw: None if kw.get("cycle", False) else _step_after(
            kw["decay_steps"], _o(kw)),
        continuous_at=lambda kw: _shifted(_poly_continuous(kw), kw),
        reference=_mg_reference("PolynomialDecayWithOffset"),
        max_examples=3,
        marks=(10, 110),
        cases=(
            (dict(initial_learning_rate=1.0, decay_steps=100, offset=10),
             (-90, 10, 110)),
            (dict(initial_learning_rate=0.1, decay_steps=30, end_learning_rate=0.0, power=0.5, offset=20),
             (20, 50)),
            (dict(initial_learning_rate=1.0, decay_steps=12, end_learning_rate=0.1, power=2.0, cycle=True, offset=5),
             (-7, 5, 17, 29)),
        ),
        sweep=(
            {'initial_learning_rate': 0.1,
             'decay_steps': 100,
             'end_learning_rate': 0.01,
             'power': 1.0,
             'offset': 10},
            {'initial_learning_rate': 0.2,
             'decay_steps': 100,
             'end_learning_rate': 0.0,
             'power': 0.5,
             'offset': 30},
            {'initial_learning_rate': 0.3,
             'decay_steps': 100,
             'end_learning_rate': 0.05,
             'power': 2.0,
             'offset': 0},
        ),
    ),
    Row(
        jaxsched.CosineDecayWithOffset,
        example=dict(initial_learning_rate=0.0, decay_steps=100, warmup_target=0.1,
                     warmup_steps=10, offset=10),
        kwargs=_with_offset(_cosine_kwargs()),
        numbers=("initial_learning_rate", "decay_steps", "alpha", "warmup_target",
                 "warmup_steps", "offset"),
        # decay_steps=0 is a warmup only (tf.keras) after the example's warmup.
        nonnegative=("decay_steps", "warmup_steps"),
        bounds=_cosine_offset_bounds,
        monotone=lambda kw: _shifted_segments(_cosine_monotone(kw), kw),
        end=_cosine_offset_end,
        continuous_at=lambda kw: _shifted(_cosine_continuous(kw), kw),
        reference=_mg_reference("CosineDecayWithOffset"),
        max_examples=3,
        marks=(10, 20, 120),
        cases=(
            (dict(initial_learning_rate=1.0, decay_steps=100, offset=10),
             (-40, 10, 60, 110)),
            (dict(initial_learning_rate=0.1, decay_steps=40, alpha=0.1, offset=25),
             (25, 65)),
            (dict(initial_learning_rate=0.0, decay_steps=40, warmup_target=0.2, warmup_steps=10, offset=15),
             (15, 25, 65)),
            (dict(initial_learning_rate=0.05, decay_steps=25, warmup_target=0.1, warmup_steps=0, offset=10),
             (10, 35)),
        ),
        sweep=(
            {'initial_learning_rate': 0.0,
             'decay_steps': 100,
             'alpha': 0.0,
             'warmup_target': 0.1,
             'warmup_steps': 10,
             'offset': 10},
            {'initial_learning_rate': 0.01,
             'decay_steps': 100,
             'alpha': 0.1,
             'warmup_target': 0.2,
             'warmup_steps': 5,
             'offset': 0},
            {'initial_learning_rate': 0.0,
             'decay_steps': 100,
             'alpha': 0.5,
             'warmup_target': 0.05,
             'warmup_steps': 20,
             'offset': 25},
        ),
    ),
    Row(
        jaxsched.LinearWarmup,
        example=dict(after_warmup_lr_sched=Inner("PolynomialDecay", dict(
            initial_learning_rate=0.1, decay_steps=100, end_learning_rate=0.01)),
                     warmup_steps=10, warmup_learning_rate=0.0),
        kwargs=_warmup_kwargs(polynomial=False),
        numbers=("after_warmup_lr_sched", "warmup_steps", "warmup_learning_rate"),
        nonnegative=("warmup_steps",),
        bounds=_linear_warmup_bounds,
        monotone=_linear_warmup_monotone,
        end=_warmup_end,
        continuous_at=_linear_warmup_continuous,
        reference=_mg_reference("LinearWarmup"),
        max_examples=3,
        marks=(10, 100),
        cases=(
            (dict(after_warmup_lr_sched=_MG_PIECEWISE, warmup_steps=500, warmup_learning_rate=0.01),
             (250, 500, 10000, 20000)),
            (dict(after_warmup_lr_sched=0.1, warmup_steps=500, warmup_learning_rate=0.01),
             (250, 500)),
            (dict(after_warmup_lr_sched=_MG_STEP_COSINE, warmup_steps=10000, warmup_learning_rate=0.0),
             (5000, 10000, 20000, 499999, 510000)),
            (dict(after_warmup_lr_sched=Inner('ExponentialDecay', {'initial_learning_rate': 0.1, 'decay_steps': 10, 'decay_rate': 0.5}), warmup_steps=0, warmup_learning_rate=0.0),
             (10,)),
        ),
        sweep=_LW_SWEEP,
    ),
    Row(
        jaxsched.PolynomialWarmUp,
        example=dict(after_warmup_lr_sched=Inner("CosineDecay", dict(
            initial_learning_rate=0.1, decay_steps=100, alpha=0.1)),
                     warmup_steps=10, power=2.0),
        kwargs=_warmup_kwargs(polynomial=True),
        numbers=("after_warmup_lr_sched", "warmup_steps", "power"),
        nonnegative=("warmup_steps",),
        bounds=_poly_warmup_bounds,
        monotone=_poly_warmup_monotone,
        end=_warmup_end,
        continuous_at=_poly_warmup_continuous,
        reference=_mg_reference("PolynomialWarmUp"),
        max_examples=3,
        marks=(1, 10, 100),
        cases=(
            (dict(after_warmup_lr_sched=_MG_PIECEWISE, warmup_steps=500, power=2.0),
             (250, 500, 10000, 20000)),
            (dict(after_warmup_lr_sched=Inner('PolynomialDecay', {'initial_learning_rate': 0.2, 'decay_steps': 100, 'power': 0.5}), warmup_steps=20, power=0.5),
             (20, 100)),
            (dict(after_warmup_lr_sched=0.3, warmup_steps=0),
             (-5,)),
        ),
        sweep=_PW_SWEEP,
    ),
    Row(
        jaxsched.DirectPowerDecay,
        example=dict(initial_learning_rate=0.1, power=-0.5),
        kwargs=st.fixed_dictionaries(dict(initial_learning_rate=rates, power=powers)),
        numbers=("initial_learning_rate", "power"),
        bounds=_direct_power_bounds,
        monotone=lambda kw: [(0, None, -1 if kw.get("power", 1.0) <= 0 else 1)],
        reference=_mg_reference("DirectPowerDecay"),
        max_examples=3,
        negative="hold",  # steps below 1 count as 1
        float32_atol=_power_atol,
        marks=(1,),
        cases=(
            (dict(initial_learning_rate=1.0, power=-1.0),
             (250,)),
            (dict(initial_learning_rate=0.001, power=1.5),
             (100,)),
        ),
        sweep=(
            {'initial_learning_rate': 0.1, 'power': -0.5},
            {'initial_learning_rate': 0.2, 'power': -1.0},
            {'initial_learning_rate': 0.05, 'power': 0.5},
        ),
    ),
    Row(
        jaxsched.PowerAndLinearDecay,
        example=dict(initial_learning_rate=1.0, total_decay_steps=100, power=-0.5,
                     linear_decay_fraction=0.5, offset=10),
        kwargs=_power_linear_kwargs(),
        numbers=("initial_learning_rate", "total_decay_steps", "power",
                 "linear_decay_fraction", "offset"),
        nonnegative=("total_decay_steps", "linear_decay_fraction"),
        bounds=_power_linear_bounds,
        monotone=lambda kw: [(0, None, -1)] if kw.get("power", 1.0) <= 0 else None,
        end=lambda kw: _step_after(kw["total_decay_steps"], _o(kw)) if _span(kw) > 0
        else None,
        continuous_at=_power_linear_continuous,
        reference=_mg_reference("PowerAndLinearDecay"),
        max_examples=3,
        float32_atol=_power_atol,
        marks=(10, 11, 60, 110),
        cases=(
            (dict(initial_learning_rate=1.0, power=-1.0, linear_decay_fraction=0.0, total_decay_steps=100),
             (40, 60, 100)),
            (dict(initial_learning_rate=1.0, power=0.0, linear_decay_fraction=1.0, total_decay_steps=100),
             (40, 60, 100)),
            (dict(initial_learning_rate=1.0, power=-1.0, linear_decay_fraction=0.5, total_decay_steps=100),
             (40, 50, 60, 100)),
            (dict(initial_learning_rate=1.0, power=-1.0, linear_decay_fraction=0.5, total_decay_steps=100, offset=90),
             (90, 130, 140, 150, 190, 200)),
        ),
        sweep=(
            {'initial_learning_rate': 1.0,
             'total_decay_steps': 100,
             'power': -0.5,
             'linear_decay_fraction': 0.5,
             'offset': 10},
            {'initial_learning_rate': 0.5,
             'total_decay_steps': 100,
             'power': -1.0,
             'linear_decay_fraction': 0.25,
             'offset': 0},
            {'initial_learning_rate': 2.0,
             'total_decay_steps': 100,
             'power': 0.0,
             'linear_decay_fraction': 1.0,
             'offset': 30},
        ),
    ),
    Row(
        jaxsched.PowerDecayWithOffset,
        example=dict(initial_learning_rate=0.1, power=-0.5, offset=10,
                     pre_offset_learning_rate=0.05),
        kwargs=_power_offset_kwargs(),
        numbers=("initial_learning_rate", "power", "offset", "pre_offset_learning_rate"),
        bounds=lambda kw: (0.0, kw.get("pre_offset_learning_rate", 1.0e6)),
        monotone=_power_offset_monotone,
        reference=_mg_reference("PowerDecayWithOffset"),
        max_examples=3,
        float32_atol=_power_atol,
        marks=(10, 11),
        cases=(
            (dict(initial_learning_rate=1.0, power=-1.0, offset=10, pre_offset_learning_rate=3.0),
             (10, 20)),
            (dict(initial_learning_rate=0.1, power=-0.5, offset=100, pre_offset_learning_rate=0.05),
             (100, 104, 200)),
        ),
        sweep=(
            {'initial_learning_rate': 0.1,
             'power': -0.5,
             'offset': 10,
             'pre_offset_learning_rate': 0.05},
            {'initial_learning_rate': 0.2,
             'power': -1.0,
             'offset': 0,
             'pre_offset_learning_rate': 0.3},
            {'initial_learning_rate': 0.05,
             'power': 0.5,
             'offset': 20,
             'pre_offset_learning_rate': 1.0},
        ),
    ),
    Row(
        jaxsched.StepCosineDecayWithOffset,
        example=dict(boundaries=[0, 10, 25, 40], values=[1.0, 0.5, 0.2, 0.05], offset=7),
        kwargs=_step_cosine_kwargs(),
        numbers=("offset",),
        bounds=lambda kw: (min(kw["values"]), max(kw["values"])),
        end=lambda kw: _step_after(kw["boundaries"][-1], _o(kw)),
        continuous_at=_step_cosine_continuous,
        reference=_mg_reference("StepCosineDecayWithOffset"),
        max_examples=3,
        marks=(7, 17, 32, 47),
        cases=(
            (dict(boundaries=[0, 100, 200], values=[1.0, 0.5, 0.1]),
             (50, 100, 150, 200)),
            (dict(boundaries=[0, 10, 25, 40], values=[1.0, 0.5, 0.2, 0.05], offset=7),
             (-3, 7, 17, 32, 47)),
            (dict(values=[0.0001, 5e-05], boundaries=[0, 500000], offset=10000),
             (10000, 260000, 510000)),
            (dict(boundaries=[5], values=[0.3], offset=2),
             (7,)),
            (dict(boundaries=[20, 50, 80], values=[1.0, 0.5, 0.1]),
             (20, 30, 50, 80)),
            # The first segment, run from step 0, longer than twice its
            # length (the cosine's phase goes past a half period there).
            (dict(boundaries=[30, 40, 70], values=[1.0, 0.5, 0.1]),
             (0, 11, 15, 25, 30, 40, 70)),
            # More than 16 segments: a search and lookups, not selects.
            (dict(boundaries=list(range(0, 2000, 100)),
                  values=[0.1 / (i + 1) for i in range(20)], offset=30),
             (-170, 30, 130, 1030, 1930, 2030)),
        ),
        sweep=(
            {'boundaries': [0, 10, 25, 40],
             'values': [1.0, 0.5, 0.2, 0.05],
             'offset': 7},
            {'boundaries': [0, 10, 25, 40], 'values': [0.3, 0.2, 0.1, 0.0], 'offset': 0},
            {'boundaries': [0, 10, 25, 40],
             'values': [0.1, 0.1, 0.05, 0.05],
             'offset': 20},
        ),
    ),
]

# --------------------------------------------------------------------------
# Composition: any schedule shifted, schedules joined.


def _with_offset_reference(steps, kw):
    inner, o = kw["schedule"], kw.get("offset", 0)
    hold = kw.get("hold_before_offset", False)
    steps = np.asarray(steps, np.float64)
    out = [inner.reference(max(t - o, 0.0) if hold else t - o) for t in steps.reshape(-1)]
    return np.asarray(out, np.float64).reshape(steps.shape)


def _join_reference(steps, kw):
    inners, bounds = kw["schedules"], kw["boundaries"]
    steps = np.asarray(steps, np.float64)
    out = []
    for t in steps.reshape(-1):
        i = sum(1 for b in bounds if t >= b)  # a boundary step starts the next one
        out.append(inners[i].reference(t - (bounds[i - 1] if i else 0.0)))
    return np.asarray(out, np.float64).reshape(steps.shape)


@st.composite
def _with_offset_kwargs(draw):
    inner = draw(_inner().filter(lambda v: isinstance(v, Inner)))
    kw = dict(schedule=inner, offset=draw(offsets))
    if draw(st.booleans()):
        kw["hold_before_offset"] = True
    return kw


@st.composite
def _join_kwargs(draw):
    n = draw(st.integers(2, 3))
    inners = [draw(_inner().filter(lambda v: isinstance(v, Inner))) for _ in range(n)]
    bounds = sorted(draw(st.sets(st.integers(-100, 10**5), min_size=n - 1,
                                 max_size=n - 1)))
    return dict(schedules=inners, boundaries=bounds)


def _exp(lr, k=10, rate=0.5):
    return Inner("ExponentialDecay", dict(initial_learning_rate=lr, decay_steps=k,
                                          decay_rate=rate))


ROWS += [
    Row(
        jaxsched.WithOffset,
        example=dict(schedule=_exp(0.1), offset=5),
        kwargs=_with_offset_kwargs(),
        numbers=("offset",),
        reference=_with_offset_reference,
        max_examples=3,
        marks=(5, 15, 25),
        cases=(
            (dict(schedule=Inner("CosineDecay", dict(initial_learning_rate=0.1,
                                                     decay_steps=30)),
                  offset=10, hold_before_offset=True), (10, 40)),
            (dict(schedule=Inner("PiecewiseConstantDecay", dict(
                boundaries=[10, 20], values=[1.0, 0.5, 0.1])), offset=-5), (5, 15)),
        ),
        sweep=(
            dict(schedule=_exp(0.1), offset=5),
            dict(schedule=_exp(0.2, rate=0.9), offset=0),
            dict(schedule=_exp(0.05, rate=0.3), offset=12),
        ),
    ),
    Row(
        jaxsched.JoinSchedules,
        example=dict(
            schedules=[Inner("PolynomialDecay", dict(initial_learning_rate=0.0,
                                                     decay_steps=10,
                                                     end_learning_rate=0.1)),
                       Inner("CosineDecay", dict(initial_learning_rate=0.1,
                                                 decay_steps=30))],
            boundaries=[10]),
        kwargs=_join_kwargs(),
        numbers=(),
        reference=_join_reference,
        max_examples=3,
        marks=(10, 40),
        cases=(
            (dict(schedules=[_exp(0.1), _exp(0.3, 5), Inner("PiecewiseConstantDecay", dict(
                boundaries=[3], values=[0.01, 0.001]))], boundaries=[20, 35]),
             (20, 23, 35, 38)),
        ),
        sweep=(
            dict(schedules=[_exp(0.1), _exp(0.2)], boundaries=[10]),
            dict(schedules=[_exp(0.3), _exp(0.1, rate=0.9)], boundaries=[15]),
            dict(schedules=[_exp(0.05), _exp(0.5, rate=0.3)], boundaries=[5]),
        ),
    ),
]

# The arithmetic, optax-family and modern classes (tests/cases_modern.py uses
# only names defined above).
from cases_modern import MODERN_ROWS  # noqa: E402

ROWS += MODERN_ROWS

ROW_IDS = [row.id for row in ROWS]

BY_ID = {row.id: row for row in ROWS}
# Every row's example by class name (nested schedules as ``Inner``).
EXAMPLES = {row.id: row.example for row in ROWS}
# Generic steps for checks that compare a schedule with itself (round trips,
# call paths, optax): small steps, the usual boundaries +-1, far past the end.
STEPS = [0, 1, 4, 5, 6, 9, 10, 11, 19, 20, 21, 29, 30, 31, 39, 40, 41, 1000, 10**6]


def build(name, **overrides):
    """The example schedule of the row `name`, with some arguments replaced."""
    row = BY_ID[name]
    return row.build({**row.example, **overrides})


def public_classes():
    return sorted(
        n
        for n in jaxsched.__all__
        if isinstance(getattr(jaxsched, n), type)
        and issubclass(getattr(jaxsched, n), jaxsched.LearningRateSchedule)
        and getattr(jaxsched, n) is not jaxsched.LearningRateSchedule
    )


# Sweeps: every row with a reference (the noisy one is checked per key).
SWEPT = [row for row in ROWS if row.sweep and row.reference is not None]
SWEPT_IDS = [row.id for row in SWEPT]


def build_sweep(name):
    """The schedules of the row's sweep."""
    row = BY_ID[name]
    return [row.build(kw) for kw in row.sweep]


def expected_sweep(name, steps):
    """Reference values, shape (members,) + np.shape(steps), float64."""
    row = BY_ID[name]
    return np.stack([row.reference(np.asarray(steps, np.float64), kw)
                     for kw in row.sweep])


def tolerance(dtype) -> dict:
    """assert_allclose tolerances for a result of `dtype` against float64."""
    if np.dtype(dtype) == np.float64:
        return dict(rtol=1e-12, atol=1e-15)
    return dict(rtol=2e-6, atol=1e-7)


# One length for the step batches of the tests. Each schedule call compiles a
# program per shape of its step (XLA's cost, about 30-150 ms each here, is
# most of the suite's time), so the tests evaluate a 1-D batch of steps
# padded with its last step to a multiple of BATCH, and keep the first
# len(steps) values (every batch of the tests up to 4,096 steps has one
# length): configs of one structure and dtype then share one
# program across every test of a worker instead of compiling one per
# length. (Schedules are elementwise; the padded values are dropped.)
BATCH = 4096


def padded(steps) -> np.ndarray:
    """A 1-D batch of steps, padded with its last step to a multiple of BATCH."""
    steps = np.asarray(steps)
    assert steps.ndim == 1 and steps.size, steps.shape
    return np.concatenate([steps, np.repeat(steps[-1:], -len(steps) % BATCH)])


def on_batch(fn, *args):
    """``fn(*args)`` where the last argument is a 1-D batch of steps, run on
    the padded batch; NumPy, the values of the steps given. Other steps
    (scalars, other shapes, empty) are passed through unchanged."""
    *rest, steps = args
    if np.ndim(steps) != 1 or np.size(steps) == 0:
        return fn(*args)
    return np.asarray(fn(*rest, padded(steps)))[: np.size(steps)]


def batch(sched, steps):
    """``sched(steps)`` on a padded batch (see BATCH), as NumPy."""
    return on_batch(sched, steps)


# The user's jit with the schedule as an argument: one function for every
# test, so that its programs (one per schedule structure, step dtype and
# shape) compile once per worker.
_user_jit = jax.jit(lambda sched, step: sched(step))
_SAME_PROGRAM: dict = {}


def signature(tree) -> tuple:
    """What a jit's cache tells programs apart by: the pytree structure
    (static fields included) and every leaf's abstract value."""
    leaves, treedef = jax.tree.flatten(tree)
    return treedef, tuple(map(jax.typeof, leaves))


def _stablehlo(lowered) -> str:
    text = lowered.compiler_ir("stablehlo").operation.get_asm(enable_debug_info=False)
    return re.sub(r"@jit_\w+", "@jit", text)  # the module's name: the function's


def jit_apply(sched, step):
    """``sched(step)`` inside the user's ``jit``, the schedule an argument.

    Inside a jit, ``_call`` traces the schedule's body in place: the body
    its eager call compiles as a jit of its own (``_core._compiled``). Where
    the two lower to the same StableHLO (the usual case; compared once per
    signature), the eager call's executable runs it on the same arguments:
    the same program and inputs, so the same bits, for one compilation
    instead of two. Where they differ, the user's jit compiles and runs its
    own program (always for NoisyLinearCosineDecay, whose call passes the
    noise draw's inputs to the compiled body too)."""
    key = (signature((sched, step)), jax.config.jax_enable_x64)
    if key not in _SAME_PROGRAM:
        plain = type(sched).__call__ is jaxsched.LearningRateSchedule.__call__
        _SAME_PROGRAM[key] = plain and (_stablehlo(_user_jit.lower(sched, step))
                                        == _stablehlo(_core._compiled.lower(sched, step)))
    return (_core._compiled if _SAME_PROGRAM[key] else _user_jit)(sched, step)


# The ways of calling a schedule (the ``call`` fixture): eagerly (which runs
# its compiled program, as inside the user's jit with the schedule as an
# argument), and inside a jit with the schedule captured in the closure.
# Both take 1-D batches padded (BATCH) and give NumPy for them.


def _eager(sched, step):
    return on_batch(sched, step)


@functools.lru_cache(maxsize=64)
def _closure(sched, x64):
    # One jitted closure per schedule object (schedules hash by identity) and
    # x64 mode: calls with steps of one dtype and shape compile once. The
    # cache is cleared after each test (conftest.py): a closure kept alive
    # across x64 modes meets a JAX lowering cache that mixes int32 and int64
    # constants.
    return jax.jit(lambda t: sched(t))


def _jit_closure(sched, step):
    x64 = jax.dtypes.canonicalize_dtype(np.int64) == np.int64  # enable_x64 contexts too
    return on_batch(_closure(sched, x64), step)


def clear_closures():
    _closure.cache_clear()


CALLS = {"eager": _eager, "jit_closure": _jit_closure}

# The base class converts every step on the host (``_numerics.host_step``) and
# casts it in the compiled program, once for all classes: the other types
# (narrow, unsigned, half precision, and under jit) and shapes are tried on one row of
# each way a class consumes the step: the float step of the formula
# (ExponentialDecay, CosineDecayRestarts' restart index), the raw step
# compared with boundaries (PiecewiseConstantDecay; after an offset,
# PiecewiseConstantDecayWithOffset), passed to nested schedules (the warmups'
# base class: LinearWarmup; a join, which also compares; a shift:
# WithOffset), or shifted by an offset first (ExponentialDecayWithOffset).
# (PolynomialWarmUp, Scaled and StepCosineDecayWithOffset take the step on
# the paths of LinearWarmup, WithOffset and the two offset rows.)
STEP_PATHS = {"ExponentialDecay", "CosineDecayRestarts", "PiecewiseConstantDecay",
              "PiecewiseConstantDecayWithOffset", "LinearWarmup", "WithOffset",
              "JoinSchedules", "ExponentialDecayWithOffset"}


# The repository's conftest.py compiles the suite with XLA's older CPU fusion
# emitters, LLVM's optimization level 0 and none of its expensive passes
# (SUITE_XLA_FLAG there: faster to compile) unless JAXSCHED_XLA_DEFAULTS=1
# (the defaults pass: .ci/run's second command). SUITE_OPTIONS compile a
# program the suite's way and XLA_DEFAULT_OPTIONS XLA's default way, in
# either pass (compile options override XLA_FLAGS): to compare the two, and
# for the tests that compare the bits of two programs, which hold for XLA's
# defaults (the suite's setting rounds a few operations differently).
SUITE_OPTIONS = {"xla_cpu_use_fusion_emitters": False, "xla_backend_optimization_level": 0,
                 "xla_llvm_disable_expensive_passes": True}
XLA_DEFAULT_OPTIONS = {"xla_cpu_use_fusion_emitters": True, "xla_backend_optimization_level": 3,
                       "xla_llvm_disable_expensive_passes": False}
XLA_DEFAULTS_PASS = os.environ.get("JAXSCHED_XLA_DEFAULTS") == "1"


def compile_with_xla_defaults(jitted, *args):
    """``jitted`` lowered for `args`, compiled with XLA's defaults."""
    return jitted.lower(*args).compile(compiler_options=XLA_DEFAULT_OPTIONS)


# XLA options for programs whose results are only checked for finiteness (or
# NaN-freedom), or against each other within the program at a tolerance far
# above the last bits (a traced hyperparameter against the same one as a
# constant; an optimizer against itself with the rates tabulated): the
# suite's setting, in the pass with XLA's defaults too.
FAST_COMPILE = SUITE_OPTIONS


def run_fast_compiled(jitted, *args, static=()):
    """``jitted(*args)``, compiled with FAST_COMPILE (see there for when).
    `static`: the indices of static arguments (passed to ``lower``, not to
    the compiled program)."""
    lowered = jitted.lower(*args)
    dynamic = [a for i, a in enumerate(args) if i not in static]
    return lowered.compile(compiler_options=FAST_COMPILE)(*dynamic)


def equations(jaxpr):
    """Every equation of a jaxpr, those of nested jaxprs (calls, branches,
    loop bodies) after the equation that holds them, at each use."""
    for eqn in jaxpr.eqns:
        yield eqn
        for sub in jax.extend.core.jaxprs_in_params(eqn.params):
            yield from equations(sub)


def program_size(jaxpr) -> int:
    """Equations of a jaxpr, nested (inlined) calls counted at each use."""
    return sum(1 for _ in equations(jaxpr))
