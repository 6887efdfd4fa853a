"""Composition: shift any schedule (WithOffset), chain schedules (JoinSchedules).

Both wrap schedules, ours or a user's ``LearningRateSchedule`` subclass, and
stay pytrees (the wrapped schedules are subtrees) that serialize with nested
configs, each carrying its class name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from ._base import (
    LearningRateSchedule,
    _as_float_step,
    _check,
    _check_number,
    _fail,
    _is_concrete,
    _to_vector,
    static_field,
)
from ._serialization import _register_builtin, from_json

# --------------------------------------------------------------------------
# Helpers shared by the offset and warmup families


def _float_dtype(*values: Any) -> np.dtype:
    """JAX's default float dtype, widened to the float dtypes among `values`."""
    dtype = jax.dtypes.canonicalize_dtype(float)
    for value in values:
        d = getattr(value, "dtype", None)
        if d is not None and jnp.issubdtype(d, np.floating):
            dtype = jnp.promote_types(dtype, d)
    return jax.dtypes.canonicalize_dtype(dtype)


def _shift(step: ArrayLike, offset: ArrayLike, hold: bool = False) -> Any:
    """``step - offset`` (``max(step - offset, 0)`` when `hold`), for a schedule.

    Host values (Python and NumPy numbers, the usual eager call) are
    subtracted on the host, exactly: integers in int64 (then JAX's default
    integer dtype when the difference fits), anything else in float64, so
    that a uint32 step below the offset does not wrap around. JAX arrays and
    tracers are subtracted in JAX's default float dtype (or the wider float
    dtype of `step` / `offset`), which is exact for integer steps below 2**24
    in float32. The result is what the wrapped schedule receives as its step.
    """
    if not isinstance(step, jax.Array) and not isinstance(offset, jax.Array):
        s, o = np.asarray(step), np.asarray(offset)
        ints = s.dtype.kind in "iu" and o.dtype.kind in "iu"
        if ints:
            # Exact in int64 unless a uint64 step is above int64 (it would
            # wrap around to a negative step) or the difference overflows.
            approx = s.astype(np.float64) - o.astype(np.float64)
            ints = bool(np.all(np.abs(approx) < 2.0**63 - 2**11)) and all(
                a.dtype != np.uint64 or np.all(a <= np.iinfo(np.int64).max)
                for a in (s, o))
        if ints:
            d = s.astype(np.int64) - o.astype(np.int64)
            itype = jax.dtypes.canonicalize_dtype(np.int64)
            info = np.iinfo(itype)
            fits = np.all((d >= info.min) & (d <= info.max))
            d = d.astype(itype if fits else np.float64)
        else:
            d = s.astype(np.float64) - o.astype(np.float64)
        return np.maximum(d, 0) if hold else d
    dtype = _float_dtype(step, offset)
    d = _as_float_step(step, dtype) - _as_float_step(offset, dtype)
    return jnp.maximum(d, 0) if hold else d


def _check_schedule(obj: Any, arg: str, *, number_ok: bool = False) -> None:
    """A field holding a nested schedule (or, when `number_ok`, a number)."""
    value = getattr(obj, arg)
    if isinstance(value, LearningRateSchedule):
        return
    kind = "a jaxsched schedule (LearningRateSchedule)" + (
        " or a number" if number_ok else ""
    )
    if isinstance(value, dict):
        _fail(
            obj, arg, f"must be {kind}; a nested config dict needs its "
            "'class_name' and 'config' keys (Model Garden's get_config drops "
            "the class name: add it)", value, TypeError,
        )
    if callable(value):
        _fail(
            obj, arg, f"must be {kind}; wrap a plain function in a "
            "LearningRateSchedule subclass so it stays a pytree and serializes",
            value, TypeError,
        )
    if not number_ok:
        _fail(obj, arg, f"must be {kind}", value, TypeError)
    _check_number(obj, arg, value)


def _check_increasing(obj: Any, arg: str) -> None:
    """ValueError unless the concrete vector field `arg` strictly increases."""
    value = getattr(obj, arg)
    if _is_concrete(value) and value.shape[-1] > 1:
        _check(obj, arg, lambda b: np.diff(b, axis=-1) > 0,
               "must be strictly increasing (no duplicates)")


# --------------------------------------------------------------------------
# WithOffset


@_register_builtin
@dataclasses.dataclass(frozen=True, eq=False)
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
    ``hold_before_offset=True`` holds ``schedule(0)`` there instead. The
    shifted step is computed exactly for host steps and in JAX's default
    float dtype for JAX arrays (exact below 2**24 in float32).

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

    schedule: LearningRateSchedule = dataclasses.field(
        metadata={"kind": "schedule_or_number"}
    )
    offset: ArrayLike = 0
    hold_before_offset: bool = static_field(default=False)
    name: str | None = static_field(default=None)

    def __post_init__(self):
        super().__post_init__()
        _check_schedule(self, "schedule")

    def __call__(self, step: ArrayLike) -> jax.Array:
        return jnp.asarray(
            self.schedule(_shift(step, self.offset, self.hold_before_offset))
        )


# --------------------------------------------------------------------------
# JoinSchedules


@_register_builtin
@dataclasses.dataclass(frozen=True, eq=False)
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

    schedules: tuple = dataclasses.field(metadata={"kind": "any"})
    boundaries: ArrayLike
    name: str | None = static_field(default=None)

    def __post_init__(self):
        schedules = self.schedules
        if not isinstance(schedules, (list, tuple)):
            _fail(self, "schedules", "must be a list of schedules", schedules,
                  TypeError)
        object.__setattr__(self, "schedules", tuple(schedules))
        for i, s in enumerate(self.schedules):
            if not isinstance(s, LearningRateSchedule):
                _fail(self, f"schedules[{i}]",
                      "must be a jaxsched schedule (LearningRateSchedule)", s,
                      TypeError)
        if len(self.schedules) < 2:
            _fail(self, "schedules", "must hold at least two schedules", schedules)
        _to_vector(self, "boundaries")
        super().__post_init__()
        nb, ns = self.boundaries.shape[-1], len(self.schedules)
        if nb != ns - 1:
            _fail(
                self, "boundaries",
                f"must have one element less than `schedules`: len(boundaries)={nb} "
                f"must equal len(schedules) - 1 = {ns - 1}", self.boundaries,
            )
        _check_increasing(self, "boundaries")

    def __call__(self, step: ArrayLike) -> jax.Array:
        out = jnp.asarray(self.schedules[0](step))
        for i, schedule in enumerate(self.schedules[1:]):
            shifted = _shift(step, self.boundaries[..., i])
            out = jnp.where(shifted >= 0, jnp.asarray(schedule(shifted)), out)
        return out

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        """Builds the schedule from :meth:`get_config`'s output (nested configs
        in the ``schedules`` list are deserialized)."""
        if isinstance(config, dict) and isinstance(config.get("schedules"), list):
            schedules = [from_json(s) for s in config["schedules"]]
            config = {**config, "schedules": schedules}
        return super().from_config(config)
