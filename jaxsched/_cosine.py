"""CosineDecay, CosineDecayRestarts, LinearCosineDecay, NoisyLinearCosineDecay."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from . import _numerics as nx
from ._checks import check, fail
from ._core import LearningRateSchedule, static_field


class CosineDecay(LearningRateSchedule):
    """Cosine decay with optional linear warmup (Keras' ``CosineDecay``).

    Without ``warmup_target``::

        step = min(step, decay_steps)
        lr(step) = initial_learning_rate * (alpha + (1 - alpha)
                   * 0.5 * (1 + cos(pi * step / decay_steps)))

    With ``warmup_target``, the rate first goes linearly from
    ``initial_learning_rate`` (step 0) to ``warmup_target`` (step
    ``warmup_steps``, excluded), then decays as above from ``warmup_target``
    over the next ``decay_steps`` steps, and holds ``alpha * warmup_target``
    from ``warmup_steps + decay_steps`` on::

        lr(step) = initial_learning_rate + (warmup_target - initial_learning_rate)
                   * step / warmup_steps                       if step < warmup_steps
        lr(step) = cosine decay from warmup_target at step - warmup_steps
                                                               otherwise

    ``warmup_steps=0`` means no warmup (decay from ``warmup_target``, also
    before step 0). Negative steps extrapolate Keras' formula: the warmup
    line, or without warmup the cosine, continued backwards. The
    cosine factor is evaluated as ``sin(pi/2 * remaining) ** 2`` (on arrays
    of steps by a polynomial, see ``_numerics.half_cosine``): the same
    value, exact at the end, and accurate to float32 rounding near it.

    Args:
        initial_learning_rate: Value at step 0. Sets the result dtype.
        decay_steps: Length of the decay. Must be > 0; 0 is accepted after a
            warmup (``warmup_target`` and ``warmup_steps > 0``, as tf.keras
            configs write warmup-only schedules): the rate then warms up and
            holds ``alpha * warmup_target`` from ``warmup_steps`` on.
        alpha: Final value as a fraction of the decay's start value.
        name: Optional name, kept in the config.
        warmup_target: Value reached at the end of warmup; None for no warmup.
        warmup_steps: Length of the warmup, >= 0. Ignored without
            ``warmup_target``.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.CosineDecay(0.0, 100, warmup_target=0.1, warmup_steps=10)
        >>> print(" ".join(f"{float(sched(s)):.4f}" for s in (0, 5, 10, 60, 110)))
        0.0000 0.0500 0.1000 0.0500 0.0000
    """

    initial_learning_rate: ArrayLike
    decay_steps: ArrayLike
    alpha: ArrayLike = 0.0
    name: str | None = static_field(default=None)
    warmup_target: ArrayLike | None = None
    warmup_steps: ArrayLike = 0

    _plain = ()  # nx.wrap before step 0

    def __post_init__(self):
        super().__post_init__()
        check(self, "warmup_steps", lambda v: v >= 0, "must be >= 0")
        w = self.warmup_steps
        if self.warmup_target is not None and nx.is_concrete(w) and np.all(
                np.asarray(w) > 0):
            # tf.keras' warmup-only schedules: decay_steps=0 after a warmup.
            check(self, "decay_steps", lambda v: v >= 0,
                  "must be >= 0 (0: a warmup only, then alpha * warmup_target)")
        else:
            check(self, "decay_steps", lambda v: v > 0,
                  "must be > 0 (0 only after a warmup: warmup_target and "
                  "warmup_steps > 0)")

    def _bound(self, dtype, low):
        # Between lr * alpha and lr; with a warmup, from step 0 on, between
        # lr and warmup_target, then between warmup_target * alpha and it.
        lr, alpha = nx.cast(dtype, self.initial_learning_rate, self.alpha)
        tops = [lr, lr * alpha]
        if self.warmup_target is not None:
            target = nx.as_float(self.warmup_target, dtype)
            if low < 0:
                return None  # (the warmup line extrapolated before step 0)
            tops += [target, target * alpha]
        if not nx.on_host(*tops) or any(np.ndim(v) for v in tops):
            return None
        return max(abs(float(v)) for v in tops)

    def _finite_rate(self, dtype) -> bool:
        # Without warmup the rate is between lr * alpha and lr: finite where
        # they are well inside the range (known while tracing). (A warmup
        # line extrapolates before step 0.)
        lr, alpha = nx.cast(dtype, self.initial_learning_rate, self.alpha)
        return (self.warmup_target is None and nx.on_host(lr, alpha)
                and nx.well_inside(dtype, lr, lr * alpha))

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        lr, k, alpha = nx.cast(dtype, self.initial_learning_rate, self.decay_steps,
                               self.alpha)
        if self.warmup_target is None:
            s = jnp.minimum(s, k)
            return lr * (alpha + (1 - alpha) * nx.half_cosine((k - nx.wrap(s, k)) / k))
        target, w = nx.cast(dtype, self.warmup_target, self.warmup_steps)
        # (Finite at -inf: a flat warmup line stays flat, not -inf * 0.)
        s = jnp.clip(s, -jnp.finfo(dtype).max, k + w)
        warm = lr + (target - lr) * (s / nx.safe_divisor(w))
        # (The decay branch meets a negative step only without warmup.)
        # decay_steps=0 (a warmup only): s == w after the warmup, remaining
        # 0 / 1 = 0, alpha * target.
        kd = nx.safe_divisor(k)
        # The steps into the decay, at most k: s - w, not k + w - s, whose
        # k + w rounds where w is large (k = 5, w = 1e8 + 8 in float32:
        # 1.6 periods at s = w). With w == 0 a step before 0 wraps.
        d = jnp.minimum(s - w, k)
        decayed = alpha + (1 - alpha) * nx.half_cosine((k - nx.wrap(d, kd)) / kd)
        warming = (s < w) & (w > 0)  # no warmup line to extrapolate when w == 0
        return nx.where(warming, warm, target * decayed)


def _geometric_sum(
    base: jax.Array, n: jax.Array, bits: int = 6, n_bound: float | None = None
) -> tuple[jax.Array, jax.Array]:
    """(1 + base + ... + base ** (n - 1), base ** n) for integral float n >= 0
    and base > 0, base != 1: the sum is (base ** n - 1) / (base - 1).

    For n below 2**bits, binary powering on (power, sum) pairs: only positive
    numbers are multiplied and added, so there is no cancellation (the closed
    form loses 6e-4 of itself at base = 1.0001 in float32, where base ** 2 - 1
    keeps three digits), and the result is exact whenever it is representable
    (base 2, 3, 1.5, 0.5, 0.75). Larger n use the closed form, or, where
    base ** n is within 1/2 of 1, expm1(n * log1p(base - 1)) / (base - 1)
    (XLA's expm1 and log1p are less accurate than its pow elsewhere). The
    squarings are clamped to the finite range, so that the unused high powers
    of a large base cannot put inf (and so NaN gradients) into the program.
    `n_bound`, known while tracing: n is below it at every step; below
    2**bits, the larger n's branch is not traced (on a whole curve of
    ``CosineDecayRestarts``, its logarithm, power and expm1 were a third
    of the time).
    """
    big = jnp.finfo(base.dtype).max
    bounded = n_bound is not None and n_bound < 2**bits  # (every n small)
    small = None if bounded else n < 2**bits
    # (Unsigned: n >= 0, and a table read needs no wrap of negative indices.)
    e = (n if bounded else nx.where(small, n, 0)).astype(jnp.uint32)
    if bounded and nx.on_host(base) and np.ndim(base) == 0 and base == 2:
        # Base 2 (Keras' default t_mul): 2 ** e from its exponent bits, and
        # 2 ** e - 1, the same numbers as the table below (each exact, or
        # rounded once: checked for every e < 64 in float32 and float64),
        # without reading a table (a gather from a constant: a sixth of a
        # scalar first call's compile).
        info = jnp.finfo(base.dtype)
        bits_type = jnp.dtype(f"uint{8 * info.dtype.itemsize}")
        exponent = (e.astype(bits_type) + (info.maxexp - 1)) << info.nmant
        power = jax.lax.bitcast_convert_type(exponent, base.dtype)
        return power - 1, power
    if nx.on_host(base) and np.ndim(base) == 0:
        # A base known while tracing: the same products and sums for every
        # e < 2**bits, on the host, read at e.
        total, power = _binary_powers(np, base, np.arange(2**bits), bits)
        total, power = nx.take(total, e), nx.take(power, e)
    else:
        total, power = _binary_powers(jnp, base, e, bits)
    if bounded:
        return total, power
    d = base - 1
    log_base = np.log1p(d) if nx.on_host(d) else jnp.log1p(d)
    n_large = nx.where(small, 0, n)
    p = jnp.minimum(base**n_large, big)
    near_one = jnp.abs(p - 1) < 0.5
    large = nx.where(near_one, jnp.expm1(nx.where(near_one, n_large, 0) * log_base), p - 1) / d
    return (
        nx.where(small, total, jnp.minimum(large, big)),
        nx.where(small, power, p),
    )


def _binary_powers(xp, base, e, bits):
    """(1 + base + ... + base ** (e - 1), base ** e) for integers
    0 <= e < 2**bits, by binary powering (see `_geometric_sum`)."""
    big = xp.finfo(base.dtype).max
    where = np.where if xp is np else nx.where
    total = xp.zeros(np.shape(e), base.dtype)  # the sum over the bits taken so far
    power = xp.ones(np.shape(e), base.dtype)  # base ** (the bits taken so far)
    block_power, block_sum = base, xp.ones_like(base)  # for 2**bit terms
    for bit in range(bits):
        take = ((e >> bit) & 1) == 1
        total = where(take, xp.minimum(total + power * block_sum, big), total)
        power = where(take, xp.minimum(power * block_power, big), power)
        block_sum = xp.minimum(block_sum * (1 + block_power), big)
        block_power = xp.minimum(block_power * block_power, big)
    return total, power


def _index_bound(k, t, dtype) -> float | None:
    """A bound, known while tracing, on the logarithm's estimate of the
    restart index over every step this call can see (k and t_mul on the
    host, t_mul != 1), or None. t_mul > 1: from the highest integer step
    (``nx.highest_step``). t_mul < 1: ``1 + x`` of the logarithm is at
    least half the dtype's epsilon short of 0 wherever it is taken, so the
    estimate is below ``log(eps / 2) / log(t_mul)`` at any step. A margin
    of 1% and 2 covers the roundings of the logarithms."""
    if not nx.on_host(k, t) or np.ndim(k) or np.ndim(t):
        return None
    t = float(t)
    if t > 1:
        high = nx.highest_step()
        if high is None:
            return None
        top = math.log1p(2 * high / float(k) * (t - 1)) / math.log1p(t - 1)
    else:
        top = math.log(float(jnp.finfo(dtype).eps) / 2) / math.log1p(t - 1)
    return 1.01 * top + 2


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts, SGDR (Keras' ``CosineDecayRestarts``).

    Period ``i`` (from 0) lasts ``first_decay_steps * t_mul ** i`` steps and
    starts at ``S_i = first_decay_steps * (t_mul ** i - 1) / (t_mul - 1)``
    (``first_decay_steps * i`` when ``t_mul == 1``). Within it::

        lr(step) = initial_learning_rate * (alpha + (1 - alpha) * m_mul ** i
                   * 0.5 * (1 + cos(pi * (step - S_i) / period_i)))

    A restart step ``S_i`` already belongs to period ``i`` (full value
    ``m_mul ** i``). The restart index is computed from the logarithm, then
    checked against ``S_i`` and ``S_(i+1)`` and corrected, so it is exact at
    every restart boundary where Keras' float32 ``floor(log(...))`` can land
    one period off. With ``t_mul < 1`` the periods shrink and sum to
    ``first_decay_steps / (1 - t_mul)``; from there on the rate holds
    ``alpha * initial_learning_rate`` (Keras returns NaN). Both branches are
    NaN-free also when ``t_mul`` is traced (``vmap`` over it, ``grad``).
    With ``t_mul == 1`` the position in the period is the exact remainder
    ``fmod(step, first_decay_steps)``, so a fractional ``first_decay_steps``
    keeps its phase at any step. At ``+inf`` the rate is that of the largest
    finite step; with ``t_mul > 1``, from step ``max / (4 * t_mul ** 2)``
    on (float32, ``t_mul=2``: 2e37), where the periods leave the float
    range, that of this step. Where the restart's peak ``m_mul ** i`` would
    overflow (``m_mul > 1``) the rate holds the largest finite value.

    Args:
        initial_learning_rate: Value at step 0. Sets the result dtype.
        first_decay_steps: Length of the first period. Must be > 0.
        t_mul: Factor on the period length at each restart. Must be > 0.
        m_mul: Factor on the restart value at each restart, >= 0.
        alpha: Minimum value as a fraction of ``initial_learning_rate``.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=0.5)
        >>> print(" ".join(f"{float(sched(s)):.4f}" for s in (0, 5, 10, 20, 30)))
        0.1000 0.0500 0.0500 0.0250 0.0250
    """

    initial_learning_rate: ArrayLike
    first_decay_steps: ArrayLike
    t_mul: ArrayLike = 2.0
    m_mul: ArrayLike = 1.0
    alpha: ArrayLike = 0.0
    name: str | None = static_field(default=None)

    @property
    def _plain(self) -> tuple[str, ...] | None:
        # The periods of t_mul == 1 take the exact remainder (fmod, a library
        # call per element that stops XLA from vectorizing the loop: a sweep
        # over t_mul computes both branches, 1.7x the limit's time with it,
        # 1.05x without), which steps in [0, 2**mantissa) and an integral
        # first_decay_steps >= 2 get by a subtraction (nx.remainder). A
        # captured t_mul != 1 traces the geometric periods alone: no fmod.
        if nx.on_host(self.t_mul) and np.ndim(self.t_mul) == 0 and self.t_mul != 1:
            return None
        return ("first_decay_steps",)

    _plain_at_least = 2

    def __post_init__(self):
        super().__post_init__()
        check(self, "first_decay_steps", lambda v: v > 0, "must be > 0")
        check(self, "t_mul", lambda v: v > 0, "must be > 0")
        check(self, "m_mul", lambda v: v >= 0, "must be >= 0")

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        lr, k, t, m, alpha = nx.cast(
            dtype, self.initial_learning_rate, self.first_decay_steps,
            self.t_mul, self.m_mul, self.alpha,
        )
        if nx.highest_step() is None:
            # +inf: the largest finite step (every period and index stays
            # finite). (Integer steps are finite.)
            s = jnp.minimum(s, jnp.finfo(dtype).max)
        i, to_end, period, past_end = _restart(s, k, t)
        remaining = jnp.clip(to_end / period, 0, 1)
        # m_mul > 1: where the restart's peak lr * (1 - alpha) * m ** i
        # would overflow, the rate holds the largest finite value (with
        # zero gradients) over the whole period. (i >= 0.)
        peak = nx.scaled_power(lr * (1 - alpha), m, i, nx.safe_pow, nonnegative=True)
        low = lr * alpha
        decayed = low + peak * nx.half_cosine(remaining)
        if not self._finite_rate(dtype):
            held = jnp.abs(peak) == jnp.finfo(dtype).max
            decayed = nx.where(held, peak, decayed)
        return decayed if past_end is False else nx.where(past_end, low, decayed)

    def _finite_rate(self, dtype) -> bool:
        # Known while tracing: m_mul <= 1 and a peak and a floor well inside
        # the range (the rate lies between them): no peak held, no final
        # clamp.
        lr, m, alpha = nx.cast(dtype, self.initial_learning_rate, self.m_mul, self.alpha)
        return (nx.on_host(m) and bool(np.all(m <= 1))
                and nx.well_inside(dtype, lr * (1 - alpha), lr * alpha, lr))


def _restart(s, k, t):
    """(restart index, steps to the end of the period, period length, past the
    t_mul<1 horizon), for a finite or -inf step `s`.

    Both branches, selected by ``t_mul != 1``, unless t_mul is known while
    tracing (a captured schedule): then only its own (the same values)."""
    if nx.on_host(t) and np.ndim(t) == 0:  # (a stacked t_mul: both, selected)
        if t == 1:
            i, to_end, period = _uniform_periods(s, k, t)
            past_end = False
        else:
            i, to_end, period, past_end = _geometric_periods(s, k, t)
            if t > 1:
                # Steps before 0 are in period 0 already (its start 0 and
                # length k give k - s to its end), whether k is known
                # (the index from max(s, 0)) or traced (log1p's argument
                # in (-1, 0) or set to 0, the index clamped at 0).
                return i, to_end, period, past_end
    else:
        geometric = t != 1
        # `t_g` keeps the branch not taken finite.
        t_g = nx.where(geometric, t, 2 * jnp.ones_like(t))
        i_g, to_end_g, period_g, past_end = _geometric_periods(s, k, t_g)
        i_u, to_end_u, period_u = _uniform_periods(s, k, t)
        i = nx.where(geometric, i_g, i_u)
        to_end = nx.where(geometric, to_end_g, to_end_u)
        period = nx.where(geometric, period_g, period_u)
        past_end = geometric & past_end
    # Negative steps: period 0 extends backwards (the formula extrapolated).
    i = jnp.maximum(i, 0)
    to_end = nx.where(s < 0, k - s, to_end)
    period = nx.where(s < 0, k, period)
    return i, to_end, period, past_end


def _uniform_periods(s, k, t):
    """(index, steps to the period's end, its length) for t_mul == 1: periods
    of k steps.

    The period's end S_(i+1) - s and its length k are written as the
    first-order expansions of the geometric ones around t == 1. `d` is 0
    there, so the values are unchanged, but the derivative with respect to
    t_mul is the limit of the geometric one (the schedule is smooth in t_mul
    at 1). The position in the period is the exact remainder fmod(s, k), not
    s - k * i, whose rounding at large steps (k * i past 2**24 in float32)
    would move the phase of a fractional k. i is capped where the dtype no
    longer resolves a period (finite)."""
    i = nx.floor_div(s, k)
    d = t - 1
    i_d = jnp.clip(i, 0, 1 / jnp.finfo(s.dtype).eps)
    to_end = (k - nx.remainder(s, k, i)) + k * (d * (i_d * (i_d + 1) / 2))
    return i, to_end, k * (1 + d * i_d)


def _geometric_periods(s, k, t):
    """(index, steps to the period's end, its length, past the t < 1
    horizon) for t_mul != 1: geometric periods."""
    # Past max / (4 t**2) (times k when k < 1) a period's length and end are
    # beyond the float range (float32, t_mul=2: from 2e37 steps on): there
    # the geometric branch holds the value of that step. (inf for t < 1: no
    # bound.)
    xp = np if nx.on_host(k, t) else jnp  # (hyperparameters known: on the host)
    big = jnp.finfo(s.dtype).max
    top = big / (4 * t * t) * xp.minimum(k, 1)
    high = nx.highest_step()  # (integer steps: all below it, or not)
    s_g = (s if xp is np and high is not None and bool(np.all(2 * high < top))
           else jnp.minimum(s, top))
    growing = xp is np and bool(np.all(t > 1))  # (known while tracing)
    if growing:
        # Steps before 0 in period 0, whose start and length (G_0 = 0,
        # t**0 = 1) give them k - s to its end and k: the index from
        # max(s, 0), the rest from s.
        s_i = jnp.maximum(s_g, 0)
        x = (s_i / k) * (t - 1)
        past_end = False
    else:
        s_i = s_g
        x = (s_g / k) * (t - 1)  # S_i <= s <=> t ** i <= 1 + x  (t > 1)
        beyond = x <= -1  # log1p undefined: past k / (1 - t) for t < 1, or s < 0
        past_end = beyond & (s > 0)
        x = nx.where(beyond, jnp.zeros_like(x), x)
    # log1p(t - 1): log(t) keeps only a few digits of itself for t near 1.
    i = jnp.floor(jnp.log1p(x) / xp.log1p(t - 1))  # (>= 0 where x >= 0)
    if not growing:
        i = jnp.maximum(i, 0)
    # Check the estimate against the period's start S_i = k * G_i and end
    # S_i + k * t**i, and move it by one where the logarithm rounded across a
    # boundary. One pass gives G_i and t**i; G and t**i of i + 1 and i - 1 are
    # a sum and a product or quotient of them, exact whenever representable.
    # (Not both: the end is at or after the start, rounded too. With s_i >= 0
    # an index 0, whose start is 0, is never moved down.)
    total, power = _geometric_sum(t, i, n_bound=_index_bound(k, t, s.dtype))
    up = k * (total + power) <= s_i
    down = k * total > s_i
    if not growing:
        down = down & (i > 0)
    i = nx.where(up, i + 1, nx.where(down, i - 1, i))
    previous = power / t
    total = nx.where(up, total + power, nx.where(down, total - previous, total))
    period = k * nx.where(up, power * t, nx.where(down, previous, power))
    return i, k * total + period - s_g, period, past_end


class LinearCosineDecay(LearningRateSchedule):
    """Linear cosine decay (tf.keras' ``LinearCosineDecay``; Keras 3 dropped it).

    ::

        step = min(step, decay_steps)
        linear_decay = (decay_steps - step) / decay_steps
        cosine_decay = 0.5 * (1 + cos(pi * 2 * num_periods * step / decay_steps))
        decayed = (alpha + linear_decay) * cosine_decay + beta
        lr(step) = initial_learning_rate * decayed

    See Bello et al., "Neural Optimizer Search with Reinforcement Learning"
    (ICML 2017).

    The cosine's phase ``num_periods * step / decay_steps`` is computed to
    twice the float precision (exact products), so that its rounding is not
    amplified near the cosine's troughs: within a few float32 roundings of
    the exact value of the float32 hyperparameters at every step. Before
    step 0 the formula is extrapolated down to ``-2**24 * decay_steps``
    (where float32 steps no longer resolve a period); before that, and at
    ``-inf``, the rate is that of this step.

    Args:
        initial_learning_rate: Value at step 0 is ``initial_learning_rate *
            (1 + alpha + beta)``. Sets the result dtype.
        decay_steps: Must be > 0.
        num_periods: Number of cosine periods over the decay.
        alpha: Added to the linear part.
        beta: Added to the product; the final value is ``beta * initial_learning_rate``.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.LinearCosineDecay(0.1, 100)
        >>> print(f"{float(sched(0)):.4f} {float(sched(50)):.4f} {float(sched(100)):.6f}")
        0.1001 0.0251 0.000100
    """

    initial_learning_rate: ArrayLike
    decay_steps: ArrayLike
    num_periods: ArrayLike = 0.5
    alpha: ArrayLike = 0.0
    beta: ArrayLike = 0.001
    name: str | None = static_field(default=None)

    def __post_init__(self):
        super().__post_init__()
        check(self, "decay_steps", lambda v: v > 0, "must be > 0")

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        lr, k, n, alpha, beta = nx.cast(
            dtype, self.initial_learning_rate, self.decay_steps,
            self.num_periods, self.alpha, self.beta,
        )
        linear, cosine = _linear_cosine(_clamp(s, k), k, n)
        return lr * ((alpha + linear) * cosine + beta)


def _clamp(s, k):
    """min(s, decay_steps), and at least -2**24 * decay_steps: before that
    the float32 steps no longer resolve a cosine period, and the value of
    that step is held (finite, with finite gradients, down to -inf)."""
    return jnp.clip(s, -(2.0**24) * k, k)


def _linear_cosine(s, k, n):
    """(decay_steps - s) / decay_steps and 0.5 * (1 + cos(2 pi n s / k)).

    The cosine is ``cos(pi u) ** 2`` with ``u = n * s / k``, evaluated as
    ``sin(pi * d) ** 2`` where ``d`` is the distance from ``u`` to the nearest
    trough (a half-integer). ``u`` is computed as a sum of two floats, from
    ``n / k`` as a sum of two floats and Dekker's exact products, so that the
    rounding of ``n * s / k`` (which near a trough is amplified by the
    cosine's slope over its small value: 5e-6 of the value at step 75 of
    ``LinearCosineDecay(0.1, 100, num_periods=3.3)`` with the plain formula)
    is not in ``d``: near the troughs the result is within a few float32
    roundings of the exact value of the float32 hyperparameters.
    """
    linear = (k - s) / k
    ratio = n / k  # n / k == ratio + ratio_low (to twice the float precision)
    p, e = nx.two_product(ratio, k)
    ratio_low = ((n - p) - e) / k
    u, u_low = nx.two_product(s, ratio)
    u_low = u_low + s * ratio_low
    r = u - jnp.round(u)  # in [-1/2, 1/2], exact
    d = (0.5 - jnp.abs(r)) - jnp.sign(r) * u_low
    cosine = nx.half_cosine(2 * d)  # sin(pi d) ** 2 == 0.5 * (1 + cos(2 pi u))
    return linear, cosine


_INT64_MAX = 2**63 - 1


def _host_noise_words(step: Any) -> tuple[np.ndarray, np.ndarray]:
    """(high, low) uint32 words of the noise index of a host step (NumPy).

    The noise index is the integer step (``floor(step)`` for a float step)
    clipped to int64's range (NaN: 0), taken as an int64 in two's
    complement: the same words for every type that holds the same integer
    value, whatever the x64 flag.
    """
    a = np.asarray(step)
    if a.dtype.kind == "u":
        t = np.minimum(a, np.uint64(_INT64_MAX)).astype(np.int64)
    elif a.dtype.kind == "i":
        t = a.astype(np.int64)
    else:
        with np.errstate(invalid="ignore"):
            f = np.floor(a.astype(np.float64))
            big, small = f >= 2.0**63, f < -(2.0**63)
            inside = ~(big | small | np.isnan(f))
            t = np.where(inside, f, 0).astype(np.int64)
        t = np.where(big, _INT64_MAX, np.where(small, -_INT64_MAX - 1, t))
    low = (t & 0xFFFFFFFF).astype(np.uint32)
    high = ((t >> 32) & 0xFFFFFFFF).astype(np.uint32)
    return high, low


def _noise_words(step: jax.Array) -> tuple[jax.Array, jax.Array]:
    """:func:`_host_noise_words` inside the compiled program, for JAX arrays
    of any integer or float dtype (no int64 needed without x64)."""
    dtype = step.dtype
    if jnp.issubdtype(dtype, np.integer):
        bits = jnp.iinfo(dtype).bits
        if jnp.issubdtype(dtype, np.unsignedinteger):
            if bits <= 32:
                return jnp.zeros(step.shape, jnp.uint32), step.astype(jnp.uint32)
            step = jnp.minimum(step, np.uint64(_INT64_MAX)).astype(jnp.int64)
        if bits <= 32:  # the high word is the sign extension
            high = nx.where(step < 0, jnp.uint32(0xFFFFFFFF), jnp.uint32(0))
            return high, step.astype(jnp.uint32)
        return (step >> 32).astype(jnp.uint32), step.astype(jnp.uint32)
    f = jnp.floor(step.astype(jnp.promote_types(dtype, jnp.float32)))
    # |f| = high * 2**32 + low with 0 <= low < 2**32, both exact in f's dtype
    # (low keeps a subset of the bits of |f|); a negative f is then negated in
    # two's complement, in uint32 words.
    m = jnp.abs(f)
    big, nan = m >= 2.0**63, jnp.isnan(f)
    m = nx.where(big | nan, 0, m)
    mh = jnp.floor(m / 2.0**32)
    high, low = mh.astype(jnp.uint32), (m - mh * 2.0**32).astype(jnp.uint32)
    neg_low = jnp.uint32(0) - low
    neg_high = ~high + nx.where(low == 0, jnp.uint32(1), jnp.uint32(0))
    negative = f < 0
    high, low = nx.where(negative, neg_high, high), nx.where(negative, neg_low, low)
    # Beyond int64: its largest or smallest value.
    high = nx.where(big, nx.where(negative, jnp.uint32(0x80000000),
                                    jnp.uint32(0x7FFFFFFF)), high)
    low = nx.where(big & ~negative, jnp.uint32(0xFFFFFFFF), low)
    return high, low


def _standard_normal(key: jax.Array, words, dtype) -> jax.Array:
    """One N(0, 1) draw per step: ``fold_in(key, low)``, then the high word
    folded in when it is not 0.

    `words` are the (high, low) uint32 words of the int64 noise index: steps
    in ``[0, 2**32)`` draw from ``fold_in(key, step)`` alone; other steps
    (negative ones, or beyond 32 bits) fold in their high word too, so noise
    never repeats. A batch of keys (a stacked schedule called without
    ``vmap``) broadcasts against the steps, NumPy-style.
    """
    high, low = words
    shape = jnp.broadcast_shapes(key.shape, jnp.shape(low))
    # A whole curve with one key: vmap leaves the key unbatched, so that the
    # hash's work on the key alone is done once, not once per step (the
    # curve took 1.2x the time of the limit's fold_in per step with the key
    # broadcast, 1.0x without). The same draws. (Fewer steps keep it
    # broadcast: a shorter program to compile, 15% of a scalar first call.)
    one_key = key.shape == () and np.size(low) >= nx.MANY_STEPS

    def draws(fold_high):
        def one(key, hi, lo):
            if not fold_high:
                return jax.random.normal(jax.random.fold_in(key, lo), (), dtype)
            # fold_in(key, lo), then fold_in(., hi) where hi != 0: one hash
            # in a loop of two turns, not two hashes in sequence (a third of
            # the program to compile: a scalar first call took 1.3x the
            # limit's time with two, 1.2x with the loop). (Two turns always:
            # checkify rejects a while loop whose turns vmap batches.)
            def fold(turn):
                i, k = turn
                folded = jax.random.fold_in(k, nx.where(i == 0, lo, hi))
                return i + 1, nx.where((i == 0) | (hi != 0), folded, k)

            with jax.disable_jit(False):  # (a loop, not two turns of Python: _own_code)
                _, k = jax.lax.while_loop(lambda turn: turn[0] < 2, fold, (0, key))
            return jax.random.normal(k, (), dtype)

        if shape == ():
            # A scalar step and key: the draw itself, without vmap's
            # batching of every primitive (a shorter first trace).
            return one(key, high, low)
        keys = key if one_key else jnp.broadcast_to(key, shape).reshape(-1)
        flat = [jnp.broadcast_to(w, shape).reshape(-1) for w in (high, low)]
        return jax.vmap(one, in_axes=(None if one_key else 0, 0, 0))(keys, *flat).reshape(shape)

    if np.size(low) < nx.MANY_STEPS:
        return draws(True)
    # A whole curve: where every high word is 0 (steps in [0, 2**32)), the
    # same draws without the second fold_in, which the select computes for
    # every step (a third of the hashing: the curve took 1.5x the limit's).
    return jax.lax.cond(nx.every(~jnp.any(high)), lambda: draws(False),
                        lambda: draws(True))


def _check_seed(obj: Any, seed: Any) -> Any:
    """A seed that ``jax.random.key`` takes: an integer in [-2**63, 2**63), or
    a NumPy or JAX integer (an array of them in a stacked schedule); never a
    float or a bool.

    A Python int beyond int32 is kept as a 0-d int64 NumPy array: the seed is
    a pytree leaf, a jit argument of every call, where JAX rejects such a
    Python int without x64.
    """
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)):
        fail(obj, "seed", "must be an integer (a jax.random.key seed), not a bool",
             seed, TypeError)
    if isinstance(seed, int):
        if not -(2**63) <= seed < 2**63:
            fail(obj, "seed", "must fit in 64 bits (jax.random.key takes seeds in "
                 "[-2**63, 2**63))", seed)
        return seed if -(2**31) <= seed < 2**31 else np.asarray(seed, np.int64)
    if not isinstance(seed, (np.ndarray, np.generic, jax.Array)) or nx.is_key(seed):
        fail(obj, "seed", "must be an integer (a jax.random.key seed)", seed, TypeError)
    if not jnp.issubdtype(seed.dtype, np.integer):
        fail(obj, "seed", f"must be an integer (a jax.random.key seed; got dtype "
             f"{seed.dtype})", seed, TypeError)
    return seed


