"""PiecewiseConstantDecay."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from . import _numerics as nx
from ._checks import check_increasing, fail, to_vector
from ._core import LearningRateSchedule, static_field


def _in_step_dtype(boundaries, dtype):
    """Integer boundaries in the integer step dtype, with the same comparisons.

    For an integer step, ``step <= b`` is ``step <= floor(b)``. Boundaries
    above the dtype's range are at or above every step: they become its
    maximum, which keeps every ``step <= b``. Boundaries below its range are
    below every step, but as its minimum they would not be below a step equal
    to the minimum (a uint32 step 0 and a negative boundary): the returned
    mask of those lets the caller count them.
    """
    info = jnp.iinfo(dtype)
    if jnp.issubdtype(boundaries.dtype, np.integer):
        own = jnp.iinfo(boundaries.dtype)
        lo, hi = max(info.min, own.min), min(info.max, own.max)
        below = boundaries < lo if lo > own.min else jnp.zeros(boundaries.shape, bool)
        return jnp.clip(boundaries, lo, hi).astype(dtype), below
    b = jnp.floor(boundaries)
    below, above = b < float(info.min), b >= float(info.max)  # max may round up
    inside = nx.where(below | above, 0, b).astype(dtype)
    lowest, highest = (jnp.asarray(v, dtype) for v in (info.min, info.max))
    return nx.where(above, highest, nx.where(below, lowest, inside)), below


def _comparable(boundaries, step):
    """(step, boundaries, mask of boundaries below every step), compared as
    ``boundaries < step`` decides the segment.

    Integer steps are compared with the boundaries converted to the step's
    own integer dtype (exact for steps of any size, see `_in_step_dtype`).
    Float steps are compared in their float dtype, as Keras does.
    """
    step, boundaries = jnp.asarray(step), jnp.asarray(boundaries)
    if jnp.issubdtype(step.dtype, np.integer):
        b, below = _in_step_dtype(boundaries, step.dtype)
        return step, b, below
    dtype = jax.dtypes.canonicalize_dtype(jnp.promote_types(step.dtype, jnp.float32))
    return step.astype(dtype), boundaries.astype(dtype), None


def _segment_index(step, b, below) -> jax.Array:
    """Number of boundaries strictly below `step`: the Keras segment index.

    ``values[i]`` applies for ``boundaries[i-1] < step <= boundaries[i]``,
    so the index is ``searchsorted(boundaries, step, side="left")``. The
    traced program has a bounded size whatever the number of boundaries.
    """
    extra = 0
    if below is not None:  # boundaries below the integer range, at its minimum
        at_min = step == jnp.iinfo(step.dtype).min
        extra = nx.where(at_min, jnp.sum(below, axis=-1), 0)
    return nx.count_below(b, step, strict=True) + extra


class PiecewiseConstantDecay(LearningRateSchedule):
    """Piecewise constant learning rate (Keras' ``PiecewiseConstantDecay``).

    ::

        lr(step) = values[0]   if step <= boundaries[0]
                   values[i]   if boundaries[i-1] < step <= boundaries[i]
                   values[-1]  if step > boundaries[-1]

    A boundary step still gets the value *before* it (``<=``). This is not
    optax's ``piecewise_constant_schedule``, which multiplies scales and
    switches at ``step >= boundary``.

    The traced program has a bounded size (a chain of compares and selects
    for up to 15 boundaries, as written by hand; one broadcast compare up to
    32; beyond, a binary search, its halvings unrolled up to 16,383
    boundaries and in a rolled loop from there, and a gather): 100,000
    boundaries compile about as fast as 100 (140 ms, 2 cores). Lists are stored as one NumPy
    array leaf each (``boundaries`` and ``values``), so a jitted function
    taking the schedule gets two arguments whatever the number of
    boundaries.

    Integer steps compare with integer boundaries exactly, at any size, as
    long as the boundaries reach the program as integers: without
    ``jax_enable_x64``, a list of integers that all fit int32 does, but one
    with a boundary beyond int32 is stored as float64 and passed (like any
    float64 leaf without x64) as float32, where integers above 2**24 round
    to a multiple of 2 or more (``[16777217, 2**33]`` puts step 16777217
    after its boundary). With x64, or every boundary within int32, every
    boundary is exact.

    Args:
        boundaries: Strictly increasing steps, at least one.
        values: ``len(boundaries) + 1`` learning rates. Their dtype sets the
            result dtype (Python numbers: JAX's default float).
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
        >>> print(" ".join(f"{float(sched(s)):.1f}" for s in (100, 101, 200, 201)))
        1.0 0.5 0.5 0.1
    """

    boundaries: ArrayLike
    values: ArrayLike
    name: str | None = static_field(default=None)

    _dtype_from = "values"
    _raw_step = True  # integer steps compare as integers
    _list_fields = ("boundaries", "values")
    _saturated = True  # the values are

    def __post_init__(self):
        to_vector(self, "boundaries")
        to_vector(self, "values")
        super().__post_init__()
        nb, nv = self.boundaries.shape[-1], self.values.shape[-1]
        if nb != nv - 1:
            fail(
                self,
                "boundaries",
                f"must have one element less than `values`: len(boundaries)={nb} "
                f"must equal len(values) - 1 = {nv - 1}",
                self.boundaries,
            )
        check_increasing(self, "boundaries")

    def _bound(self, dtype, low):
        return nx.host_abs_max(self.values, dtype)

    def _rate(self, step: jax.Array, dtype) -> jax.Array:
        out = self._result_dtype()
        # Saturated once, in the table, not at every step.
        values = nx.saturate(jnp.asarray(self.values).astype(out), out)
        t, b, below = _comparable(self.boundaries, step)
        if values.ndim == 1 and b.ndim == 1 and values.shape[0] <= nx.SELECT_CHAIN:
            # A few values: a chain of selects on the comparisons themselves
            # (``values[j]`` once ``boundaries[j-1] < step``), the program a
            # user writes by hand: no index, no gather, at most 16 selects.
            value = jnp.broadcast_to(values[0], t.shape)
            for j in range(1, values.shape[0]):
                passed = t > b[j - 1]
                if below is not None:  # below the integer range: below every step
                    passed = passed | below[j - 1]
                value = nx.where(passed, values[j], value)
        else:  # many values, or values with leading batch axes: search, gather
            value = nx.take(values, _segment_index(t, b, below))
        if jnp.issubdtype(step.dtype, np.floating):
            # A NaN step's compares are all False (segment 0): NaN instead.
            value = nx.where(jnp.isnan(step), jnp.nan, value)
        return value
