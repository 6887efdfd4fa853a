"""Case-table rows for the arithmetic, optax-family and modern classes.

``tests/cases.py`` appends ``MODERN_ROWS`` to ``ROWS`` (imported at its end,
after ``ROWS`` is complete and before the names derived from it), so every
generic test covers these classes too. Only names defined in ``cases``
before that import are used here.

References (float64, independent of jaxsched):

* ``Constant``: the value.
* ``Scaled``, ``Quotient``, ``Product``, ``Minimum``, ``Maximum``: the nested
  schedules' Keras transcriptions (``Inner.reference``), combined in NumPy.
* ``WarmupCosineDecay``, ``PiecewiseScales``: optax's
  ``warmup_cosine_decay_schedule`` / ``piecewise_constant_schedule`` /
  ``piecewise_interpolate_schedule`` written out from optax's documented
  source (``join_schedules`` of a ``linear_schedule`` and a
  ``cosine_decay_schedule``; the cumulative products of the scales), plus the
  documented choices where optax has none (before step 0; intervals shorter
  than one step).
* ``WarmupStableDecay``, ``InverseSqrtDecay``: HF transformers'
  transcriptions of ``tests/reference_modern.py`` (plus T5's constant warmup).
* ``OneCycle``: PyTorch ``OneCycleLR`` (``reference_modern``), held at
  ``min_lr`` from ``total_steps - 1`` as documented.
* ``Cyclic``: PyTorch ``CyclicLR``'s formula with the position in the cycle
  as an exact rational remainder (``reference_modern.torch_cyclic`` computes
  ``1 + step / size - cycle`` in float64, which keeps no digits at 10**12).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

import jaxsched
import reference_modern as peer
from cases import Inner, Row, _inner, _resolved, _step_after, _top, from_zero, rates

# --------------------------------------------------------------------------
# Helpers


def _each(fn):
    """(steps, kw) -> fn(step, **kw) for every step, float64 (``name`` dropped)."""

    def reference(steps, kw):
        kw = {k: v for k, v in kw.items() if k != "name"}
        steps = np.asarray(steps, np.float64)
        out = [fn(float(t), **kw) for t in steps.reshape(-1)]
        return np.asarray(out, np.float64).reshape(steps.shape)

    return reference


def _inners():
    return _inner().filter(lambda v: isinstance(v, Inner))


def _poly(lr, k, end):
    return Inner("PolynomialDecay", dict(initial_learning_rate=lr, decay_steps=k,
                                         end_learning_rate=end))


def _exp(lr, k=10, rate=0.5):
    return Inner("ExponentialDecay", dict(initial_learning_rate=lr, decay_steps=k,
                                          decay_rate=rate))


def _cos(lr, k, **kw):
    return Inner("CosineDecay", dict(initial_learning_rate=lr, decay_steps=k, **kw))


def _pcd(boundaries, values):
    return Inner("PiecewiseConstantDecay", dict(boundaries=boundaries, values=values))


def _sign(x):
    return 1 if x >= 0 else -1


# --------------------------------------------------------------------------
# Arithmetic


def _scaled(t, schedule, factor):
    return factor * schedule.reference(t)


def _quotient(t, schedule, divisor):
    return schedule.reference(t) / divisor


def _combined(op):
    def value(t, schedules):
        return op([s.reference(t) for s in schedules])

    return value


@st.composite
def _list_kwargs(draw):
    n = draw(st.integers(2, 3))
    return dict(schedules=[draw(_inners()) for _ in range(n)])


signed = st.one_of(from_zero(10.0), st.floats(-10.0, -1e-6))

_ARITH = [
    Row(
        jaxsched.Constant,
        example=dict(value=0.1),
        kwargs=st.fixed_dictionaries(dict(value=signed)),
        numbers=("value",),
        bounds=lambda kw: (kw["value"], kw["value"]),
        end=lambda kw: 0,
        reference=_each(lambda t, value: value),
        negative="hold",
        max_examples=4,
        cases=(
            (dict(value=0.0), ()),
            (dict(value=3e-4, name="lr"), ()),
        ),
        sweep=(dict(value=0.1), dict(value=0.2), dict(value=0.05)),
    ),
    Row(
        jaxsched.Scaled,
        example=dict(schedule=_cos(0.0, 100, warmup_target=1.0, warmup_steps=10),
                     factor=0.3),
        kwargs=st.fixed_dictionaries(dict(schedule=_inners(), factor=signed)),
        numbers=("factor",),
        reference=_each(_scaled),
        max_examples=4,
        marks=(10, 110),
        cases=(
            (dict(schedule=_exp(0.1), factor=2.0), (10, 20)),
            (dict(schedule=_pcd([10, 20], [1.0, 0.5, 0.1]), factor=-0.5), (10, 20)),
        ),
        sweep=(
            dict(schedule=_exp(0.1), factor=0.5),
            dict(schedule=_exp(0.2, rate=0.9), factor=2.0),
            dict(schedule=_exp(0.05, rate=0.3), factor=1.0),
        ),
    ),
    Row(
        jaxsched.Quotient,
        example=dict(schedule=_poly(0.3, 100, 0.03), divisor=3),
        kwargs=st.fixed_dictionaries(dict(
            schedule=_inners(),
            divisor=st.one_of(st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3)))),
        numbers=("divisor",),
        reference=_each(_quotient),
        max_examples=4,
        marks=(100,),
        cases=(
            (dict(schedule=_exp(0.1), divisor=0.5), (10, 20)),
            (dict(schedule=_cos(0.1, 30, alpha=0.1), divisor=-7.0), (30,)),
        ),
        sweep=(
            dict(schedule=_exp(0.1), divisor=2.0),
            dict(schedule=_exp(0.3, rate=0.9), divisor=3.0),
            dict(schedule=_exp(0.05, rate=0.3), divisor=0.5),
        ),
    ),
    Row(
        jaxsched.Product,
        # A warmup factor rising from 0 to 1, times a decay.
        example=dict(schedules=[_poly(0.0, 10, 1.0), _exp(0.1)]),
        kwargs=_list_kwargs(),
        numbers=(),
        reference=_each(_combined(np.prod)),
        max_examples=4,
        marks=(10, 20),
        cases=(
            (dict(schedules=[_poly(0.0, 20, 1.0), _cos(0.5, 100, alpha=0.1),
                             _pcd([50], [1.0, 0.1])]),
             (20, 50, 100)),
        ),
        sweep=(
            dict(schedules=[_poly(0.0, 10, 1.0), _exp(0.1)]),
            dict(schedules=[_poly(0.0, 10, 2.0), _exp(0.2, rate=0.9)]),
            dict(schedules=[_poly(0.5, 10, 1.0), _exp(0.05, rate=0.3)]),
        ),
    ),
    Row(
        jaxsched.Minimum,
        # A warmup line capped by a cosine decay.
        example=dict(schedules=[_poly(0.0, 40, 1.0), _cos(0.5, 100)]),
        kwargs=_list_kwargs(),
        numbers=(),
        reference=_each(_combined(min)),
        max_examples=4,
        marks=(20, 40, 100),
        cases=(
            (dict(schedules=[_exp(0.2), _pcd([15], [0.1, 0.05]), _cos(0.3, 30)]),
             (10, 15, 30)),
        ),
        sweep=(
            dict(schedules=[_poly(0.0, 40, 1.0), _cos(0.5, 100)]),
            dict(schedules=[_poly(0.0, 20, 0.5), _cos(0.2, 100, alpha=0.1)]),
            dict(schedules=[_poly(0.1, 40, 2.0), _cos(1.0, 100, alpha=0.5)]),
        ),
    ),
    Row(
        jaxsched.Maximum,
        # A decay held above a floor.
        example=dict(schedules=[_exp(0.1), _poly(0.02, 100, 0.02)]),
        kwargs=_list_kwargs(),
        numbers=(),
        reference=_each(_combined(max)),
        max_examples=4,
        marks=(10, 20, 30),
        cases=(
            (dict(schedules=[_cos(0.1, 50), _pcd([20], [0.0, 0.03]),
                             _poly(0.0, 100, 0.05)]),
             (20, 50, 100)),
        ),
        sweep=(
            dict(schedules=[_exp(0.1), _poly(0.02, 100, 0.02)]),
            dict(schedules=[_exp(0.3, rate=0.9), _poly(0.05, 100, 0.01)]),
            dict(schedules=[_exp(0.05, rate=0.3), _poly(0.0, 100, 0.03)]),
        ),
    ),
]


# --------------------------------------------------------------------------
# optax's family


def _optax_warmup_cosine(t, init_value, peak_value, warmup_steps, decay_steps,
                         end_value=0.0, exponent=1.0):
    """optax.warmup_cosine_decay_schedule: join_schedules([linear_schedule(
    init, peak, warmup), cosine_decay_schedule(peak, decay - warmup, alpha,
    exponent)], [warmup]); before step 0 (where optax's cosine would
    extrapolate when warmup_steps == 0) the documented init_value."""
    if t < 0:
        return init_value
    if t < warmup_steps:  # linear_schedule: polynomial_schedule with power 1
        count = min(max(t, 0.0), warmup_steps)
        frac = 1 - count / warmup_steps
        return (init_value - peak_value) * frac + peak_value
    length = decay_steps - warmup_steps
    count = min(t - warmup_steps, length)
    cosine = 0.5 * (1 + math.cos(math.pi * count / length))
    alpha = 0.0 if peak_value == 0 else end_value / peak_value
    return peak_value * ((1 - alpha) * cosine**exponent + alpha)


def _wcd_values(kw):
    return [kw["init_value"], kw["peak_value"], kw.get("end_value", 0.0)]


def _wcd_continuous(kw):
    w, k = kw["warmup_steps"], kw["decay_steps"]
    points = []
    if w > 0:
        points.append((w, abs(kw["peak_value"] - kw["init_value"]) / w, w))
    e = kw.get("exponent", 1.0)
    if e >= 1:  # c ** e is Lipschitz near c == 0 only for e >= 1
        slope = e * math.pi / 2 * abs(kw["peak_value"] - kw.get("end_value", 0.0))
        points.append((k, slope / (k - w), k - w))
    return _resolved(points)


@st.composite
def _wcd_kwargs(draw):
    w = draw(st.integers(0, 10**4))
    return dict(
        init_value=draw(from_zero(10.0)),
        peak_value=draw(rates),
        warmup_steps=w,
        decay_steps=w + draw(st.integers(1, 10**6)),
        end_value=draw(from_zero(1.0)),
        exponent=draw(st.floats(0.1, 4.0)),
    )


def _scales_values(kw):
    """v[0] = init_value, v[i + 1] = v[i] * scales[i] (optax's cumprod)."""
    return list(np.cumprod([kw["init_value"], *kw["scales"]]))


def _optax_piecewise(t, init_value, boundaries, scales, interpolate_type="constant"):
    """optax.piecewise_constant_schedule (each boundary <= step multiplies by
    its scale) and piecewise_interpolate_schedule (bounds (0,) + boundaries,
    values cumprod((init,) + scales), linear / cosine between them, the last
    value from the last boundary on); documented choices where optax has
    none: init_value before step 0, intervals counted as at least 1 step."""
    v = list(np.cumprod([init_value, *scales]))
    if interpolate_type == "constant":
        return v[sum(1 for b in boundaries if b <= t)]
    if t < 0:
        return init_value
    bounds = [0, *boundaries]
    if t >= bounds[-1]:
        return v[-1]
    i = max(j for j in range(len(boundaries)) if bounds[j] <= t)
    pct = min(max((t - bounds[i]) / max(bounds[i + 1] - bounds[i], 1), 0.0), 1.0)
    start, end = v[i], v[i + 1]
    if interpolate_type == "linear":
        return start + (end - start) * pct
    return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)