def _default_key(seed: Any) -> jax.Array:
    """``jax.random.key(seed)`` (seed None: 0), elementwise for an array of
    seeds (a stacked schedule)."""
    if seed is None:
        return jax.random.key(0)
    if np.ndim(seed) == 0:
        return jax.random.key(seed)
    flat = jnp.ravel(jnp.asarray(seed))
    return jax.vmap(jax.random.key)(flat).reshape(np.shape(seed))


def _raw_key(obj: Any, key: Any) -> Any:
    """Raw uint32 key data (a list, NumPy or JAX integer array whose last axis
    has length 2), checked: rectangular, integers in [0, 2**32)."""
    if isinstance(key, jax.Array):
        raw = key
    else:
        try:
            raw = np.asarray(key)
        except (ValueError, OverflowError):  # ragged lists
            fail(obj, "key", "must be a PRNG key or its uint32 data (a rectangular "
                 "list of integers)", key)
    if raw.shape[-1:] != (2,) or not jnp.issubdtype(raw.dtype, np.integer):
        fail(obj, "key", "must be a PRNG key (jax.random.key) or its uint32 data "
             "(last axis of length 2)", key, TypeError)
    if nx.is_concrete(raw):
        words = np.asarray(raw)
        if words.size and (words.min() < 0 or words.max() > 0xFFFFFFFF):
            fail(obj, "key", "must hold uint32 words (integers in [0, 2**32))", key)
    return raw.astype(np.uint32) if isinstance(raw, np.ndarray) else raw.astype(
        jnp.uint32)


