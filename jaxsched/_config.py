"""Configs: the class registry, ``get_config`` / ``from_config``, and
``serialize`` / ``deserialize`` (Keras-compatible).

:class:`Configurable` is the half of the schedule base class that knows
about configs: a dataclass's fields are its constructor arguments, so
``get_config`` and ``from_config`` come for free, and every public class of
the ``jaxsched`` package registers itself under its bare (Keras) class name
when it is defined. ``serialize`` writes Keras 3's format with
``"module": "jaxsched"``; ``deserialize`` reads that, Keras 3's own output,
tf.keras (Keras 2) output and the legacy ``{"class_name": ..., "config": ...}``
form; the class is found by name, so ``"module"`` is informational.
"""

from __future__ import annotations

import contextvars
import dataclasses
import inspect
import json
from typing import TYPE_CHECKING, Any, Mapping

import jax
import numpy as np

from ._numerics import is_key

if TYPE_CHECKING:  # annotations only: _core imports this module
    from ._core import LearningRateSchedule

__all__ = ["serialize", "deserialize", "register_serializable"]

# registered name -> class. Built-in schedules use their bare class name, user
# classes "package>Name" (Keras' convention).
_REGISTRY: dict[str, type] = {}
# class -> registered name
_NAMES: dict[type, str] = {}

_custom_objects: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "jaxsched_custom_objects", default={}
)


