"""Validation of hyperparameters: one path for every schedule.

Concrete values (Python, NumPy, non-traced JAX arrays) raise a ``ValueError``
or ``TypeError`` naming the argument and the value. Traced values (inside
``jit``, ``vmap``, ``grad``) are never concretized: they are skipped, or,
under :func:`jaxsched.check`, become ``checkify`` checks with the same
message.
"""

from __future__ import annotations

import contextvars
import dataclasses
import numbers
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from ._numerics import is_concrete

# True while jaxsched.check re-runs a schedule's validation.
CHECKING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "jaxsched_checking", default=False
)

_F32 = np.finfo(np.float32)


def fail(obj: Any, arg: str, requirement: str, value: Any, exc=ValueError):
    """Raises `exc` naming the class, the argument, the rule and the value."""
    raise exc(
        f"{type(obj).__name__}: argument `{arg}` {requirement}. "
        f"Received: {arg}={shown(value)}"
    )


def shown(value: Any, limit: int = 1000) -> str:
    """repr(value) for a message: cut to `limit` characters, and safe for
    lists nested too deeply for repr."""
    try:
        text = repr(value)
    except RecursionError:
        return f"<{type(value).__name__} nested too deeply to show>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check(obj: Any, arg: str, ok: Callable[[Any], Any], requirement: str) -> None:
    """Raises a ValueError naming `arg` unless `ok(value)` holds everywhere.

    Does nothing for None, and for traced values unless :func:`jaxsched.check`
    is running (then a checkify check). `ok` must accept NumPy arrays and
    tracers: write it with operators (``v > 0``, ``b[..., 1:] > b[..., :-1]``,
    ``v % 1 == 0``); np functions fail on tracers, and jnp ones round float64
    NumPy values to float32 without x64.
    """
    value = getattr(obj, arg)
    if value is None:
        return
    if not is_concrete(value):
        if CHECKING.get():
            _checkify(obj, arg, jnp.all(ok(value)), requirement, value)
        return
    # Concrete: jnp in `ok` must evaluate now, also while a jit is tracing.
    with np.errstate(invalid="ignore"), jax.ensure_compile_time_eval():
        good = np.all(ok(np.asarray(value)))
    if not good:
        fail(obj, arg, requirement, value)


def check_increasing(obj: Any, arg: str) -> None:
    """Strictly increasing along the last axis (concrete or, under
    :func:`jaxsched.check`, traced): every boundary-taking class uses this."""
    value = getattr(obj, arg)
    if np.shape(value)[-1:] and np.shape(value)[-1] > 1:
        check(obj, arg, lambda b: b[..., 1:] > b[..., :-1],
              "must be strictly increasing (no duplicates)")


def _checkify(obj: Any, arg: str, good: jax.Array, requirement: str, value) -> None:
    """A checkify check with the message `fail` would raise (value at runtime)."""
    from jax.experimental import checkify

    text = f"{type(obj).__name__}: argument `{arg}` {requirement}. Received: {arg}="
    text = text.replace("{", "{{").replace("}", "}}")
    checkify.check(good, text + "{value}", value=value)


def check_number(obj: Any, arg: str, value: Any) -> None:
    """A numeric hyperparameter: a real number or an array of them, finite."""
    if isinstance(value, bool) or (
        isinstance(value, (np.ndarray, np.generic, jax.Array))
        and value.dtype == np.bool_
    ):
        fail(obj, arg, "must be a number, not a bool", value, TypeError)
    if isinstance(value, (numbers.Real, np.ndarray, np.generic, jax.Array)):
        if isinstance(value, int) and not -(2**63) <= value < 2**64:
            fail(obj, arg, "must fit in 64 bits", value)
        dtype = value.dtype if isinstance(value, jax.Array) else np.asarray(value).dtype
        if not (jnp.issubdtype(dtype, np.integer) or jnp.issubdtype(dtype, np.floating)):
            fail(obj, arg, f"must be a real number (got dtype {dtype})", value, TypeError)
        if is_concrete(value):
            _check_float32_range(obj, arg, value)
        elif CHECKING.get():
            _checkify(obj, arg, jnp.all(jnp.isfinite(value)), "must be finite", value)
        return
    fail(obj, arg, f"must be a number (got {type(value).__name__})", value, TypeError)


def _check_float32_range(obj: Any, arg: str, value: Any) -> None:
    """Finite, and usable in float32, the least precision schedules compute in.

    Without x64 a Python float of 1e39 becomes inf and one of 1e-40 is
    flushed to zero (a zero `decay_steps` gives 0/0 = NaN at step 0), so such
    values are rejected whatever the x64 flag is.
    """
    problem = float32_problem(value)
    if problem:
        fail(obj, arg, problem, value)


