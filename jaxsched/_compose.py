"""Composition: shift any schedule (WithOffset), chain schedules (JoinSchedules).

Both wrap schedules, ours or a user's ``LearningRateSchedule`` subclass, and
stay pytrees (the wrapped schedules are subtrees) that serialize with nested
configs, each carrying its class name.
"""

from __future__ import annotations


import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from . import _numerics as nx
from ._checks import check_increasing, fail, to_vector
from ._core import LearningRateSchedule, check_schedule, schedule_field, static_field

# --------------------------------------------------------------------------
# WithOffset


class WithOffset(LearningRateSchedule):
    """Any schedule, shifted by ``offset`` steps.

    ::

        lr(step) = schedule(step - offset)
        lr(step) = schedule(max(step - offset, 0))     with hold_before_offset

    Works for every jaxsched schedule and for your own
    ``LearningRateSchedule`` subclass; the Model Garden ``*WithOffset``
    classes are the same shift built into four Keras schedules. Before
    ``offset`` the wrapped schedule is extrapolated to negative steps, as
    Model Garden does (a decay then gives values above its initial rate);
    ``hold_before_offset=True`` holds ``schedule(0)`` there instead. Integer
    steps and offsets shift exactly, in integers; a fractional offset is
    rounded to JAX's default float dtype, like any hyperparameter.

    Args:
        schedule: The schedule to shift (a nested pytree; serialized as a
            nested config with its class name).
        offset: Steps to shift by. A leaf: it can be traced, swept with
            ``vmap`` and differentiated.
        hold_before_offset: Hold ``schedule(0)`` before ``offset`` instead of
            extrapolating.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> base = jaxsched.PolynomialDecay(0.1, 100, end_learning_rate=0.0)
        >>> sched = jaxsched.WithOffset(base, 50)
        >>> print(" ".join(f"{float(sched(s)):.3f}" for s in (0, 50, 100, 150)))
        0.150 0.100 0.050 0.000
        >>> held = jaxsched.WithOffset(base, 50, hold_before_offset=True)
        >>> print(f"{float(held(0)):.3f}")
        0.100
    """

    schedule: LearningRateSchedule = schedule_field()
    offset: ArrayLike = 0
    hold_before_offset: bool = static_field(default=False)
    name: str | None = static_field(default=None)

    _raw_step = True
    _shifted = True

    def __post_init__(self):
        super().__post_init__()
        check_schedule(self, "schedule")

    def _result_dtype(self):
        return None  # the wrapped schedule's

    def _rate(self, step: jax.Array, _) -> jax.Array:
        if self.hold_before_offset:  # max(step - offset, 0): never before 0
            with nx.nonnegative_step(step):
                return jnp.asarray(self.schedule(step))
        return jnp.asarray(self.schedule(step))


# --------------------------------------------------------------------------
# JoinSchedules


class JoinSchedules(LearningRateSchedule):
    """Schedules one after the other (``optax.join_schedules`` as a pytree).

    ::

        lr(step) = schedules[0](step)                     if step < boundaries[0]
        lr(step) = schedules[i](step - boundaries[i-1])   if boundaries[i-1] <= step
                                                             < boundaries[i]
        lr(step) = schedules[-1](step - boundaries[-1])   if step >= boundaries[-1]

    Each later schedule starts from its own step 0 at its boundary, and a
    boundary step already belongs to the next schedule (``>=``, as optax and
    Model Garden's warmups switch). This puts any warmup in front of any
    schedule: e.g. a ``CosineDecay`` rising from 0 as the warmup and an
    ``ExponentialDecay`` after it. (``LinearWarmup`` and ``PolynomialWarmUp``
    are Model Garden's variants, which evaluate the schedule after warmup at
    the raw step.)

    Args:
        schedules: Two or more schedules (nested pytrees; serialized as a list
            of nested configs with their class names).
        boundaries: ``len(schedules) - 1`` strictly increasing steps. One
            array leaf: it can be traced, swept with ``vmap``, differentiated.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape; the
        dtype is the promotion of the schedules' result dtypes.

    Example:
        >>> warmup = jaxsched.PolynomialDecay(0.0, 10, end_learning_rate=0.1)
        >>> decay = jaxsched.ExponentialDecay(0.1, 10, 0.5)
        >>> sched = jaxsched.JoinSchedules([warmup, decay], [10])
        >>> print(" ".join(f"{float(sched(s)):.3f}" for s in (0, 5, 10, 20)))
        0.000 0.050 0.100 0.050
    """

    schedules: tuple = schedule_field()
    boundaries: ArrayLike
    name: str | None = static_field(default=None)

    _raw_step = True
    _list_fields = ("boundaries",)

    def __post_init__(self):
        schedules = self.schedules
        if not isinstance(schedules, (list, tuple)):
            fail(self, "schedules", "must be a list of schedules", schedules,
                 TypeError)
        object.__setattr__(self, "schedules", tuple(schedules))
        for i, s in enumerate(self.schedules):
            check_schedule(self, f"schedules[{i}]", s)
        if len(self.schedules) < 2:
            fail(self, "schedules", "must hold at least two schedules", schedules)
        to_vector(self, "boundaries")
        super().__post_init__()
        nb, ns = self.boundaries.shape[-1], len(self.schedules)
        if nb != ns - 1:
            fail(
                self, "boundaries",
                f"must have one element less than `schedules`: len(boundaries)={nb} "
                f"must equal len(schedules) - 1 = {ns - 1}", self.boundaries,
            )
        check_increasing(self, "boundaries")

    def _result_dtype(self):
        return None  # the promotion of the joined schedules'

    def _rate(self, step: jax.Array, _) -> jax.Array:
        out = jnp.asarray(self.schedules[0](step))
        for i, schedule in enumerate(self.schedules[1:]):
            shifted = nx.shift(step, self.boundaries[..., i])
            # Evaluated at max(shifted, 0): the same value where it is used,
            # and before its boundary (the branch not taken) the schedule is
            # not extrapolated into overflow and NaN gradients; a step that
            # the schedule knows is >= 0 (a cosine: no fmod before step 0).
            point = jnp.maximum(shifted, 0)
            with nx.nonnegative_step(point):
                value = jnp.asarray(schedule(point))
            out = nx.where(shifted >= 0, value, out)
        return out

