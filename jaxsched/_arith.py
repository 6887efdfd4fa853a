"""Arithmetic on schedules that stays a schedule.

``Constant``, ``Scaled`` (``0.5 * s``, ``s * 2``), ``Quotient`` (``s / k``),
``Product`` (``s1 * s2``), ``Minimum`` and ``Maximum``: pytree nodes whose
hyperparameters and nested schedules are leaves and subtrees, so the result
is jitted, vmapped, differentiated and serialized (nested configs) like any
schedule. ``from_callable`` lets a plain function (an optax closure) join a
composition for ``jit`` and optax; such a composition can be neither
serialized nor stacked, and says so.
"""

from __future__ import annotations

import functools
import types
import numbers
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from . import _numerics as nx
from ._checks import check, fail
from ._core import (
    LearningRateSchedule,
    check_schedule,
    schedule_field,
    static_field,
    user_code,
)

__all__ = [
    "Constant",
    "Maximum",
    "Minimum",
    "Product",
    "Quotient",
    "Scaled",
    "divide",
    "from_callable",
    "maximum",
    "minimum",
    "multiply",
]


def _in_own_dtype(values: list[jax.Array], formula: Callable) -> jax.Array:
    """``formula(values, dtype)`` computed in at least float32, returned in
    the promoted float dtype of `values` (nested schedules' results),
    saturated."""
    out = nx.result_dtype(*values)
    dtype = nx.compute_dtype(out)
    result = formula([v.astype(dtype) for v in values], dtype)
    return nx.saturate(result, out).astype(out)


class _OfOne(LearningRateSchedule):
    """One nested schedule and a number (``_apply(value, dtype)``)."""

    _raw_step = True

    def __post_init__(self):
        super().__post_init__()
        check_schedule(self, "schedule")

    def _result_dtype(self):
        return None  # the nested schedule's

    def _rate(self, step: jax.Array, _) -> jax.Array:
        return _in_own_dtype(
            [jnp.asarray(self.schedule(step))],
            lambda v, dtype: self._apply(v[0], dtype),
        )


class Constant(LearningRateSchedule):
    """A constant learning rate (``optax.constant_schedule`` as a pytree).

    ::

        lr(step) = value

    Args:
        value: The rate. A leaf (vmap, grad); sets the result dtype.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.Constant(0.1)
        >>> print(" ".join(f"{float(v):.2f}" for v in sched(jnp.arange(3))))
        0.10 0.10 0.10
    """

    value: ArrayLike
    name: str | None = static_field(default=None)

    _dtype_from = "value"

    _raw_step = True  # an integer step is never NaN: no test for it
    _saturated = True  # the value is, once

    def _bound(self, dtype, low):
        return nx.host_abs_max(self.value, dtype)

    def _rate(self, step: jax.Array, dtype) -> jax.Array:
        value = nx.saturate(nx.as_float(self.value, dtype), self._result_dtype())
        value = jnp.broadcast_to(value, jnp.broadcast_shapes(value.shape, jnp.shape(step)))
        if jnp.issubdtype(step.dtype, jnp.floating):
            value = nx.where(jnp.isnan(step), jnp.nan, value)  # a NaN step is NaN
        return value


class Scaled(_OfOne):
    """A schedule times a number: ``factor * schedule`` (``0.5 * s``, ``s * 2``).

    ::

        lr(step) = factor * schedule(step)

    Args:
        schedule: Any schedule (a nested pytree and config).
        factor: The multiplier. A leaf: it can be swept with ``vmap`` and
            differentiated.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape, in the
        dtype of ``schedule``'s result.

    Example:
        >>> sched = 0.5 * jaxsched.ExponentialDecay(0.1, 10, 0.5)
        >>> type(sched).__name__, f"{float(sched(10)):.3f}"
        ('Scaled', '0.025')
    """

    schedule: LearningRateSchedule = schedule_field()
    factor: ArrayLike
    name: str | None = static_field(default=None)

    def _apply(self, value: jax.Array, dtype) -> jax.Array:
        return nx.as_float(self.factor, dtype) * value