def float32_problem(value: Any) -> str | None:
    """What keeps a real number (or array) from being a float32
    hyperparameter (see _check_float32_range), or None."""
    try:
        v = np.asarray(value, dtype=np.float64)
    except OverflowError:  # a Python int beyond the float range
        v = np.asarray(np.inf)
    with np.errstate(invalid="ignore", over="ignore"):
        if not np.all(np.isfinite(v)):
            return "must be finite"
        if not np.all(np.isfinite(v.astype(np.float32))):
            return f"must be finite in float32 (at most {_F32.max:.8g} in magnitude)"
    if np.any((v != 0) & (np.abs(v) < _F32.tiny)):
        return (f"must be 0 or at least {_F32.tiny:.8g} in magnitude (float32 "
                "flushes smaller numbers to zero)")
    return None


def check_field_types(obj: Any, nested: type = ()) -> None:
    """Type checks shared by every schedule, from the dataclass fields.

    Static ``bool`` fields must be bools, ``name`` a string or None, and
    every child field a finite real number or array, a nested schedule, a
    PRNG key, or None where the default is None; a value of the `nested`
    class (a schedule) only in a field that takes one. Integers beyond int32 are
    stored as floats (exact up to 2**53), since hyperparameters are jit
    arguments of every call and JAX narrows them to int32 without x64.
    """
    if not dataclasses.is_dataclass(obj):
        return
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.metadata.get("static", False):
            if f.name == "name":
                if value is not None and not isinstance(value, str):
                    fail(obj, f.name, "must be a string or None", value, TypeError)
            elif f.type in ("bool", bool):
                if not isinstance(value, (bool, np.bool_)):
                    fail(obj, f.name, "must be a bool", value, TypeError)
            continue
        kind = f.metadata.get("kind")
        if kind in ("key", "schedule", "any") or (
                # A number there (a warmup's constant target) is checked and
                # widened as any number below; anything else is the class's
                # (a schedule, or its own message for a config dict).
                kind == "schedule_or_number" and not _is_number(value)):
            continue
        if nested and isinstance(value, nested):
            fail(obj, f.name, f"must be a number, not a schedule ({type(value).__name__}); "
                 "a schedule goes only where the class takes one", value, TypeError)
        if value is None and f.default is None:
            continue
        check_number(obj, f.name, value)
        if isinstance(value, int) and not -(2**31) <= value < 2**31:
            object.__setattr__(obj, f.name, float(value))
        elif isinstance(value, (np.ndarray, np.generic)):
            safe = jit_safe(np.asarray(value))
            if safe.dtype != np.asarray(value).dtype:
                object.__setattr__(obj, f.name, safe)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.ndarray, np.generic, jax.Array)) \
        and not isinstance(value, bool)


def jit_safe(array: np.ndarray) -> np.ndarray:
    """A host integer array that keeps its values as a jit argument.

    Without x64, JAX narrows int64 arguments to int32, wrapping values
    beyond its range; as float64 they stay exact up to 2**53.
    """
    if array.dtype.kind in "iu" and not np.all((array >= -(2**31)) & (array < 2**31)):
        return array.astype(np.float64)
    return array


_PLAIN = (int, float)


def _plain_numbers(value: list | tuple) -> np.ndarray | None:
    """A flat list of Python ints and floats (what configs hold) as one NumPy
    array, checked as a whole by the caller; None for anything else (bools,
    NumPy or JAX scalars, tracers, nested lists, ints beyond 64 bits), which
    takes the element-by-element path with its precise messages.

    One pass of ``type`` lookups and one conversion: 10**6 boundaries in a
    fraction of a second, where a check per element takes half a minute.
    """
    if not all(type(v) in _PLAIN for v in value):  # (bool is not int here)
        return None
    array = np.asarray(value)
    return array if array.dtype.kind in "iuf" else None  # huge ints: object


def to_vector(obj: Any, arg: str) -> None:
    """Turns a list/tuple field into one array leaf (in place, at construction).

    Concrete lists become NumPy arrays (so that configs keep exact Python
    values); lists holding tracers are stacked with jnp. Arrays pass through.
    """
    value = getattr(obj, arg)
    if isinstance(value, (list, tuple)):
        if len(value) == 0:
            fail(obj, arg, "must not be empty", value)
        array = _plain_numbers(value)
        if array is None:  # anything but a flat list of Python numbers
            for v in value:
                if isinstance(v, (list, tuple)):
                    continue
                check_number(obj, arg, v)
            if is_concrete(value):
                try:
                    array = np.asarray(value)
                except ValueError:  # NumPy's "inhomogeneous shape" names nothing
                    fail(obj, arg, "must be a flat list of numbers (nested lists "
                         "must be rectangular)", value)
            else:
                array = jnp.stack([jnp.asarray(v) for v in value])
        object.__setattr__(obj, arg, array)
    elif not isinstance(value, (np.ndarray, jax.Array)):
        fail(obj, arg, "must be a list or an array of numbers", value, TypeError)
    value = getattr(obj, arg)
    if value.ndim == 0:
        fail(obj, arg, "must be a list or a 1-D array, not a scalar", value)
    if value.shape[-1] == 0:
        fail(obj, arg, "must not be empty", value)
    check_number(obj, arg, value)
    if isinstance(value, np.ndarray):
        object.__setattr__(obj, arg, jit_safe(value))