@st.composite
def _scales_kwargs(draw):
    kind = draw(st.sampled_from(["constant", "linear", "cosine"]))
    n = draw(st.integers(1, 5))
    low = -100 if kind == "constant" else 0
    bounds = sorted(draw(st.sets(st.integers(low, 10**6), min_size=n, max_size=n)))
    scales = draw(st.lists(from_zero(2.0), min_size=n, max_size=n))
    return dict(init_value=draw(rates), boundaries=bounds, scales=scales,
                interpolate_type=kind)


def _scales_continuous(kw):
    kind = kw.get("interpolate_type", "constant")
    if kind == "constant":
        return []
    v, b = _scales_values(kw), [0, *kw["boundaries"]]
    factor = 1.0 if kind == "linear" else math.pi / 2
    return _resolved([(b[i + 1], factor * abs(v[i + 1] - v[i]) / (b[i + 1] - b[i]),
                       b[i + 1] - b[i])
                      for i in range(len(b) - 1) if b[i + 1] > b[i]])


_OPTAX = [
    Row(
        jaxsched.WarmupCosineDecay,
        example=dict(init_value=0.0, peak_value=0.1, warmup_steps=10, decay_steps=110,
                     end_value=0.01),
        kwargs=_wcd_kwargs(),
        numbers=("init_value", "peak_value", "warmup_steps", "decay_steps",
                 "end_value", "exponent"),
        positive=("exponent",),
        nonnegative=("warmup_steps",),
        bounds=lambda kw: (min(_wcd_values(kw)), max(_wcd_values(kw))),
        monotone=lambda kw: [(0, kw["warmup_steps"],
                              _sign(kw["peak_value"] - kw["init_value"])),
                             (kw["warmup_steps"], None,
                              _sign(kw.get("end_value", 0.0) - kw["peak_value"]))],
        end=lambda kw: kw["decay_steps"],
        continuous_at=_wcd_continuous,
        reference=_each(_optax_warmup_cosine),
        # Before step 0: init_value (the step-0 value only with a warmup).
        negative="extrapolate",
        max_examples=4,
        marks=(10, 110),
        cases=(
            # No warmup, optax's exponent.
            (dict(init_value=0.5, peak_value=0.5, warmup_steps=0, decay_steps=1000,
                  end_value=0.0, exponent=2.0), (1000,)),
            # Warming down from a higher start, a rising "decay".
            (dict(init_value=0.3, peak_value=0.1, warmup_steps=25, decay_steps=75,
                  end_value=0.2, exponent=0.5), (25, 75)),
        ),
        sweep=(
            dict(init_value=0.0, peak_value=0.1, warmup_steps=10, decay_steps=110,
                 end_value=0.01, exponent=1.0),
            dict(init_value=0.01, peak_value=0.2, warmup_steps=5, decay_steps=30,
                 end_value=0.0, exponent=2.0),
            dict(init_value=0.0, peak_value=0.05, warmup_steps=0, decay_steps=40,
                 end_value=0.02, exponent=0.5),
        ),
    ),
    Row(
        jaxsched.PiecewiseScales,
        example=dict(init_value=0.1, boundaries=[30, 60, 90], scales=[0.1, 0.1, 0.5]),
        kwargs=_scales_kwargs(),
        numbers=("init_value",),
        bounds=lambda kw: (min(_scales_values(kw)), max(_scales_values(kw))),
        end=lambda kw: kw["boundaries"][-1],
        continuous_at=_scales_continuous,
        reference=_each(_optax_piecewise),
        max_examples=4,
        marks=(30, 60, 90),
        cases=(
            (dict(init_value=1.0, boundaries=[10, 40], scales=[0.5, 0.2],
                  interpolate_type="linear"), (10, 40)),
            (dict(init_value=0.2, boundaries=[5, 25, 26], scales=[2.0, 0.0, 1.0],
                  interpolate_type="cosine"), (5, 25, 26)),
            (dict(init_value=1.0, boundaries=[-10, 0, 15], scales=[0.5, 0.5, 3.0]),
             (-10, 0, 15)),
        ),
        sweep=(
            dict(init_value=0.1, boundaries=[10, 25], scales=[0.5, 0.1],
                 interpolate_type="linear"),
            dict(init_value=0.3, boundaries=[10, 25], scales=[0.1, 2.0],
                 interpolate_type="linear"),
            dict(init_value=0.05, boundaries=[10, 25], scales=[1.0, 0.0],
                 interpolate_type="linear"),
        ),
    ),
]