class Quotient(_OfOne):
    """A schedule divided by a number: ``schedule / divisor`` (``s / k``).

    ::

        lr(step) = schedule(step) / divisor

    The division is done as written (``0.3 / 3`` is 0.1 in float32, where
    ``0.3 * (1 / 3)`` is one ulp above).

    Args:
        schedule: Any schedule (a nested pytree and config).
        divisor: A nonzero number. A leaf (vmap, grad).
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape, in the
        dtype of ``schedule``'s result.

    Example:
        >>> sched = jaxsched.Constant(0.3) / 3
        >>> type(sched).__name__, f"{float(sched(0)):.2f}"
        ('Quotient', '0.10')
    """

    schedule: LearningRateSchedule = schedule_field()
    divisor: ArrayLike
    name: str | None = static_field(default=None)

    def __post_init__(self):
        super().__post_init__()
        check(self, "divisor", lambda v: v != 0, "must be nonzero")

    def _apply(self, value: jax.Array, dtype) -> jax.Array:
        return value / nx.safe_divisor(nx.as_float(self.divisor, dtype))


class _Elementwise(LearningRateSchedule):
    """Two or more schedules combined step by step (``_combine``)."""

    schedules: tuple = schedule_field()
    name: str | None = static_field(default=None)

    _raw_step = True

    def __post_init__(self):
        schedules = self.schedules
        if not isinstance(schedules, (list, tuple)):
            fail(self, "schedules", "must be a list of schedules", schedules, TypeError)
        object.__setattr__(self, "schedules", tuple(schedules))
        for i, s in enumerate(self.schedules):
            check_schedule(self, f"schedules[{i}]", s)
        if len(self.schedules) < 2:
            fail(self, "schedules", "must hold at least two schedules", schedules)
        super().__post_init__()

    def _result_dtype(self):
        return None  # the promotion of the schedules'

    def _rate(self, step: jax.Array, _) -> jax.Array:
        return _in_own_dtype(
            [jnp.asarray(s(step)) for s in self.schedules],
            lambda values, _: functools.reduce(self._combine, values),
        )


class Product(_Elementwise):
    """The product of schedules, step by step (``s1 * s2``).

    ::

        lr(step) = schedules[0](step) * schedules[1](step) * ...

    E.g. a warmup factor rising from 0 to 1 times any decay.

    Args:
        schedules: Two or more schedules (nested pytrees, serialized as a list
            of nested configs).
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape; the dtype
        is the promotion of the schedules' result dtypes.

    Example:
        >>> warmup = jaxsched.PolynomialDecay(0.0, 10, end_learning_rate=1.0)
        >>> sched = warmup * jaxsched.ExponentialDecay(0.1, 10, 0.5)
        >>> print(" ".join(f"{float(sched(s)):.4f}" for s in (0, 5, 10, 20)))
        0.0000 0.0354 0.0500 0.0250
    """

    _combine = staticmethod(jnp.multiply)


class Minimum(_Elementwise):
    """The smallest of several schedules at each step (:func:`minimum`).

    ::

        lr(step) = min(schedules[0](step), schedules[1](step), ...)

    E.g. a warmup line capped by a decay, or a rate held below a ceiling.

    Args:
        schedules: Two or more schedules (nested pytrees, serialized as a list
            of nested configs).
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape; the dtype
        is the promotion of the schedules' result dtypes.

    Example:
        >>> sched = jaxsched.minimum(jaxsched.ExponentialDecay(0.2, 10, 0.5), 0.1)
        >>> print(" ".join(f"{float(sched(s)):.3f}" for s in (0, 10, 20)))
        0.100 0.100 0.050
    """

    _combine = staticmethod(jnp.minimum)


class Maximum(_Elementwise):
    """The largest of several schedules at each step (:func:`maximum`).

    ::

        lr(step) = max(schedules[0](step), schedules[1](step), ...)

    E.g. a decay held above a floor (optax's ``end_value`` of
    ``exponential_decay``). Args and Returns: as :class:`Minimum`.

    Example:
        >>> sched = jaxsched.maximum(jaxsched.ExponentialDecay(0.1, 10, 0.5), 0.02)
        >>> print(" ".join(f"{float(sched(s)):.3f}" for s in (0, 10, 30)))
        0.100 0.050 0.020
    """

    _combine = staticmethod(jnp.maximum)


# --------------------------------------------------------------------------
# Plain callables


class _FromCallable(LearningRateSchedule):
    """A plain function of the step, as a schedule (see :func:`from_callable`)."""

    fn: Callable = static_field()
    name: str | None = static_field(default=None)

    _raw_step = True
    _stackable = False

    def __post_init__(self):
        super().__post_init__()
        if not callable(self.fn):
            raise TypeError(
                "from_callable: argument `fn` must be a function of the step. "
                f"Received: fn={self.fn!r}"
            )

    def _result_dtype(self):
        return None  # the function's, made a float

    def _rate(self, step: jax.Array, _) -> jax.Array:
        with user_code():  # (the user's function as written)
            value = jnp.asarray(self.fn(step))
        out = nx.result_dtype(value)
        return (value.astype(out) + jnp.zeros(jnp.shape(step), out)).astype(out)

    def get_config(self) -> dict[str, Any]:
        raise TypeError(
            f"from_callable({_fn_name(self.fn)}) cannot be serialized: a plain "
            "function has no config. Write it as a jaxsched.LearningRateSchedule "
            "subclass (or use the jaxsched.optax function of the same name) to "
            "serialize this schedule."
        )


