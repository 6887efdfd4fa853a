"""One row per schedule class: what the robustness tests need to know about it.

The property-based, step-type, precision and hostile-input tests iterate over
``ROWS``. A new schedule class joins all of them by adding one ``Row``:

* ``example``: a valid config, also the base the hostile tests break one
  argument of;
* ``kwargs``: a hypothesis strategy of valid configs;
* ``numbers`` / ``positive`` / ``nonnegative``: which arguments are numbers,
  which must be > 0 and which >= 0 (the hostile table is built from these);
* ``bounds``, ``monotone``, ``end``, ``continuous_at``: the documented shape
  of the curve for steps >= 0 (None where the class promises nothing);
* ``reference``: an independent float64 evaluation (``tests/reference.py``);
* ``negative``: what negative steps give, ``"extrapolate"`` (the reference
  formula, as Keras) or ``"hold"`` (the step-0 value).
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Any, Callable

import jax
import numpy as np
from hypothesis import strategies as st

import jaxsched
import reference as ref


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

    @property
    def id(self) -> str:
        return self.cls.__name__

    def build(self, kw: dict[str, Any]) -> jaxsched.LearningRateSchedule:
        return self.cls(**kw)


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
    ),
    Row(
        jaxsched.PiecewiseConstantDecay,
        example=dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1]),
        kwargs=_piecewise_kwargs(),
        numbers=(),
        bounds=lambda kw: (min(kw["values"]), max(kw["values"])),
        end=_piecewise_end,
        reference=lambda s, kw: ref.piecewise_constant_decay(s, **kw),
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
    ),
    Row(
        jaxsched.CosineDecay,
        example=dict(initial_learning_rate=0.0, decay_steps=100, warmup_target=0.1,
                     warmup_steps=10),
        kwargs=_cosine_kwargs(),
        numbers=("initial_learning_rate", "decay_steps", "alpha", "warmup_target",
                 "warmup_steps"),
        positive=("decay_steps",),
        nonnegative=("warmup_steps",),
        bounds=_cosine_bounds,
        monotone=_cosine_monotone,
        end=_cosine_end,
        continuous_at=_cosine_continuous,
        reference=_cosine_reference,
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
    ),
]

ROW_IDS = [row.id for row in ROWS]