# --------------------------------------------------------------------------
# The modern family


def _wsd(t, learning_rate, warmup_steps, stable_steps, decay_steps,
         warmup_type="linear", decay_type="cosine", min_lr_ratio=0.0):
    return float(peer.hf_wsd(max(t, 0.0), learning_rate, warmup_steps, decay_steps,
                             num_stable_steps=stable_steps, warmup_type=warmup_type,
                             decay_type=decay_type, min_lr_ratio=min_lr_ratio))


SHAPES = ["linear", "cosine", "1-sqrt"]


@st.composite
def _wsd_kwargs(draw):
    lengths = st.one_of(st.integers(0, 10**5), st.floats(1.0, 1e5).map(
        lambda x: round(x, 2)))
    return dict(
        learning_rate=draw(rates),
        warmup_steps=draw(lengths),
        stable_steps=draw(lengths),
        decay_steps=draw(lengths),
        warmup_type=draw(st.sampled_from(SHAPES)),
        decay_type=draw(st.sampled_from(SHAPES)),
        min_lr_ratio=draw(from_zero(2.0)),
    )


def _wsd_bounds(kw):
    lr, m = kw["learning_rate"], kw.get("min_lr_ratio", 0.0)
    return lr * min(m, 1.0), lr * max(m, 1.0)


