"""TF Model Garden's warmup wrappers: LinearWarmup and PolynomialWarmUp.

Both put a warmup in front of a schedule (or a constant rate) and, past the
warmup, evaluate that schedule at the raw step. Unlike Model Garden's, they
evaluate nothing at construction (the warmup target is computed in
``__call__``), so they can be built inside ``jit`` / ``vmap`` from traced
values, and their config nests the inner schedule with its class name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

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
    _result_dtype,
    _safe_divisor,
    _saturate,
    static_field,
)
from ._compose import _check_schedule
from ._serialization import _register_builtin


def _after_warmup(after: Any, step: ArrayLike, warmup_steps: ArrayLike):
    """(rate at step, rate at warmup_steps, result dtype, compute dtype, step, w).

    `after` is a schedule (evaluated at the raw step and at warmup_steps) or
    a constant rate. The result dtype is the schedule's (for a constant: its
    float dtype, or JAX's default float).
    """
    if isinstance(after, LearningRateSchedule):
        value, target = jnp.asarray(after(step)), jnp.asarray(after(warmup_steps))
        out = _result_dtype(value)
    else:
        out = _result_dtype(after)
        value = target = after
    dtype = _compute_dtype(out)
    value, target = _cast(dtype, value, target)
    s = _as_float_step(step, dtype)
    w = _as_float_step(warmup_steps, dtype)
    return value, target, out, dtype, s, w


@dataclasses.dataclass(frozen=True, eq=False)
class _Warmup(LearningRateSchedule):
    """Validation shared by the two warmup wrappers."""

    def __post_init__(self):
        super().__post_init__()
        _check_schedule(self, "after_warmup_lr_sched", number_ok=True)
        _check(self, "warmup_steps", lambda v: v >= 0, "must be >= 0")


@_register_builtin
@dataclasses.dataclass(frozen=True, eq=False)
class LinearWarmup(_Warmup):
    """Linear warmup in front of a schedule (TF Model Garden's ``LinearWarmup``).

    ::

        target = after_warmup_lr_sched(warmup_steps)      (or the constant)
        lr(step) = warmup_learning_rate
                   + step / warmup_steps * (target - warmup_learning_rate)
                                                     if step < warmup_steps
        lr(step) = after_warmup_lr_sched(step)       if step >= warmup_steps

    The schedule after warmup runs on the raw step (it is not shifted by
    ``warmup_steps``; wrap it in ``jaxsched.WithOffset`` for that, or use
    ``jaxsched.JoinSchedules``), so the warmup replaces its first
    ``warmup_steps`` steps and ends on its value there: the curve is
    continuous at ``warmup_steps``. ``warmup_steps=0`` means no warmup; at
    negative steps (inside an offset) it gives ``target``, where Model Garden
    divides by zero. Before step 0 the warmup line is extrapolated.

    Nothing is evaluated at construction (Model Garden evaluates the target
    eagerly in ``__init__``), so the wrapper can be built inside ``jit`` or
    ``vmap`` from traced values. ``get_config`` nests the inner schedule's
    full serialized dict, with its class name, so ``deserialize`` rebuilds it.

    Args:
        after_warmup_lr_sched: A schedule (ours or your own
            ``LearningRateSchedule``) or a constant learning rate. Sets the
            result dtype.
        warmup_steps: Length of the warmup, >= 0.
        warmup_learning_rate: Value at step 0.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> decay = jaxsched.PiecewiseConstantDecay([100], [0.1, 0.01])
        >>> sched = jaxsched.LinearWarmup(decay, 10, warmup_learning_rate=0.0)
        >>> print(" ".join(f"{float(sched(s)):.3f}" for s in (0, 5, 10, 100, 101)))
        0.000 0.050 0.100 0.100 0.010
    """

    after_warmup_lr_sched: LearningRateSchedule | ArrayLike = dataclasses.field(
        metadata={"kind": "schedule_or_number"}
    )
    warmup_steps: ArrayLike
    warmup_learning_rate: ArrayLike
    name: str | None = static_field(default=None)

    @_compiled_call
    def __call__(self, step: ArrayLike) -> jax.Array:
        value, target, out, dtype, s, w = _after_warmup(
            self.after_warmup_lr_sched, step, self.warmup_steps
        )
        (init,) = _cast(dtype, self.warmup_learning_rate)
        fraction = jnp.where(w > 0, s / _safe_divisor(w), 1)
        warm = init + fraction * (target - init)
        # The line extrapolated far before step 0 can leave a half-precision
        # range: hold its largest finite value, as the other schedules do.
        return _saturate(jnp.where(s < w, warm, value), out).astype(out)


@_register_builtin
@dataclasses.dataclass(frozen=True, eq=False)
class PolynomialWarmUp(_Warmup):
    """Polynomial warmup in front of a schedule (Model Garden's ``PolynomialWarmUp``).

    ::

        target = after_warmup_lr_sched(warmup_steps)      (or the constant)
        lr(step) = target * (max(step, 1) / warmup_steps) ** power
                                                     if step < warmup_steps
        lr(step) = after_warmup_lr_sched(step)       if step >= warmup_steps

    As in Model Garden the step is clamped to at least 1 in the warmup (its
    guard against ``0 ** power``), so step 0 has the value of step 1, not 0.
    ``warmup_steps=0`` means no warmup (``target`` at negative steps, as Model
    Garden). The schedule after warmup runs on the raw step, as in
    :class:`LinearWarmup`; nothing is evaluated at construction, and the
    config nests the inner schedule with its class name.

    Args:
        after_warmup_lr_sched: A schedule (ours or your own
            ``LearningRateSchedule``) or a constant learning rate. Sets the
            result dtype.
        warmup_steps: Length of the warmup, >= 0.
        power: Exponent of the warmup curve (1: linear from 0).
        name: Name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.PolynomialWarmUp(0.1, warmup_steps=10, power=2.0)
        >>> print(" ".join(f"{float(sched(s)):.4f}" for s in (0, 1, 5, 10, 50)))
        0.0010 0.0010 0.0250 0.1000 0.1000
    """

    after_warmup_lr_sched: LearningRateSchedule | ArrayLike = dataclasses.field(
        metadata={"kind": "schedule_or_number"}
    )
    warmup_steps: ArrayLike
    power: ArrayLike = 1.0
    name: str | None = static_field(default="PolynomialWarmup")

    @_compiled_call
    def __call__(self, step: ArrayLike) -> jax.Array:
        value, target, out, dtype, s, w = _after_warmup(
            self.after_warmup_lr_sched, step, self.warmup_steps
        )
        (power,) = _cast(dtype, self.power)
        # min(s, w): past the warmup (the branch not taken) the base stays
        # bounded, so a large power cannot overflow into a NaN gradient.
        done = jnp.maximum(jnp.minimum(s, w), 1) / _safe_divisor(w)
        done = jnp.where(w > 0, done, 1)
        return jnp.where(s < w, target * done**power, value).astype(out)