class Configurable:
    """Configs from dataclass fields; public jaxsched classes self-register."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("jaxsched.") and not cls.__name__.startswith("_"):
            _add(cls.__name__, cls)
            _NAMES[cls] = cls.__name__

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments as JSON-ready Python values.

        Arrays become (nested) lists, NumPy scalars Python numbers, nested
        schedules their :func:`jaxsched.serialize` dict. ``name`` is left out
        when it is ``None`` so that Keras, which needs a string there, reads
        the config too.
        """
        if not dataclasses.is_dataclass(self):
            raise NotImplementedError(
                f"{type(self).__name__} is not a dataclass: implement get_config."
            )
        config = {}
        for f in dataclasses.fields(self):
            if not f.init:
                continue
            value = getattr(self, f.name)
            if f.name == "name" and value is None:
                continue
            config[f.name] = to_json(value, f"{type(self).__name__}.{f.name}")
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        """Builds a schedule from the output of :meth:`get_config`.

        Raises:
            ValueError: if ``config`` has arguments the class does not take,
                or lacks one it requires.
        """
        if not isinstance(config, dict):
            raise TypeError(
                f"{cls.__name__}.from_config: `config` must be a dict. "
                f"Received: config={config!r}"
            )
        params = inspect.signature(cls).parameters
        accepted = [
            n
            for n, p in params.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        unknown = sorted(set(config) - set(accepted))
        if unknown:
            raise ValueError(
                f"{cls.__name__}.from_config: unknown argument(s) {unknown}. "
                f"{cls.__name__} takes {accepted}. Received: config={config!r}"
            )
        missing = [
            n
            for n in accepted
            if params[n].default is inspect.Parameter.empty and n not in config
        ]
        if missing:
            raise ValueError(
                f"{cls.__name__}.from_config: missing required argument(s) "
                f"{missing}. Received: config={config!r}"
            )
        kwargs = {k: from_json(v, k) for k, v in config.items()}
        return cls(**kwargs)


def register_serializable(
    cls: type | None = None, *, package: str = "Custom", name: str | None = None
) -> Any:
    """Registers a schedule class so that :func:`deserialize` finds it.

    Usable as ``@register_serializable`` or
    ``@register_serializable(package="my_project")``. The class is stored
    under ``"package>Name"`` (Keras' ``registered_name``) and, unless that
    bare name is a built-in, also under ``"Name"``, so configs written by
    Keras for a class of the same name load too.

    Raises:
        TypeError: if ``cls`` is not a ``LearningRateSchedule`` subclass.
        ValueError: if another class is already registered under the name.
    """

    def register(cls: type) -> type:
        if not (isinstance(cls, type) and issubclass(cls, Configurable)):
            raise TypeError(
                "register_serializable: `cls` must be a subclass of "
                f"jaxsched.LearningRateSchedule. Received: cls={cls!r}"
            )
        bare = name or cls.__name__
        key = f"{package}>{bare}"
        _add(key, cls)
        # Legacy configs carry only the bare class name: map it too when free.
        if bare not in _REGISTRY or _same(_REGISTRY[bare], cls):
            _REGISTRY[bare] = cls
        _NAMES[cls] = key
        return cls

    return register if cls is None else register(cls)


def _same(a: type | None, b: type) -> bool:
    return a is None or (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def _add(key: str, cls: type) -> None:
    existing = _REGISTRY.get(key)
    if existing is not None and not _same(existing, cls):
        raise ValueError(
            f"register_serializable: the name {key!r} is already registered to "
            f"{existing.__module__}.{existing.__qualname__}. Received: cls={cls!r}"
        )
    _REGISTRY[key] = cls


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """A JSON-ready dict describing ``schedule``, readable by :func:`deserialize`.

    ``{"module": "jaxsched", "class_name": ..., "config": schedule.get_config(),
    "registered_name": None}``, Keras 3's layout. For a class registered with
    :func:`register_serializable`, ``module`` is its Python module and
    ``registered_name`` its registered name.

    Example:
        >>> d = jaxsched.serialize(jaxsched.ExponentialDecay(0.1, 1000, 0.9))
        >>> d["class_name"], d["config"]["decay_rate"]
        ('ExponentialDecay', 0.9)
    """
    if not isinstance(schedule, Configurable):
        raise TypeError(
            "serialize: expected a jaxsched.LearningRateSchedule. "
            f"Received: schedule={schedule!r}"
        )
    cls = type(schedule)
    registered = _NAMES.get(cls)
    builtin = registered == cls.__name__ and cls.__module__.startswith("jaxsched.")
    return {
        "module": "jaxsched" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": schedule.get_config(),
        "registered_name": None if builtin else registered,
    }


def deserialize(
    config: Mapping[str, Any] | str, custom_objects: Mapping[str, Any] | None = None
) -> LearningRateSchedule:
    """Builds a schedule from a serialized dict (ours or Keras').

    Accepts :func:`serialize`'s output, Keras 3's
    ``keras.optimizers.schedules.serialize`` output, tf.keras (Keras 2)
    output and the legacy ``{"class_name": ..., "config": ...}`` form, also
    as a JSON string. Nested schedules (warmup wrappers) and Keras'
    ``__numpy__`` / ``__tensor__`` value dicts inside ``config`` are decoded.

    Args:
        config: The serialized schedule.
        custom_objects: Optional mapping from class name (or registered name)
            to a ``LearningRateSchedule`` subclass; it takes precedence over
            the registry, also for nested schedules.

    Raises:
        TypeError: if ``config`` is not a dict (or JSON text of one).
        ValueError: if the dict is malformed, names an unknown class (the
            message lists the known ones), or has unknown or missing
            constructor arguments.

    Example:
        >>> keras_dict = {
        ...     "module": "keras.optimizers.schedules",
        ...     "class_name": "PolynomialDecay",
        ...     "config": {"initial_learning_rate": 0.1, "decay_steps": 100,
        ...                "end_learning_rate": 0.01, "power": 1.0,
        ...                "cycle": False, "name": "PolynomialDecay"},
        ...     "registered_name": None,
        ... }
        >>> sched = jaxsched.deserialize(keras_dict)
        >>> print(f"{float(sched(50)):.4f}")
        0.0550
    """
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"deserialize: `config` is a string but not JSON ({exc}). "
                f"Received: config={config[:200]!r}"
            ) from None
    if not isinstance(config, Mapping):
        raise TypeError(
            "deserialize: `config` must be a dict with 'class_name' and "
            f"'config' keys. Received: config={config!r}"
        )
    if "class_name" not in config:
        raise ValueError(
            "deserialize: `config` has no 'class_name' key. "
            f"Received: config={dict(config)!r}"
        )
    class_name = config["class_name"]
    if not isinstance(class_name, str):
        raise ValueError(
            "deserialize: 'class_name' must be a string. "
            f"Received: class_name={class_name!r}"
        )
    if "config" not in config:
        raise ValueError(
            f"deserialize: `config` has no 'config' key (the arguments of "
            f"{class_name}). Received: config={dict(config)!r}"
        )
    inner = config["config"]
    if not isinstance(inner, Mapping):
        raise ValueError(
            f"deserialize: 'config' of {class_name} must be a dict of arguments. "
            f"Received: config={inner!r}"
        )
    registered_name = config.get("registered_name")
    token = None
    if custom_objects is not None:
        if not isinstance(custom_objects, Mapping):
            raise TypeError(
                "deserialize: `custom_objects` must be a dict from class names to "
                f"classes. Received: custom_objects={custom_objects!r}"
            )
        token = _custom_objects.set({**_custom_objects.get(), **custom_objects})
    try:
        cls = _lookup(class_name, registered_name)
        return cls.from_config(dict(inner))
    finally:
        if token is not None:
            _custom_objects.reset(token)


def _lookup(class_name: str, registered_name: Any) -> type:
    custom = _custom_objects.get()
    names = [n for n in (registered_name, class_name) if isinstance(n, str)]
    found = None
    for table in (custom, _REGISTRY):
        for n in names:
            if n in table:
                found = table[n]
                break
        if found is None and table is custom:
            # Keras matches "package>Name" against a bare "Name" and back.
            for n in names:
                bare = n.split(">")[-1]
                for key, value in table.items():
                    if key.split(">")[-1] == bare:
                        found = value
                        break
                if found is not None:
                    break
        if found is not None:
            break
    if found is None:
        known = sorted({*(k for k in _REGISTRY if ">" not in k), *custom})
        raise ValueError(
            f"deserialize: unknown schedule class {class_name!r}"
            + (f" (registered_name {registered_name!r})" if registered_name else "")
            + f". Known classes: {known}. Pass custom_objects={{{class_name!r}: cls}} "
            "or decorate the class with @jaxsched.register_serializable."
        )
    if not (isinstance(found, type) and issubclass(found, Configurable)):
        raise TypeError(
            f"deserialize: {class_name!r} resolves to {found!r}, which is not a "
            "jaxsched.LearningRateSchedule subclass."
        )
    return found


# --------------------------------------------------------------------------
# Value conversion for get_config / from_config


def to_json(value: Any, where: str = "value") -> Any:
    """A JSON-ready copy of a hyperparameter value (used by get_config)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Configurable):
        return serialize(value)
    if isinstance(value, (list, tuple)):
        return [to_json(v, where) for v in value]
    if isinstance(value, jax.core.Tracer):
        raise ValueError(
            f"get_config: {where} is traced (inside jit/vmap/grad); a config "
            "needs concrete values. Call get_config outside the transformation."
        )
    if is_key(value):
        return np.asarray(jax.random.key_data(value)).tolist()
    if isinstance(value, (np.ndarray, np.generic, jax.Array)):
        return np.asarray(value).tolist()  # 0-d arrays give Python scalars
    if isinstance(value, dict):
        return {k: to_json(v, where) for k, v in value.items()}
    raise TypeError(f"get_config: cannot convert {where}={value!r} to JSON.")


_KERAS_VALUE_CLASSES = ("__numpy__", "__tensor__")


def from_json(value: Any, arg: str = "value") -> Any:
    """Decodes nested schedule dicts and Keras value dicts (used by from_config).

    ``arg`` names the argument in error messages.
    """
    if isinstance(value, Mapping) and "class_name" in value:
        if value["class_name"] in _KERAS_VALUE_CLASSES:
            inner = value.get("config", {})
            problem = None
            if not isinstance(inner, Mapping) or "value" not in inner:
                problem = "no 'value' in its 'config'"
            else:
                try:
                    return np.asarray(inner["value"], dtype=inner.get("dtype"))
                except (TypeError, ValueError) as exc:  # bad value or dtype
                    problem = str(exc)
            raise ValueError(
                f"deserialize: argument `{arg}` is a malformed "
                f"{value['class_name']} value ({problem}). Received: {arg}={value!r}"
            )
        return deserialize(value)
    if isinstance(value, list):  # lists of nested schedules (joins, minimum)
        return [from_json(v, arg) for v in value]
    return value