def _wsd_monotone(kw):
    m = kw.get("min_lr_ratio", 0.0)
    w, st_ = kw["warmup_steps"], kw["stable_steps"]
    return [(0, w, _sign(1 - m)), (w + st_, None, _sign(m - 1))]


def _wsd_continuous(kw):
    lr, m = kw["learning_rate"], kw.get("min_lr_ratio", 0.0)
    w, st_, d = kw["warmup_steps"], kw["stable_steps"], kw["decay_steps"]
    height = lr * abs(1 - m)
    points = []
    # The rise reaches 1 at w only when w >= 1 (the progress is step /
    # max(1, w)); 1 - sqrt(1 - p) has no bounded slope there.
    if w >= 1 and kw.get("warmup_type", "linear") != "1-sqrt":
        points.append((w, math.pi / 2 * height / w, w))
    if d >= 1:  # every fall has a slope <= pi / 2 near its end
        points.append((w + st_ + d, math.pi / 2 * height / d, d))
    return _resolved(points)


def _inverse_sqrt(t, learning_rate, warmup_steps, timescale=None,
                  warmup_type="linear"):
    t = max(t, 0.0)
    if warmup_type == "constant" and t < warmup_steps:  # T5: the peak until w
        return learning_rate
    return float(peer.hf_inverse_sqrt(t, learning_rate, warmup_steps, timescale))


