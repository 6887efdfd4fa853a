"""ExponentialDecay and InverseTimeDecay."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from ._base import (
    LearningRateSchedule,
    _compiled_call,
    _as_float_step,
    _cast,
    _check,
    _compute_dtype,
    _floor_div,
    _result_dtype,
    _saturate,
    static_field,
)
from ._serialization import _register_builtin


def _decay_progress(step, decay_steps, staircase, dtype):
    """(step / decay_steps, floored when `staircase`) in `dtype`."""
    (k,) = _cast(dtype, decay_steps)
    s = _as_float_step(step, dtype)
    return _floor_div(s, k) if staircase else s / k


@_register_builtin
@dataclasses.dataclass(frozen=True, eq=False)
class ExponentialDecay(LearningRateSchedule):
    """Exponential decay of the learning rate (Keras' ``ExponentialDecay``).

    ::

        lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps)

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``: the
    rate drops at ``step == n * decay_steps`` exactly (also under ``jit``).

    Args:
        initial_learning_rate: Value at step 0. Sets the result dtype.
        decay_steps: Steps over which the rate is multiplied by ``decay_rate``.
            Must be > 0.
        decay_rate: Factor per ``decay_steps``. Must be > 0 (above 1 the rate
            grows).
        staircase: Decay at discrete intervals.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
        >>> print(f"{float(sched(0)):.4f} {float(sched(100)):.4f} {float(sched(150)):.4f}")
        0.1000 0.0500 0.0354
    """

    initial_learning_rate: ArrayLike
    decay_steps: ArrayLike
    decay_rate: ArrayLike
    staircase: bool = static_field(default=False)
    name: str | None = static_field(default=None)

    def __post_init__(self):
        super().__post_init__()
        _check(self, "decay_steps", lambda v: v > 0, "must be > 0")
        _check(self, "decay_rate", lambda v: v > 0, "must be > 0")

    @_compiled_call
    def __call__(self, step: ArrayLike) -> jax.Array:
        out = _result_dtype(self.initial_learning_rate)
        dtype = _compute_dtype(out)
        lr, rate = _cast(dtype, self.initial_learning_rate, self.decay_rate)
        p = _decay_progress(step, self.decay_steps, self.staircase, dtype)
        factor = _saturate(rate**p, dtype)  # finite, so lr = 0 gives 0, not NaN
        return _saturate(lr * factor, out).astype(out)


@_register_builtin
@dataclasses.dataclass(frozen=True, eq=False)
class InverseTimeDecay(LearningRateSchedule):
    """Inverse-time decay of the learning rate (Keras' ``InverseTimeDecay``).

    ::

        lr(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps)

    With ``staircase=True``, ``step / decay_steps`` is floored: the rate drops
    at ``step == n * decay_steps`` exactly.

    Negative steps give ``initial_learning_rate``. (Keras extrapolates: the
    rate grows to a pole at ``step = -decay_steps / decay_rate`` and is
    negative beyond it.)

    Args:
        initial_learning_rate: Value at step 0. Sets the result dtype.
        decay_steps: Must be > 0.
        decay_rate: Must be >= 0.
        staircase: Decay at discrete intervals.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)
        >>> print(f"{float(sched(10)):.4f}")
        0.0667
    """

    initial_learning_rate: ArrayLike
    decay_steps: ArrayLike
    decay_rate: ArrayLike
    staircase: bool = static_field(default=False)
    name: str | None = static_field(default=None)

    def __post_init__(self):
        super().__post_init__()
        _check(self, "decay_steps", lambda v: v > 0, "must be > 0")
        _check(self, "decay_rate", lambda v: v >= 0, "must be >= 0")

    @_compiled_call
    def __call__(self, step: ArrayLike) -> jax.Array:
        out = _result_dtype(self.initial_learning_rate)
        dtype = _compute_dtype(out)
        lr, rate = _cast(dtype, self.initial_learning_rate, self.decay_rate)
        p = _decay_progress(step, self.decay_steps, self.staircase, dtype)
        p = jnp.maximum(p, 0)  # no pole before step 0
        return (lr / (1 + rate * p)).astype(out)