class NoisyLinearCosineDecay(LearningRateSchedule):
    """Linear cosine decay with Gaussian noise (tf.keras' ``NoisyLinearCosineDecay``).

    ::

        step = min(step, decay_steps)
        linear_decay = (decay_steps - step) / decay_steps
        cosine_decay = 0.5 * (1 + cos(pi * 2 * num_periods * step / decay_steps))
        eps_t ~ Normal(0, initial_variance / (1 + step) ** variance_decay)
        decayed = (alpha + linear_decay + eps_t) * cosine_decay + beta
        lr(step) = initial_learning_rate * decayed

    The noise comes from an explicit PRNG key, never from hidden state: at
    step ``t`` it is drawn from ``jax.random.fold_in(key, t)``, so the same
    schedule gives the same value at the same step, under ``jit`` or not, and
    different steps get independent draws. Float steps draw at
    ``floor(step)``. The draw depends on the integer value only, whatever
    its type (Python, NumPy or JAX; int32, int64, uint32, float) and the x64
    flag: ``t`` is taken as an int64 (clipped to its range), ``fold_in``
    gets its low 32 bits, and then, when they are not 0, its high 32 bits
    (negative steps and steps from ``2**32`` on). ``schedule(step,
    key=other)`` uses another key for one call; the schedule stays a
    one-argument optax schedule.

    Args:
        initial_learning_rate: Sets the result dtype.
        decay_steps: Must be > 0.
        initial_variance: Variance of the noise at step 0, >= 0.
        variance_decay: Decay exponent of the noise variance.
        num_periods: Number of cosine periods over the decay.
        alpha: Added to the linear part.
        beta: Added to the product.
        seed: Integer seed of the default key ``jax.random.key(seed)``
            (None means 0): any seed ``jax.random.key`` takes (a Python int
            in ``[-2**63, 2**63)``, a NumPy or JAX integer); a float is a
            ``TypeError``.
        name: Optional name, kept in the config.
        key: A PRNG key (typed, or a raw uint32 key); overrides ``seed``.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.NoisyLinearCosineDecay(0.1, 1000, seed=0)
        >>> bool(sched(10) == sched(10)), bool(sched(10) == sched(11))
        (True, False)
    """

    initial_learning_rate: ArrayLike
    decay_steps: ArrayLike
    initial_variance: ArrayLike = 1.0
    variance_decay: ArrayLike = 0.55
    num_periods: ArrayLike = 0.5
    alpha: ArrayLike = 0.0
    beta: ArrayLike = 0.001
    seed: int | None = dataclasses.field(default=None, metadata={"kind": "any"})
    name: str | None = static_field(default=None)
    key: jax.Array | None = dataclasses.field(default=None, metadata={"kind": "key"})

    def __post_init__(self):
        super().__post_init__()
        check(self, "decay_steps", lambda v: v > 0, "must be > 0")
        check(self, "initial_variance", lambda v: v >= 0, "must be >= 0")
        if nx.is_concrete(self.seed):
            object.__setattr__(self, "seed", _check_seed(self, self.seed))
        elif not jnp.issubdtype(self.seed.dtype, np.integer):
            _check_seed(self, self.seed)  # a traced float seed: TypeError
        key = self.key
        if key is None:
            key = _default_key(self.seed)
        elif isinstance(key, (list, tuple, np.ndarray)) or (
            isinstance(key, jax.Array) and not nx.is_key(key)
        ):
            key = jax.random.wrap_key_data(_raw_key(self, key))
        elif not nx.is_key(key):
            fail(self, "key", "must be a PRNG key (jax.random.key)", key, TypeError)
        object.__setattr__(self, "key", key)

    def __call__(self, step: ArrayLike, key: jax.Array | None = None) -> jax.Array:
        """The learning rate at ``step``; ``key`` replaces the schedule's key."""
        # Host steps: the noise index from the value as given (before the
        # conversion to a jit argument); JAX arrays: inside the compiled program.
        converted = nx.host_step(step)  # a TypeError naming `step` first
        words = None if isinstance(step, jax.Array) else _host_noise_words(step)
        return self._call(converted, words, key)

    _raw_step = True  # the noise index comes from the integer step

    def _rate(self, step: jax.Array, dtype, words, key) -> jax.Array:
        words = _noise_words(step) if words is None else words
        s = nx.as_float(step, dtype)
        lr, k, var0, vdecay, n, alpha, beta = nx.cast(
            dtype, self.initial_learning_rate, self.decay_steps,
            self.initial_variance, self.variance_decay, self.num_periods,
            self.alpha, self.beta,
        )
        s = _clamp(s, k)
        linear, cosine = _linear_cosine(s, k, n)
        # Before step 0 the variance holds its step-0 value (1 + step > 0);
        # a variance growing past the float range (variance_decay < 0) holds
        # the largest float, so that the noise times a zero cosine is 0.
        var = jnp.minimum(var0 / (1 + jnp.maximum(s, 0)) ** vdecay,
                          jnp.finfo(dtype).max)
        std = nx.where(var > 0, jnp.sqrt(nx.safe_divisor(var)), 0)  # finite grad at 0
        key = self.key if key is None else key
        if not nx.is_key(key):
            key = jax.random.wrap_key_data(jnp.asarray(key).astype(jnp.uint32))
        eps = std * _standard_normal(key, words, dtype)
        return lr * ((alpha + linear + eps) * cosine + beta)

    def get_config(self) -> dict[str, Any]:
        """Keras' arguments, plus ``seed`` when set and ``key`` (as its uint32
        data) when it is not the default key of ``seed``. Seeds outside
        ``[0, 2**32)`` keep their key too: ``jax.random.key`` maps them to
        different keys with and without x64."""
        config = super().get_config()
        if config.get("seed") is None:
            config.pop("seed", None)
        key, seed = self.key, self.seed
        default = _default_key(seed if nx.is_concrete(seed) else 0)
        same_in_both_modes = seed is None or (
            nx.is_concrete(seed) and np.all((np.asarray(seed) >= 0)
                                            & (np.asarray(seed) < 2**32)))
        if same_in_both_modes and nx.is_concrete(key) and np.array_equal(
            np.asarray(jax.random.key_data(key)),
            np.asarray(jax.random.key_data(default)),
        ):
            config.pop("key", None)
        return config