@st.composite
def _inverse_sqrt_kwargs(draw):
    kw = dict(learning_rate=draw(rates), warmup_steps=draw(st.integers(0, 10**5)),
              warmup_type=draw(st.sampled_from(["linear", "constant"])))
    if draw(st.booleans()):
        kw["timescale"] = draw(st.floats(1.0, 1e5))
    return kw


def _one_cycle(t, max_lr, total_steps, pct_start=0.3, anneal_strategy="cos",
               div_factor=25.0, final_div_factor=1e4, three_phase=False):
    last = total_steps - 1
    if t >= last:  # PyTorch raises past total_steps; the documented hold
        return max_lr / div_factor / final_div_factor
    return float(peer.torch_one_cycle(max(t, 0.0), max_lr, total_steps, pct_start,
                                      anneal_strategy, div_factor, final_div_factor,
                                      three_phase))


@st.composite
def _one_cycle_kwargs(draw):
    three = draw(st.booleans())
    # pct_start < 1 (two phases) / < 0.5 (three): the last phase ends at
    # total_steps - 1, as in PyTorch's configs.
    return dict(
        max_lr=draw(rates),
        total_steps=draw(st.integers(1, 10**6)),
        pct_start=draw(from_zero(0.45 if three else 0.95)),
        anneal_strategy=draw(st.sampled_from(["cos", "linear"])),
        div_factor=draw(st.floats(1.0, 100.0)),
        final_div_factor=draw(st.floats(1.0, 1e4)),
        three_phase=three,
    )


def _one_cycle_values(kw):
    top = kw["max_lr"]
    initial = top / kw.get("div_factor", 25.0)
    return top, initial, initial / kw.get("final_div_factor", 1e4)


def _one_cycle_monotone(kw):
    top, initial, low = _one_cycle_values(kw)
    n, pct = kw["total_steps"], kw.get("pct_start", 0.3)
    e1 = pct * n - 1
    if kw.get("three_phase", False):
        e2 = 2 * pct * n - 2
        return [(0, e1, _sign(top - initial)), (max(e1, 0), e2, _sign(initial - top)),
                (max(e2, 0), None, _sign(low - initial))]
    return [(0, e1, _sign(top - initial)), (max(e1, 0), None, _sign(low - top))]


