"""PiecewiseConstantDecay."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from ._base import (
    LearningRateSchedule,
    _as_float_step,
    _check,
    _fail,
    _result_dtype,
    _to_vector,
    static_field,
)
from ._serialization import _register_builtin


def _segment_index(boundaries, step) -> jax.Array:
    """Number of boundaries strictly below `step`: the Keras segment index.

    ``values[i]`` applies for ``boundaries[i-1] < step <= boundaries[i]``,
    so the index is ``searchsorted(boundaries, step, side="left")``. The
    traced program does not grow with the number of boundaries.

    Integer steps are compared with integer boundaries in the step's own
    dtype (exact; ``step <= b`` is ``step <= floor(b)`` for integer steps).
    Boundaries above the step dtype's range are clipped to its maximum, which
    keeps every comparison's outcome; those below its minimum are below every
    step, so they are counted apart (clipped to the minimum, a step equal to
    the minimum would fall on their left). Float steps are compared in their
    float dtype, as Keras does.
    """
    if not isinstance(step, jax.Array):
        step = np.asarray(step)
        canonical = jax.dtypes.canonicalize_dtype(step.dtype)
        if canonical != step.dtype and jnp.issubdtype(step.dtype, np.integer):
            # A Python int or int64 step without x64: int32 if it fits.
            info = jnp.iinfo(canonical)
            fits = np.all((step >= info.min) & (step <= info.max))
            step = step.astype(canonical if fits else np.float64)
    below = 0  # boundaries below every step
    if jnp.issubdtype(step.dtype, np.integer):
        info = jnp.iinfo(step.dtype)
        if isinstance(boundaries, np.ndarray):  # concrete: convert on the host
            b = boundaries
            if b.dtype.kind == "f":
                # Rounded as jit sees the leaf (float32 without x64), so that
                # 524288.97 (524289.0 in float32) splits steps the same way
                # eagerly and with the schedule passed to a jitted function.
                b = b.astype(jax.dtypes.canonicalize_dtype(b.dtype))
                b = np.floor(b.astype(np.float64))
            below = np.sum(b < info.min, axis=-1)
            b = np.clip(b, info.min, info.max).astype(step.dtype)
        else:
            b = boundaries
            if jnp.issubdtype(b.dtype, np.floating):
                b = jnp.floor(b)
                lo, hi = float(info.min), float(info.max)
            else:  # the bounds must fit b's dtype too (uint32 max in int32)
                b_info = jnp.iinfo(b.dtype)
                lo, hi = max(info.min, b_info.min), min(info.max, b_info.max)
            below = jnp.sum(b < lo, axis=-1)
            b = jnp.clip(b, lo, hi).astype(step.dtype)
    else:
        dtype = jnp.promote_types(step.dtype, jnp.float32)
        step = _as_float_step(step, jax.dtypes.canonicalize_dtype(dtype))
        b = boundaries.astype(dtype)
    step = jnp.asarray(step)
    b = jnp.asarray(b)
    if b.ndim == 1:
        return jnp.maximum(jnp.searchsorted(b, step, side="left"), below)
    # Boundaries with leading batch axes (a schedule built from stacked
    # arrays, called without vmap): count per element.
    return jnp.maximum(jnp.sum(step[..., None] > b, axis=-1), below)


@_register_builtin
@dataclasses.dataclass(frozen=True, eq=False)
class PiecewiseConstantDecay(LearningRateSchedule):
    """Piecewise constant learning rate (Keras' ``PiecewiseConstantDecay``).

    ::

        lr(step) = values[0]   if step <= boundaries[0]
                   values[i]   if boundaries[i-1] < step <= boundaries[i]
                   values[-1]  if step > boundaries[-1]

    A boundary step still gets the value *before* it (``<=``). This is not
    optax's ``piecewise_constant_schedule``, which multiplies scales and
    switches at ``step >= boundary``.

    The lookup is one ``jnp.searchsorted``: 10,000 boundaries compile as fast
    as 10. Lists are stored as one NumPy array leaf each (``boundaries`` and
    ``values``), so a jitted function taking the schedule gets two arguments
    whatever the number of boundaries.

    Args:
        boundaries: Strictly increasing steps, at least one.
        values: ``len(boundaries) + 1`` learning rates. Their dtype sets the
            result dtype (Python numbers: JAX's default float).
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
        >>> " ".join(f"{float(sched(s)):.1f}" for s in (100, 101, 200, 201))
        '1.0 0.5 0.5 0.1'
    """

    boundaries: ArrayLike
    values: ArrayLike
    name: str | None = static_field(default=None)

    def __post_init__(self):
        _to_vector(self, "boundaries")
        _to_vector(self, "values")
        super().__post_init__()
        nb, nv = self.boundaries.shape[-1], self.values.shape[-1]
        if nb != nv - 1:
            _fail(
                self,
                "boundaries",
                f"must have one element less than `values`: len(boundaries)={nb} "
                f"must equal len(values) - 1 = {nv - 1}",
                self.boundaries,
            )
        if nb > 1:
            _check(
                self,
                "boundaries",
                lambda b: b[..., 1:] > b[..., :-1],
                "must be strictly increasing (no duplicates)",
            )

    def __call__(self, step: ArrayLike) -> jax.Array:
        out = _result_dtype(self.values)
        values = jnp.asarray(self.values).astype(out)
        index = _segment_index(self.boundaries, step)
        if values.ndim == 1:
            value = values[index]
        else:
            # Values with leading batch axes: broadcast them against the steps.
            shape = jnp.broadcast_shapes(values.shape[:-1], index.shape)
            values = jnp.broadcast_to(values, shape + values.shape[-1:])
            index = jnp.broadcast_to(index, shape)
            value = jnp.take_along_axis(values, index[..., None], axis=-1)[..., 0]
        # searchsorted puts a NaN step past the last boundary: give NaN instead.
        is_nan = _is_nan(step)
        return value if is_nan is None else jnp.where(is_nan, jnp.nan, value)


def _is_nan(step) -> ArrayLike | None:
    """Where a float step is NaN; None for integer steps."""
    if isinstance(step, jax.Array):
        return jnp.isnan(step) if jnp.issubdtype(step.dtype, np.inexact) else None
    step = np.asarray(step)
    return np.isnan(step) if step.dtype.kind == "f" else None