def _fn_name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


def from_callable(
    fn: Callable[[ArrayLike], ArrayLike], name: str | None = None
) -> LearningRateSchedule:
    """A plain function of the step (e.g. an optax closure) as a schedule.

    The result joins compositions (``0.5 * from_callable(f)``,
    :class:`JoinSchedules`, :func:`minimum`) and works under ``jit`` and in
    optax. The function is static (part of the tree structure, like a
    ``staircase`` flag): it has no leaves to sweep or differentiate, and a
    composition that holds one cannot be serialized (``get_config`` raises a
    ``TypeError``) nor stacked (``jaxsched.stack`` raises a ``ValueError``).
    Write a :class:`LearningRateSchedule` subclass for those.

    Args:
        fn: A jittable function from the step to the rate. It gets the step
            as given (an integer or float array); its result is made a float
            array of the step's shape.
        name: Optional name.

    Returns:
        A schedule calling ``fn``.

    Raises:
        TypeError: if ``fn`` is not callable.

    Example:
        >>> import optax
        >>> closure = optax.linear_schedule(0.0, 0.1, transition_steps=10)
        >>> sched = jaxsched.from_callable(closure) * 2
        >>> print(f"{float(jax.jit(sched)(5)):.2f}")
        0.10
    """
    if isinstance(fn, LearningRateSchedule):
        return fn
    return _FromCallable(fn, name)


# --------------------------------------------------------------------------
# The operators


def _is_number(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, numbers.Real):
        return True
    return isinstance(x, (np.ndarray, np.generic, jax.Array)) and (
        jnp.issubdtype(x.dtype, np.integer) or jnp.issubdtype(x.dtype, np.floating)
    )


def _as_schedule(x: Any, caller: str) -> LearningRateSchedule:
    if isinstance(x, LearningRateSchedule):
        return x
    if _is_number(x):
        return Constant(x)
    if callable(x):
        return from_callable(x)
    raise TypeError(
        f"{caller}: expected schedules, numbers or functions of the step. "
        f"Received: {x!r}"
    )


def multiply(a: Any, b: Any) -> Any:
    """``a * b`` for a schedule and a number (:class:`Scaled`) or two
    schedules (:class:`Product`); ``NotImplemented`` for anything else."""
    if isinstance(a, LearningRateSchedule) and isinstance(b, LearningRateSchedule):
        return Product((a, b))
    if isinstance(a, LearningRateSchedule) and _is_number(b):
        return Scaled(a, b)
    if isinstance(b, LearningRateSchedule) and _is_number(a):
        return Scaled(b, a)
    return NotImplemented


def divide(a: LearningRateSchedule, b: Any) -> Any:
    """``a / b`` for a number ``b`` (:class:`Quotient`)."""
    if _is_number(b):
        return Quotient(a, b)
    if isinstance(b, LearningRateSchedule):
        raise TypeError(
            "a schedule can be divided by a number, not by a schedule (its "
            f"zeros would give inf). Received: {a!r} / {b!r}"
        )
    return NotImplemented


def minimum(*schedules: Any, name: str | None = None) -> Minimum:
    """The smallest of schedules, numbers or functions at each step.

    Numbers become :class:`Constant` and plain functions
    :func:`from_callable` schedules.

    Example:
        >>> sched = jaxsched.minimum(jaxsched.PolynomialDecay(0.0, 10, 1.0), 0.5)
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (0, 2, 8)))
        0.00 0.20 0.50
    """
    return Minimum(tuple(_as_schedule(s, "minimum") for s in schedules), name)


def maximum(*schedules: Any, name: str | None = None) -> Maximum:
    """The largest of schedules, numbers or functions at each step.

    Numbers become :class:`Constant` and plain functions
    :func:`from_callable` schedules.

    Example:
        >>> sched = jaxsched.maximum(jaxsched.CosineDecay(0.1, 100), 1e-3)
        >>> print(f"{float(sched(100)):.4f}")
        0.0010
    """
    return Maximum(tuple(_as_schedule(s, "maximum") for s in schedules), name)


# The operators of every schedule (see LearningRateSchedule.__mul__).
LearningRateSchedule._operators = types.SimpleNamespace(multiply=multiply, divide=divide)