def _cyclic(t, base_lr, max_lr, step_size_up=2000, step_size_down=None,
            mode="triangular", gamma=1.0):
    """PyTorch CyclicLR: x = 1 + step / size - cycle (here the exact remainder
    q = step - (cycle - 1) * size, x = q / size), f = x / ratio or (x - 1) /
    (ratio - 1); before step 0 the documented base_lr."""
    if t < 0:
        return base_lr
    up = Fraction(step_size_up)
    down = Fraction(step_size_down) if step_size_down is not None else up
    size = up + down
    done = math.floor(Fraction(t) / size)  # cycle - 1
    q = Fraction(t) - done * size
    f = float(q / up) if q <= up else float((size - q) / down)
    if mode == "triangular":
        scale = 1.0
    elif mode == "triangular2":
        scale = 2.0 ** -done if done < 2000 else 0.0
    else:
        scale = gamma ** t
    return base_lr + (max_lr - base_lr) * f * scale


@st.composite
def _cyclic_kwargs(draw):
    mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
    kw = dict(base_lr=draw(from_zero(1.0)), max_lr=draw(rates),
              step_size_up=draw(st.one_of(st.integers(1, 10**4), st.floats(0.5, 1e4))),
              mode=mode)
    if draw(st.booleans()):
        kw["step_size_down"] = draw(st.integers(1, 10**4))
    if mode == "exp_range":
        kw["gamma"] = draw(st.floats(0.9, 1.0))
    return kw


def _cyclic_continuous(kw):
    if kw.get("mode", "triangular") == "exp_range":
        return []
    up = kw.get("step_size_up", 2000)
    down = kw.get("step_size_down") or up
    height = abs(kw["max_lr"] - kw["base_lr"])
    return _resolved([(up, height / up, up), (up + down, height / down, down)])


