"""TF Model Garden's power decays and stepwise cosine decay.

``DirectPowerDecay``, ``PowerAndLinearDecay``, ``PowerDecayWithOffset`` and
``StepCosineDecayWithOffset``, with Model Garden's argument names, defaults
and formulas, NaN-free: a growing power holds the dtype's largest finite
value where the rate would overflow (with zero gradients there), and the
stepwise cosine holds its last value
from the last boundary on, where Model Garden divides by zero.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from . import _numerics as nx
from ._checks import check, check_increasing, fail, to_vector
from ._core import LearningRateSchedule, static_field


def _power_rate(lr: jax.Array, s: jax.Array, power: jax.Array) -> jax.Array:
    """Model Garden's ``lr * max(s, 1) ** power``, holding the largest finite
    value (with zero gradients) where it would overflow."""
    return nx.scaled_power(lr, jnp.maximum(s, 1), power, per_step="base")


class DirectPowerDecay(LearningRateSchedule):
    """Power of the step (TF Model Garden's ``DirectPowerDecay``).

    ::

        lr(step) = initial_learning_rate * max(step, 1) ** power

    Steps below 1 count as 1 (Model Garden's guard against ``0 ** power``).
    With a negative ``power`` (Model Garden's configs default to -0.5, an
    inverse square root) the rate decays; a positive one grows it, up to the
    dtype's largest finite value, which it then holds instead of
    overflowing to inf.

    Args:
        initial_learning_rate: Value at steps 0 and 1. Sets the result dtype.
        power: Exponent of the step.
        name: Name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.DirectPowerDecay(0.1, power=-0.5)
        >>> print(" ".join(f"{float(sched(s)):.4f}" for s in (0, 1, 4, 100)))
        0.1000 0.1000 0.0500 0.0100
    """

    initial_learning_rate: ArrayLike
    power: ArrayLike = 1.0
    name: str | None = static_field(default="DirectPowerDecay")

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        lr, power = nx.cast(dtype, self.initial_learning_rate, self.power)
        return _power_rate(lr, s, power)


class PowerAndLinearDecay(LearningRateSchedule):
    """Power decay, times a linear decay to 0 at the end (TF Model Garden).

    With ``s = step - offset`` and ``span = total_decay_steps *
    linear_decay_fraction``::

        lr(step) = initial_learning_rate * max(s, 1) ** power
                   * min(1, (total_decay_steps - s) / span)      if span > 0
        lr(step) = initial_learning_rate * max(s, 1) ** power    if span == 0

    and never below 0 when ``span > 0``. So: ``initial_learning_rate``
    while ``s <= 1`` (also before the offset), the power decay up to
    ``total_decay_steps - span``, then that times a line reaching 0 at
    ``s == total_decay_steps`` (exactly, also under ``jit``), and 0 from
    there on.

    Args:
        initial_learning_rate: Sets the result dtype.
        total_decay_steps: Step (after the offset) where the rate reaches 0,
            >= 0.
        power: Exponent of the step (Model Garden's configs default to -0.5).
        linear_decay_fraction: Fraction of ``total_decay_steps``, in [0, 1],
            over which the linear decay applies (0: none).
        offset: Steps to shift the schedule by.
        name: Name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.PowerAndLinearDecay(1.0, 100, power=-1.0,
        ...                                      linear_decay_fraction=0.5)
        >>> print(" ".join(f"{float(sched(s)):.4f}" for s in (0, 40, 60, 100, 500)))
        1.0000 0.0250 0.0133 0.0000 0.0000
    """

    initial_learning_rate: ArrayLike
    total_decay_steps: ArrayLike
    power: ArrayLike = 1.0
    linear_decay_fraction: ArrayLike = 0.1
    offset: ArrayLike = 0
    name: str | None = static_field(default="PowerAndLinearDecay")

    def __post_init__(self):
        super().__post_init__()
        check(self, "total_decay_steps", lambda v: v >= 0, "must be >= 0")
        check(self, "linear_decay_fraction", lambda v: (v >= 0) & (v <= 1),
               "must be in [0, 1]")

    _shifted = True

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        lr, power, fraction, total = nx.cast(
            dtype, self.initial_learning_rate, self.power, self.linear_decay_fraction,
            self.total_decay_steps,
        )
        rate = _power_rate(lr, s, power)
        span = total * fraction
        linear = jnp.minimum(1, (total - s) / nx.safe_divisor(span))
        # Finite, so that an infinite step gives 0 (rate 0 times -inf is NaN).
        linear = jnp.maximum(linear, -jnp.finfo(dtype).max)
        decayed = jnp.maximum(0, rate * linear)
        return nx.where(span > 0, decayed, rate)


class PowerDecayWithOffset(LearningRateSchedule):
    """Power decay from an offset on, capped (TF Model Garden).

    ::

        lr(step) = pre_offset_learning_rate                        if step <= offset
        lr(step) = min(initial_learning_rate * max(step - offset, 1) ** power,
                       pre_offset_learning_rate)                    if step > offset

    The offset step itself still gets ``pre_offset_learning_rate`` (Model
    Garden's ``step > offset``).

    Args:
        initial_learning_rate: Value at ``offset + 1``. Sets the result dtype.
        power: Exponent of the step (Model Garden's configs default to -0.5).
        offset: Last step of the constant phase.
        pre_offset_learning_rate: Rate up to ``offset``, and the cap after it.
        name: Name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.PowerDecayWithOffset(1.0, power=-1.0, offset=10,
        ...                                       pre_offset_learning_rate=3.0)
        >>> print(" ".join(f"{float(sched(s)):.4f}" for s in (0, 10, 11, 20)))
        3.0000 3.0000 1.0000 0.1000
    """

    initial_learning_rate: ArrayLike
    power: ArrayLike = 1.0
    offset: ArrayLike = 0
    pre_offset_learning_rate: ArrayLike = 1.0e6
    name: str | None = static_field(default="PowerDecayWithOffset")

    _shifted = True

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        lr, power, pre = nx.cast(
            dtype, self.initial_learning_rate, self.power, self.pre_offset_learning_rate
        )
        # A NaN step is NaN (not the pre-offset rate: `s > 0` is False for it).
        before = nx.where(jnp.isnan(s), s, pre)
        return jnp.minimum(nx.where(s > 0, _power_rate(lr, s, power), before), pre)


class StepCosineDecayWithOffset(LearningRateSchedule):
    """Cosine decays from value to value between boundaries (TF Model Garden).

    With ``s = step - offset`` and ``n = len(values) == len(boundaries)``,
    segment ``i < n - 1`` decays from ``values[i]`` to ``values[i + 1]``::

        length_i = boundaries[i+1] - boundaries[i]
        lr(step) = values[i+1] + (values[i] - values[i+1])
                   * 0.5 * (1 + cos(pi * (s - start_i) / length_i))

    where segment ``i`` holds for ``boundaries[i] <= s < boundaries[i+1]``
    (a boundary step starts the next segment), ``start_i = boundaries[i]``
    for ``i >= 1``, and segment 0 covers every ``s < boundaries[1]`` with
    ``start_0 = 0``. As in Model Garden, segment 0 runs from step 0 whatever
    ``boundaries[0]`` is (it only sets that segment's length): Model Garden's
    configs use ``boundaries[0] = 0``, where the segments are exactly
    ``[boundaries[i], boundaries[i+1])``. Before the offset the first
    cosine is extrapolated (mirrored), as in Model Garden.

    From ``s >= boundaries[-1]`` on the rate holds ``values[-1]`` (the value
    the last cosine ends on). Model Garden returns NaN there: it divides by
    the zero length of a last segment. With a single value the schedule is
    the constant ``values[0]``. The segment is found with one search
    (Model Garden loops over the boundaries in Python).

    Args:
        boundaries: Strictly increasing steps, as many as ``values`` (Model
            Garden's convention, not Keras' ``len(values) - 1``).
        values: Rates at the boundaries. Their dtype sets the result dtype.
        offset: Steps to shift the schedule by.
        name: Name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.StepCosineDecayWithOffset([0, 100, 200], [1.0, 0.5, 0.1])
        >>> steps = (0, 50, 100, 150, 200, 999)
        >>> print(" ".join(f"{float(sched(s)):.3f}" for s in steps))
        1.000 0.750 0.500 0.300 0.100 0.100
    """

    boundaries: ArrayLike
    values: ArrayLike
    offset: ArrayLike = 0
    name: str | None = static_field(default="StepCosineDecayWithOffset")

    _plain = ()  # nx.wrap before step 0

    _dtype_from = "values"
    _shifted = True
    _list_fields = ("boundaries", "values")

    def __post_init__(self):
        to_vector(self, "boundaries")
        to_vector(self, "values")
        super().__post_init__()
        nb, nv = self.boundaries.shape[-1], self.values.shape[-1]
        if nb != nv:
            fail(
                self, "boundaries",
                f"must have as many elements as `values` (Model Garden's "
                f"convention): len(boundaries)={nb} must equal len(values)={nv}",
                self.boundaries,
            )
        check_increasing(self, "boundaries")

    def _wrapped_period(self, dtype):
        b = nx.as_float(self.boundaries, dtype)
        # The first segment's length; a single value is a constant, no wrap.
        return b[..., 1] - b[..., 0] if b.shape[-1] > 1 else None

    def _finite_rate(self, dtype) -> bool:
        # Each segment's rate is between two of the values.
        return nx.well_inside(dtype, nx.as_float(self.values, dtype))

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        values, b = nx.cast(dtype, self.values, self.boundaries)
        n = values.shape[-1]
        # Segment i (b[i] <= s < b[i + 1]): its end (from its start and
        # length), divisor and values, as tables (of a captured schedule:
        # computed on the host), each read at i. The last segment (length 0)
        # holds values[-1].
        xp = np if nx.on_host(values, b) else jnp
        b_next = xp.concatenate([b[..., 1:], b[..., -1:]], axis=-1)
        start = xp.concatenate([xp.zeros_like(b[..., :1]), b[..., 1:]], axis=-1)
        length = b_next - b
        divisor = xp.where(length == 0, xp.ones_like(length), length)
        v_next = xp.concatenate([values[..., 1:], values[..., -1:]], axis=-1)
        tables = (start + length, divisor, values, v_next)
        first_divisor = divisor[..., 0]  # (the wrap is for segment 0 only)
        if n <= nx.SELECT_CHAIN:
            # A few segments: selects on the comparisons themselves (i >= m
            # exactly where b[m] <= s; a NaN step in segment 0), one fused
            # loop with no count of the boundaries below.
            reached = [s >= b[..., m] for m in range(1, n)]
            first = ~reached[0] if n > 1 else True
            last = reached[-1] if n > 1 else True
            end, divisor, v_i, v_j = nx.select_chain(reached, *tables)
        else:
            i = nx.count_below(b[..., 1:], s, strict=False)
            first, last = i == 0, i == n - 1
            end, divisor, v_i, v_j = [nx.take(table, i) for table in tables]
        # Before the offset the first cosine is extrapolated: the step folded
        # into one half period (as CosineDecay does), so that the phase keeps
        # float precision far before it and stays finite at -3e38.
        s = nx.where(first, nx.wrap(s, first_divisor), s)
        # The last segment holds values[-1]: remaining 0, not
        # (b[-1] - s) / 1, whose sine is NaN at steps near float32's max.
        # (A NaN step stays NaN.)
        held = nx.where(jnp.isnan(s), s, 0)
        remaining = nx.where(last, held, (end - s) / divisor)
        return (v_i - v_j) * nx.half_cosine(remaining) + v_j
