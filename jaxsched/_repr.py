"""Short, readable reprs of schedules: the constructor call that makes them.

``repr(schedule)`` reads as the call that builds it: required arguments
positionally, then only the arguments that differ from their defaults, as
keywords; nested schedules as their own calls. Numbers are shown plainly
(``0.1``, not ``np.float64(0.1)``), short vectors as lists (``[10, 20]``),
long arrays and the leaves of a stacked (batched) schedule as dtype and shape
(``f32[4]``), tracers likewise, and a PRNG key as its key data (``[0, 42]``,
which the constructor accepts back) or, when batched, as ``key<fry>[4]``.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import jax
import numpy as np

from ._config import Configurable
from ._numerics import is_key

# Vectors up to this many elements are shown as lists.
_SHORT = 6


def schedule_repr(schedule: Any) -> str:
    """``Class(required, ..., keyword=non_default, ...)`` for a schedule."""
    cls = type(schedule)
    if not dataclasses.is_dataclass(schedule):
        return object.__repr__(schedule)
    batch = _batch_shape(schedule)
    fields = {f.name: f for f in dataclasses.fields(schedule) if f.init}
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        params = []
    order = [p.name for p in params if p.name in fields] or list(fields)
    parts, positional = [], True
    for name in order:
        f = fields[name]
        value = getattr(schedule, name, None)
        required = (
            f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        )
        if not required and _is_default(schedule, f, value):
            positional = False
            continue
        text = _value(value, batch)
        if required and positional:
            parts.append(text)
        else:
            positional = False
            parts.append(f"{name}={text}")
    return f"{cls.__name__}({', '.join(parts)})"


def _batch_shape(schedule: Any) -> tuple[int, ...]:
    """The shape of the rate at a scalar step: () unless the schedule is
    stacked (or has array hyperparameters that broadcast)."""
    try:
        return tuple(jax.eval_shape(lambda s: s(0), schedule).shape)
    except Exception:  # noqa: BLE001 - a repr must never fail
        return ()


def _is_default(schedule: Any, f: dataclasses.Field, value: Any) -> bool:
    if f.default_factory is not dataclasses.MISSING:
        default = f.default_factory()
    else:
        default = f.default
    if is_key(value) and default is None:
        # A key defaulted from `seed` (NoisyLinearCosineDecay) is not shown.
        seed = getattr(schedule, "seed", None)
        return _is_seed_key(value, 0 if seed is None else seed)
    if isinstance(value, jax.core.Tracer) or _is_schedule(value):
        return False
    if value is None or default is None:
        return value is default
    if isinstance(default, str) or isinstance(value, str):
        return value == default
    try:
        return bool(np.shape(value) == np.shape(default) and np.all(
            np.asarray(value) == np.asarray(default)
        ))
    except (TypeError, ValueError):
        return False


def _is_seed_key(key: Any, seed: Any) -> bool:
    try:
        default = jax.random.key_data(jax.random.key(seed))
        return bool(np.array_equal(np.asarray(jax.random.key_data(key)), default))
    except Exception:  # noqa: BLE001 - traced seed, batched key, ...
        return False


def _is_schedule(value: Any) -> bool:
    return isinstance(value, Configurable)


def _value(value: Any, batch: tuple[int, ...]) -> str:
    if _is_schedule(value):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v, batch) for v in value) + "]"
    if value is None or type(value) in (bool, str, int, float):
        return repr(value)  # (not NumPy's float64, a float subclass)
    if isinstance(value, jax.core.Tracer):
        return _short(value.shape, value.dtype)
    if is_key(value):
        if value.shape:
            return _short(value.shape, value.dtype)
        return _plain(np.asarray(jax.random.key_data(value)))
    if isinstance(value, (np.ndarray, np.generic, jax.Array)):
        array = np.asarray(value)
        batched = batch and array.shape[: len(batch)] == batch
        if array.ndim == 0:
            return str(array[()])
        if array.ndim == 1 and array.size <= _SHORT and not batched:
            return _plain(array)
        return _short(array.shape, array.dtype)
    return repr(value)


def _plain(array: np.ndarray) -> str:
    return "[" + ", ".join(str(v) for v in array) + "]"


_KINDS = {"f": "f", "i": "i", "u": "u", "c": "c"}


def _short(shape: tuple[int, ...], dtype: Any) -> str:
    """``f32[4]``, ``i32[2,3]``, ``bf16[]``, ``key<fry>[4]``: JAX's short form."""
    dtype = np.dtype(dtype) if not hasattr(dtype, "itemsize") else dtype
    name = str(dtype)
    if name == "bfloat16":
        short = "bf16"
    elif name == "bool":
        short = "bool"
    elif getattr(dtype, "kind", None) in _KINDS and name[-1:].isdigit():
        short = f"{_KINDS[dtype.kind]}{dtype.itemsize * 8}"
    else:
        short = name
    return f"{short}[{','.join(str(d) for d in shape)}]"