_MODERN = [
    Row(
        jaxsched.WarmupStableDecay,
        example=dict(learning_rate=0.1, warmup_steps=10, stable_steps=70,
                     decay_steps=20, decay_type="linear"),
        kwargs=_wsd_kwargs(),
        numbers=("learning_rate", "warmup_steps", "stable_steps", "decay_steps",
                 "min_lr_ratio"),
        nonnegative=("warmup_steps", "stable_steps", "decay_steps", "min_lr_ratio"),
        bounds=_wsd_bounds,
        monotone=_wsd_monotone,
        end=lambda kw: _step_after(kw["warmup_steps"], kw["stable_steps"],
                                   kw["decay_steps"]),
        continuous_at=_wsd_continuous,
        reference=_each(_wsd),
        negative="hold",
        max_examples=4,
        marks=(10, 80, 100),
        cases=(
            # Hägele et al.'s 1-sqrt cooldown to a floor, cosine warmup.
            (dict(learning_rate=3e-4, warmup_steps=100, stable_steps=700,
                  decay_steps=200, warmup_type="cosine", decay_type="1-sqrt",
                  min_lr_ratio=0.1), (100, 800, 1000)),
            # HF's defaults (cosine decay), 1-sqrt warmup, no stable phase.
            (dict(learning_rate=1.0, warmup_steps=16, stable_steps=0,
                  decay_steps=48, warmup_type="1-sqrt"), (16, 64)),
        ),
        sweep=(
            dict(learning_rate=0.1, warmup_steps=10, stable_steps=10, decay_steps=20,
                 min_lr_ratio=0.0),
            dict(learning_rate=0.3, warmup_steps=5, stable_steps=20, decay_steps=10,
                 min_lr_ratio=0.1),
            dict(learning_rate=0.05, warmup_steps=0, stable_steps=15, decay_steps=25,
                 min_lr_ratio=0.5),
        ),
    ),
    Row(
        jaxsched.InverseSqrtDecay,
        example=dict(learning_rate=0.1, warmup_steps=100, timescale=100),
        kwargs=_inverse_sqrt_kwargs(),
        numbers=("learning_rate", "warmup_steps", "timescale"),
        positive=("timescale",),
        nonnegative=("warmup_steps",),
        bounds=lambda kw: (0.0, kw["learning_rate"]),
        monotone=lambda kw: (
            [(0, kw["warmup_steps"], 1), (kw["warmup_steps"], None, -1)]
            if kw.get("warmup_type", "linear") == "linear" else [(0, None, -1)]),
        continuous_at=lambda kw: _resolved(
            [(kw["warmup_steps"], kw["learning_rate"] / kw["warmup_steps"],
              kw["warmup_steps"])]
            if kw.get("warmup_type", "linear") == "linear" and kw["warmup_steps"] >= 1
            else []),
        reference=_each(_inverse_sqrt),
        negative="hold",
        max_examples=4,
        marks=(100,),
        cases=(
            # HF's default timescale (10 000 without warmup).
            (dict(learning_rate=0.01, warmup_steps=0), ()),
            # T5's rsqrt: constant until the warmup's end.
            (dict(learning_rate=0.01, warmup_steps=1000, timescale=1000,
                  warmup_type="constant"), (1000,)),
            (dict(learning_rate=1.0, warmup_steps=40, timescale=7.5), (40,)),
        ),
        sweep=(
            dict(learning_rate=0.1, warmup_steps=10, timescale=10.0),
            dict(learning_rate=0.2, warmup_steps=5, timescale=20.0),
            dict(learning_rate=0.05, warmup_steps=0, timescale=1.0),
        ),
    ),
    Row(
        jaxsched.OneCycle,
        example=dict(max_lr=0.1, total_steps=100),
        kwargs=_one_cycle_kwargs(),
        numbers=("max_lr", "total_steps", "pct_start", "div_factor", "final_div_factor"),
        positive=("total_steps", "div_factor", "final_div_factor"),
        nonnegative=("pct_start",),
        bounds=lambda kw: (min(_one_cycle_values(kw)), max(_one_cycle_values(kw))),
        monotone=_one_cycle_monotone,
        end=lambda kw: kw["total_steps"] - 1,
        reference=_each(_one_cycle),
        negative="hold",
        max_examples=4,
        marks=(29, 99),
        cases=(
            (dict(max_lr=1.0, total_steps=101, pct_start=0.5, div_factor=10.0,
                  anneal_strategy="linear"), (49.5, 100)),
            (dict(max_lr=0.01, total_steps=1000, pct_start=0.25, three_phase=True,
                  final_div_factor=100.0), (249, 498, 999)),
        ),
        sweep=(
            dict(max_lr=0.1, total_steps=40, pct_start=0.3, div_factor=25.0,
                 final_div_factor=1e4),
            dict(max_lr=0.5, total_steps=40, pct_start=0.5, div_factor=10.0,
                 final_div_factor=100.0),
            dict(max_lr=0.02, total_steps=40, pct_start=0.1, div_factor=5.0,
                 final_div_factor=10.0),
        ),
    ),
    Row(
        jaxsched.Cyclic,
        example=dict(base_lr=0.01, max_lr=0.1, step_size_up=20, step_size_down=30),
        kwargs=_cyclic_kwargs(),
        numbers=("base_lr", "max_lr", "step_size_up", "step_size_down", "gamma"),
        positive=("step_size_up", "step_size_down", "gamma"),
        # exp_range with gamma > 1 grows the amplitude (up to saturation).
        bounds=lambda kw: (min(kw["base_lr"], kw["max_lr"]),
                           max(kw["base_lr"], kw["max_lr"]) if kw.get("gamma", 1.0) <= 1
                           else _top()),
        continuous_at=_cyclic_continuous,
        reference=_each(_cyclic),
        negative="hold",
        max_examples=4,
        marks=(20, 50, 70, 100),
        cases=(
            (dict(base_lr=0.1, max_lr=1.0, step_size_up=10, mode="triangular2"),
             (10, 20, 30, 40)),
            (dict(base_lr=0.001, max_lr=0.006, step_size_up=7.5, step_size_down=12,
                  mode="exp_range", gamma=0.999), (7.5, 19.5, 27, 39)),
        ),
        sweep=(
            dict(base_lr=0.01, max_lr=0.1, step_size_up=5, step_size_down=10,
                 mode="exp_range", gamma=0.99),
            dict(base_lr=0.0, max_lr=0.3, step_size_up=10, step_size_down=5,
                 mode="exp_range", gamma=0.95),
            dict(base_lr=0.05, max_lr=0.2, step_size_up=3, step_size_down=3,
                 mode="exp_range", gamma=1.0),
        ),
    ),
]

MODERN_ROWS = [*_ARITH, *_OPTAX, *_MODERN]
