"""CosineDecay, CosineDecayRestarts, LinearCosineDecay, NoisyLinearCosineDecay."""

from __future__ import annotations

import dataclasses
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
    cosine factor is evaluated as ``sin(pi/2 * remaining) ** 2``: the same
    value, exact at the end, and accurate to float32 rounding near it.

    Args:
        initial_learning_rate: Value at step 0. Sets the result dtype.
        decay_steps: Length of the decay. Must be > 0.
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
        check(self, "decay_steps", lambda v: v > 0, "must be > 0")
        check(self, "warmup_steps", lambda v: v >= 0, "must be >= 0")

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        lr, k, alpha = nx.cast(dtype, self.initial_learning_rate, self.decay_steps,
                               self.alpha)
        if self.warmup_target is None:
            s = jnp.minimum(s, k)
            return lr * (alpha + (1 - alpha) * nx.half_cosine((k - nx.wrap(s, k)) / k))
        target, w = nx.cast(dtype, self.warmup_target, self.warmup_steps)
        s = jnp.minimum(s, k + w)
        warm = lr + (target - lr) * (s / nx.safe_divisor(w))
        # (The decay branch meets a negative step only without warmup.)
        decayed = alpha + (1 - alpha) * nx.half_cosine((k + w - nx.wrap(s, k)) / k)
        warming = (s < w) & (w > 0)  # no warmup line to extrapolate when w == 0
        return jnp.where(warming, warm, target * decayed)


