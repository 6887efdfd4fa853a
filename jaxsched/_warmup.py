"""TF Model Garden's warmup wrappers: LinearWarmup and PolynomialWarmUp.

Both put a warmup in front of a schedule (or a constant rate) and, past the
warmup, evaluate that schedule at the raw step. Unlike Model Garden's, they
evaluate nothing at construction (the warmup target is computed in
``__call__``), so they can be built inside ``jit`` / ``vmap`` from traced
values, and their config nests the inner schedule with its class name.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from . import _numerics as nx
from ._checks import check
from ._core import LearningRateSchedule, check_schedule, schedule_field, static_field


class _Warmup(LearningRateSchedule):
    """Validation and the call shared by the two warmup wrappers.

    ``after_warmup_lr_sched`` is a schedule (evaluated once per call: at
    ``warmup_steps`` for the steps in the warmup, at the raw step after it)
    or a constant rate; its dtype is the result dtype.
    """

    _raw_step = True

    def __post_init__(self):
        super().__post_init__()
        check_schedule(self, "after_warmup_lr_sched", number_ok=True)
        check(self, "warmup_steps", lambda v: v >= 0, "must be >= 0")

    def _result_dtype(self):
        return None  # the wrapped schedule's (known once it is evaluated)

    def _line_on_host(self) -> bool:
        """The warmup's hyperparameters known while tracing (captured):
        see `_rate`. (PolynomialWarmUp's power can make a steep curve past
        the warmup's end: it keeps its bound.)"""
        return False

    def _rate(self, step: jax.Array, _) -> jax.Array:
        after = self.after_warmup_lr_sched
        if isinstance(after, LearningRateSchedule):
            # One evaluation of the inner schedule (nested warmups cost
            # linearly, not 2 ** depth): in the warmup only its value at
            # ``warmup_steps`` is used, after it only its value at the step,
            # so it is evaluated at ``where(step < warmup_steps, warmup_steps,
            # step)``. Integer steps and integer ``warmup_steps`` stay
            # integers (exact at any size); otherwise both are floats.
            point, warming = _warmup_point(step, self.warmup_steps, after._float_step_dtype())
            with nx.nonnegative_step(point):
                value = jnp.asarray(after(point))
            target = value
        else:
            value = target = after
            warming = None
        out = nx.result_dtype(value)
        dtype = nx.compute_dtype(out)
        value, target, s, w = nx.cast(dtype, value, target, step, self.warmup_steps)
        if warming is None:
            warming = s < w
        # The line on a finite step up to the warmup's end: past it (the
        # branch not taken) nothing grows into a NaN gradient, and at -inf a
        # flat line (target == start) stays flat instead of -inf * 0.
        # (An integer step is finite: no lower bound; and with the warmup's
        # hyperparameters known while tracing, nothing to differentiate but
        # the step, whose line has a finite slope: no upper bound either.)
        integer = jnp.issubdtype(jnp.asarray(step).dtype, jnp.integer)
        if not (integer and self._line_on_host()):
            s = jnp.minimum(s, w)
        if not integer:
            s = jnp.maximum(s, -jnp.finfo(dtype).max)
        warm = self._warm(s, w, target, dtype)
        rate = nx.where(warming, warm, value)
        if np.dtype(out) == np.dtype(dtype) and self._finite(step, dtype, integer):
            return rate
        # The line extrapolated far before step 0 can leave the range (a
        # half-precision one first): hold its largest finite value, as the
        # other schedules do.
        return nx.saturate(rate, out).astype(out)

    def _finite(self, step: jax.Array, dtype: np.dtype, integer: bool) -> bool:
        """True when the rate is known while tracing to stay well inside the
        range at every step of the step's (integer) dtype: the inner rate
        bounded from the warmup's end on (``_rate_bound``; a number: itself)
        and the warmup's own curve with it (``_warm_bound``), no final clamp
        (one op of a dozen on a curve: ``LinearWarmup(PolynomialDecay(...))``
        1.19-1.29x -> 1.14-1.17x the limit's time in one process)."""
        w = nx.as_float(self.warmup_steps, dtype)
        if not integer or not nx.on_host(w) or np.ndim(w) or not w > 0:
            return False
        after = self.after_warmup_lr_sched
        # The inner schedule sees steps from w on: w itself (an integer) or
        # w rounded to a float dtype, which may round it down (or, in the
        # compute dtype, up: 16777219 is 16777220.0 in float32): the lowest.
        exact = float(np.asarray(self.warmup_steps, np.float64))
        low = min(exact, float(np.float32(exact)), float(w))
        bound = (after._rate_bound(dtype, low) if isinstance(after, LearningRateSchedule)
                 else nx.host_abs_max(after, dtype))
        if bound is None:
            return False
        info = np.iinfo(jnp.asarray(step).dtype)
        reach = max(-float(info.min), float(info.max), float(w)) / float(w)
        with np.errstate(all="ignore"):
            line = self._warm_bound(bound, reach, dtype)
        return line is not None and line < float(np.finfo(dtype).max) / 4


def _warmup_point(step: jax.Array, warmup_steps,
                  float_dtype: np.dtype | None = None) -> tuple[jax.Array, jax.Array]:
    """``where(step < warmup_steps, warmup_steps, step)``, in the step's
    integer dtype when both are integers, else in a float dtype holding both,
    and its condition: exactly the steps before the warmup's end.

    `float_dtype`: the inner schedule takes its step as a float of that
    dtype and nothing else of it (``_float_step_dtype``): integer steps are
    converted first and the point is their ``max`` with the converted
    ``warmup_steps`` (the same floats: the conversion keeps the order),
    whose conversion the warmup's line shares (one operation per step
    fewer than the integer select and a second conversion)."""
    step = jnp.asarray(step)
    w = warmup_steps if nx.on_host(warmup_steps) else jnp.asarray(warmup_steps)
    if jnp.issubdtype(step.dtype, jnp.integer) and jnp.issubdtype(w.dtype, jnp.integer):
        # w >= 0 and (jit_safe) within int32: it fits the step's dtype.
        w = w.astype(step.dtype)
        before = step < w
        if float_dtype is not None:
            return jnp.maximum(nx.as_float(step, float_dtype), nx.as_float(w, float_dtype)), before
        return nx.where(before, w, step), before
    dtype = nx.default_float()
    for x in (step, w):
        if jnp.issubdtype(x.dtype, jnp.floating):
            dtype = jnp.promote_types(dtype, x.dtype)
    step, w = nx.as_float(step, dtype), nx.as_float(w, dtype)
    before = step < w
    return nx.where(before, w, step), before


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

    after_warmup_lr_sched: LearningRateSchedule | ArrayLike = schedule_field(
        number_ok=True)
    warmup_steps: ArrayLike
    warmup_learning_rate: ArrayLike
    name: str | None = static_field(default=None)

    def _line_on_host(self) -> bool:
        return nx.on_host(self.warmup_steps, self.warmup_learning_rate)

    def _warm_bound(self, bound, reach, dtype):
        # |init + s / w * (target - init)|, |s| / w at most `reach`.
        init = nx.as_float(self.warmup_learning_rate, dtype)
        if not nx.on_host(init) or np.ndim(init):
            return None
        return abs(float(init)) + reach * (bound + abs(float(init)))

    def _warm(self, s, w, target, dtype):
        init = nx.as_float(self.warmup_learning_rate, dtype)
        fraction = nx.where(w > 0, s / nx.safe_divisor(w), 1)
        return init + fraction * (target - init)


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

    after_warmup_lr_sched: LearningRateSchedule | ArrayLike = schedule_field(
        number_ok=True)
    warmup_steps: ArrayLike
    power: ArrayLike = 1.0
    name: str | None = static_field(default="PolynomialWarmup")

    def _warm_bound(self, bound, reach, dtype):
        # |target| * (max(s, 1) / w) ** power with s <= w (its bound on the
        # step), w > 0 and power >= 0: at most |target| * max(1, 1 / w) **
        # power.
        power = nx.as_float(self.power, dtype)
        w = nx.as_float(self.warmup_steps, dtype)
        if not nx.on_host(power) or np.ndim(power) or not power >= 0:
            return None
        return bound * max(1.0, 1.0 / float(w)) ** float(power)

    def _warm(self, s, w, target, dtype):
        power = nx.as_float(self.power, dtype)
        # (s <= w here: the base stays bounded, a large power cannot overflow.)
        done = jnp.maximum(s, 1) / nx.safe_divisor(w)
        return target * nx.where(w > 0, done, 1) ** power