def _geometric_sum(
    base: jax.Array, n: jax.Array, bits: int = 6
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
    """
    big = jnp.finfo(base.dtype).max
    small = n < 2**bits
    e = jnp.where(small, n, 0).astype(jnp.int32)
    total = jnp.zeros_like(base * n)  # the sum over the bits taken so far
    power = jnp.ones_like(base * n)  # base ** (the bits taken so far)
    block_power, block_sum = base, jnp.ones_like(base)  # for 2**bit terms
    for bit in range(bits):
        take = ((e >> bit) & 1) == 1
        total = jnp.where(take, jnp.minimum(total + power * block_sum, big), total)
        power = jnp.where(take, jnp.minimum(power * block_power, big), power)
        block_sum = jnp.minimum(block_sum * (1 + block_power), big)
        block_power = jnp.minimum(block_power * block_power, big)
    d = base - 1
    n_large = jnp.where(small, 0, n)
    p = jnp.minimum(base**n_large, big)
    near_one = jnp.abs(p - 1) < 0.5
    large = jnp.where(
        near_one, jnp.expm1(jnp.where(near_one, n_large, 0) * jnp.log1p(d)), p - 1
    ) / d
    return (
        jnp.where(small, total, jnp.minimum(large, big)),
        jnp.where(small, power, p),
    )


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
        i, start, period, past_end = _restart(s, k, t)
        remaining = jnp.clip((start + period - s) / period, 0, 1)
        scale = nx.saturate(nx.safe_pow(m, i), dtype)  # m_mul > 1: m ** i overflows
        decayed = alpha + (1 - alpha) * scale * nx.half_cosine(remaining)
        return lr * jnp.where(past_end, alpha, decayed)


def _restart(s, k, t):
    """(restart index, period start, period length, past the t_mul<1 horizon)."""
    # t_mul == 1: periods of k steps.
    i_uniform = nx.floor_div(s, k)
    # t_mul != 1: geometric periods. `t_g` keeps the branch not taken finite.
    geometric = t != 1
    t_g = jnp.where(geometric, t, 2 * jnp.ones_like(t))
    x = (s / k) * (t_g - 1)  # S_i <= s  <=>  t_g ** i <= 1 + x  (t_g > 1)
    beyond = x <= -1  # log1p undefined: past k / (1 - t) for t < 1, or s < 0
    past_end = beyond & (s > 0)
    x = jnp.where(beyond, jnp.zeros_like(x), x)
    # log1p(t - 1): log(t) keeps only a few digits of itself for t near 1.
    i = jnp.maximum(jnp.floor(jnp.log1p(x) / jnp.log1p(t_g - 1)), 0)
    # Check the estimate against the period's start S_i = k * G_i and end
    # S_i + k * t**i, and move it by one where the logarithm rounded across a
    # boundary. One pass gives G_i and t**i; G and t**i of i + 1 and i - 1 are
    # a sum and a product or quotient of them, exact whenever representable.
    total, power = _geometric_sum(t_g, i)
    up = k * (total + power) <= s
    down = (k * total > s) & (i > 0) & ~up
    i_geometric = jnp.where(up, i + 1, jnp.where(down, i - 1, i))
    previous = power / t_g
    total = jnp.where(up, total + power, jnp.where(down, total - previous, total))
    power = jnp.where(up, power * t_g, jnp.where(down, previous, power))
    start_geometric = k * total
    i = jnp.where(geometric, i_geometric, i_uniform)
    # Uniform branch: k * i and k, written as the first-order expansions of
    # the geometric S_i and k * t ** i around t == 1. `d` is 0 there, so the
    # values are unchanged, but the derivative with respect to t_mul is the
    # limit of the geometric one (the schedule is smooth in t_mul at 1).
    # Capping i where the dtype no longer resolves a period keeps it finite.
    d = t - 1
    i_d = jnp.minimum(i_uniform, 1 / jnp.finfo(s.dtype).eps)
    start_uniform = k * (i_uniform + d * i_d * (i_d - 1) / 2)
    start_i = jnp.where(geometric, start_geometric, start_uniform)
    period_uniform = k * (1 + d * i_d)
    period = jnp.where(geometric, k * power, period_uniform)
    past_end = geometric & past_end
    # Negative steps: period 0 extends backwards (the formula extrapolated).
    i = jnp.maximum(i, 0)
    start_i = jnp.where(s < 0, jnp.zeros_like(start_i), start_i)
    period = jnp.where(s < 0, k, period)
    return i, start_i, period, past_end


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
        linear, cosine = _linear_cosine(jnp.minimum(s, k), k, n)
        return lr * ((alpha + linear) * cosine + beta)


def _linear_cosine(s, k, n):
    """(decay_steps - s) / decay_steps and 0.5 * (1 + cos(2 pi n s / k))."""
    linear = (k - s) / k
    cosine = jnp.square(jnp.cos(np.pi * n * (s / k)))  # == 0.5 * (1 + cos(2x))
    return linear, cosine


def _noise_index(step: ArrayLike) -> jax.Array:
    """The integer step the noise is folded from: the step itself for integer
    steps, ``floor(step)`` (clipped to the integer range) for float steps."""
    if not isinstance(step, jax.Array):
        step = np.asarray(step)
        canonical = jax.dtypes.canonicalize_dtype(step.dtype)
        if jnp.issubdtype(step.dtype, np.integer) and canonical != step.dtype:
            # Without x64 only the low 32 bits can be folded in.
            step = (step.astype(np.int64) & 0xFFFFFFFF).astype(np.uint32)
        if step.dtype.kind == "f":  # 1e300 without x64: saturate, not inf
            step = nx.clip_to_dtype(step, jax.dtypes.canonicalize_dtype(step.dtype))
        step = jnp.asarray(step)
    if jnp.issubdtype(step.dtype, np.integer):
        return step
    itype = jax.dtypes.canonicalize_dtype(np.int64)
    info = jnp.iinfo(itype)
    floored = jnp.floor(step.astype(jnp.promote_types(step.dtype, jnp.float32)))
    return jnp.clip(floored, info.min, info.max).astype(itype)


def _standard_normal(key: jax.Array, index: jax.Array, dtype) -> jax.Array:
    """One N(0, 1) draw per element of `index`, from ``fold_in(key, index)``.

    Steps beyond 32 bits (int64 under x64) fold in their high word too, so
    noise never repeats; steps below 2**32 use ``fold_in(key, step)`` alone.
    A batch of keys (a stacked schedule called without ``vmap``) broadcasts
    against `index`, NumPy-style.
    """
    wide = jnp.iinfo(index.dtype).bits > 32

    def one(key, t):
        k = jax.random.fold_in(key, t.astype(jnp.uint32) if wide else t)
        if wide:
            high = (t >> 32).astype(jnp.uint32)
            k = jnp.where(high != 0, jax.random.fold_in(k, high), k)
        return jax.random.normal(k, (), dtype)

    shape = jnp.broadcast_shapes(key.shape, index.shape)
    keys = jnp.broadcast_to(key, shape).reshape(-1)
    flat = jnp.broadcast_to(index, shape).reshape(-1)
    return jax.vmap(one)(keys, flat).reshape(shape)


def _default_key(seed: Any) -> jax.Array:
    return jax.random.key(0 if seed is None else seed)


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
    ``floor(step)``. ``schedule(step, key=other)`` uses another key for one
    call; the schedule stays a one-argument optax schedule.

    Args:
        initial_learning_rate: Sets the result dtype.
        decay_steps: Must be > 0.
        initial_variance: Variance of the noise at step 0, >= 0.
        variance_decay: Decay exponent of the noise variance.
        num_periods: Number of cosine periods over the decay.
        alpha: Added to the linear part.
        beta: Added to the product.
        seed: Integer seed of the default key ``jax.random.key(seed)``
            (None means 0).
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
    seed: int | None = None
    name: str | None = static_field(default=None)
    key: jax.Array | None = dataclasses.field(default=None, metadata={"kind": "key"})

    def __post_init__(self):
        super().__post_init__()
        check(self, "decay_steps", lambda v: v > 0, "must be > 0")
        check(self, "initial_variance", lambda v: v >= 0, "must be >= 0")
        check(self, "seed", lambda v: v % 1 == 0, "must be an integer")
        key = self.key
        if key is None:
            key = _default_key(self.seed)
        elif isinstance(key, (list, tuple, np.ndarray)) or (
            isinstance(key, jax.Array) and not nx.is_key(key)
        ):
            raw = jnp.asarray(key)
            if raw.shape[-1:] != (2,) or not jnp.issubdtype(raw.dtype, np.integer):
                fail(self, "key", "must be a PRNG key (jax.random.key)", key, TypeError)
            key = jax.random.wrap_key_data(raw.astype(jnp.uint32))
        elif not nx.is_key(key):
            fail(self, "key", "must be a PRNG key (jax.random.key)", key, TypeError)
        object.__setattr__(self, "key", key)

    def __call__(self, step: ArrayLike, key: jax.Array | None = None) -> jax.Array:
        """The learning rate at ``step``; ``key`` replaces the schedule's key."""
        # Host steps: the index from the value as given (before conversion to
        # a jit argument); JAX arrays: inside the compiled program.
        host = None if isinstance(step, jax.Array) else _noise_index(step)
        return self._call(step, host, key)

    _raw_step = True  # the noise index comes from the integer step

    def _rate(self, step: jax.Array, dtype, index, key) -> jax.Array:
        index = _noise_index(step) if index is None else index
        s = nx.as_float(step, dtype)
        lr, k, var0, vdecay, n, alpha, beta = nx.cast(
            dtype, self.initial_learning_rate, self.decay_steps,
            self.initial_variance, self.variance_decay, self.num_periods,
            self.alpha, self.beta,
        )
        s = jnp.minimum(s, k)
        linear, cosine = _linear_cosine(s, k, n)
        # Before step 0 the variance holds its step-0 value (1 + step > 0).
        var = var0 / (1 + jnp.maximum(s, 0)) ** vdecay
        std = jnp.where(var > 0, jnp.sqrt(nx.safe_divisor(var)), 0)  # finite grad at 0
        key = self.key if key is None else key
        if not nx.is_key(key):
            key = jax.random.wrap_key_data(jnp.asarray(key).astype(jnp.uint32))
        eps = std * _standard_normal(key, index, dtype)
        return lr * ((alpha + linear + eps) * cosine + beta)

    def get_config(self) -> dict[str, Any]:
        """Keras' arguments, plus ``seed`` when set and ``key`` (as its uint32
        data) when it is not the default key of ``seed``."""
        config = super().get_config()
        if config.get("seed") is None:
            config.pop("seed", None)
        key = self.key
        default = _default_key(self.seed if nx.is_concrete(self.seed) else 0)
        if nx.is_concrete(key) and np.array_equal(
            np.asarray(jax.random.key_data(key)),
            np.asarray(jax.random.key_data(default)),
        ):
            config.pop("key", None)
        return config
