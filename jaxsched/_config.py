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
        # Public classes of the package; not the abstract base (a direct subclass).
        public = cls.__module__.startswith("jaxsched.") and not cls.__name__.startswith("_")
        if public and Configurable not in cls.__bases__:
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


# The classes of Keras 3's ``keras.optimizers.schedules`` (tf.keras also had
# LinearCosineDecay and NoisyLinearCosineDecay; Keras 3 dropped them).
KERAS_CLASSES = (
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
)
# Arguments Keras stores as a list; every other one is a single number.
_KERAS_LISTS = ("boundaries", "values")
_FORMATS = ("jaxsched", "keras")


def serialize(
    schedule: LearningRateSchedule, format: str = "jaxsched"
) -> dict[str, Any]:
    """A JSON-ready dict describing ``schedule``, readable by :func:`deserialize`.

    ``format="jaxsched"`` (the default) gives ``{"module": "jaxsched",
    "class_name": ..., "config": schedule.get_config(), "registered_name":
    None}``, Keras 3's layout, which Keras 3 also reads for the classes it
    has. For a class registered with :func:`register_serializable`,
    ``module`` is its Python module and ``registered_name`` its registered
    name.

    ``format="keras"`` gives exactly what Keras 3's
    ``keras.optimizers.schedules.serialize`` writes (``"module":
    "keras.optimizers.schedules"``), so that
    ``keras.optimizers.schedules.deserialize`` rebuilds the same schedule.
    It never falls back silently: a class Keras 3 does not have (Model
    Garden's, the compositions, ``LinearCosineDecay``...), a subclass of one
    it has, or a stacked schedule raise a ``ValueError`` saying why.

    Raises:
        TypeError: if ``schedule`` is not a jaxsched schedule.
        ValueError: for an unknown ``format``, or, with ``format="keras"``,
            a schedule Keras 3 cannot rebuild.

    Example:
        >>> d = jaxsched.serialize(jaxsched.ExponentialDecay(0.1, 1000, 0.9))
        >>> d["class_name"], d["config"]["decay_rate"]
        ('ExponentialDecay', 0.9)
        >>> jaxsched.serialize(jaxsched.ExponentialDecay(0.1, 1000, 0.9),
        ...                    format="keras")["module"]
        'keras.optimizers.schedules'
    """
    if not isinstance(schedule, Configurable):
        raise TypeError(
            "serialize: expected a jaxsched.LearningRateSchedule. "
            f"Received: schedule={schedule!r}"
        )
    if format not in _FORMATS:
        raise ValueError(
            f"serialize: `format` must be one of {list(_FORMATS)}. "
            f"Received: format={format!r}"
        )
    if format == "keras":
        return _to_keras(schedule)
    cls = type(schedule)
    registered = _NAMES.get(cls)
    builtin = registered == cls.__name__ and cls.__module__.startswith("jaxsched.")
    return {
        "module": "jaxsched" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": schedule.get_config(),
        "registered_name": None if builtin else registered,
    }


def _to_keras(schedule: Configurable) -> dict[str, Any]:
    """Keras 3's serialized form of `schedule`, or a ValueError saying why not."""
    cls = type(schedule)
    name = cls.__name__
    ours = _NAMES.get(cls) == name and cls.__module__.startswith("jaxsched.")
    if not (ours and name in KERAS_CLASSES):
        if ours:
            problem = f"Keras 3 has no {name}"
        else:
            problem = (
                f"{cls.__module__}.{cls.__qualname__} is not one of jaxsched's "
                "Keras classes"
            )
        raise ValueError(
            f"serialize(format='keras'): {problem} (Keras 3's schedules: "
            f"{', '.join(KERAS_CLASSES)}). Keep jaxsched's format, "
            "serialize(schedule), which jaxsched.deserialize reads back, or "
            "rebuild the schedule from one of Keras' classes."
        )
    config = schedule.get_config()
    for arg, value in config.items():
        nested = any(isinstance(v, list) for v in value) if isinstance(
            value, list) else False
        if isinstance(value, list) != (arg in _KERAS_LISTS) or nested:
            raise ValueError(
                f"serialize(format='keras'): argument `{arg}` of {name} is "
                f"an array of shape {np.shape(getattr(schedule, arg))}; a Keras "
                "schedule holds one value per argument (one list for "
                "`boundaries` and `values`). Serialize each member of a stacked "
                "schedule (jaxsched.unstack) on its own."
            )
    # Keras computes in the dtype of the rate it is given: an integer rate
    # (jaxsched: JAX's default float) would make it compute in integers.
    for arg, value in config.items():
        if arg == "boundaries" or arg.endswith("steps") or isinstance(value, bool):
            continue
        if isinstance(value, int):
            config[arg] = float(value)
        elif isinstance(value, list):
            config[arg] = [float(v) for v in value]
    return {
        "module": "keras.optimizers.schedules",
        "class_name": name,
        "config": config,
        "registered_name": None,
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

    A whole optimizer config (Keras 3 or tf.keras: ``{"class_name": "AdamW",
    "config": {"learning_rate": <schedule dict>, ...}}``) gives the schedule
    of its ``learning_rate``. For other configs that hold a schedule deeper
    (a Keras model's ``compile_config``, a Model Garden experiment) the error
    names where it sits.

    Args:
        config: The serialized schedule.
        custom_objects: Optional mapping from class name (or registered name)
            to a ``LearningRateSchedule`` subclass; it takes precedence over
            the registry, also for nested schedules.

    Raises:
        TypeError: if ``config`` is not a dict (or JSON text of one).
        ValueError: if the dict is malformed, names an unknown class (the
            message lists the known ones, or says where a schedule sits
            inside it), is an optimizer config whose ``learning_rate`` is
            not a schedule, or has unknown or missing constructor arguments.

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
            "deserialize: `config` has no 'class_name' key"
            + _where_the_schedule_is(config)
            + f". Received: config={_short(config)}"
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
        if _find(class_name, registered_name) is None:
            if "learning_rate" in inner:
                return _from_optimizer(class_name, inner["learning_rate"])
            hint = _where_the_schedule_is(config)
            if hint:
                raise ValueError(
                    f"deserialize: {class_name!r} is not a schedule class{hint}."
                )
        cls = _lookup(class_name, registered_name)
        return cls.from_config(dict(inner))
    finally:
        if token is not None:
            _custom_objects.reset(token)


def _from_optimizer(class_name: str, learning_rate: Any) -> LearningRateSchedule:
    """The schedule of an optimizer config (Keras 3, tf.keras: ``{"class_name":
    "AdamW", "config": {"learning_rate": <schedule dict>, ...}}``)."""
    if isinstance(learning_rate, Mapping) and "class_name" in learning_rate:
        return deserialize(learning_rate)
    if isinstance(learning_rate, Mapping) and "type" in learning_rate:
        raise ValueError(
            f"deserialize: {class_name!r} is an optimizer config, not a schedule "
            "class, and its `learning_rate` is a Model Garden learning-rate "
            "section: pass the whole optimization config to "
            "jaxsched.from_model_garden_config. "
            f"Received: learning_rate={_short(learning_rate)}"
        )
    raise ValueError(
        f"deserialize: {class_name!r} is an optimizer config, not a schedule "
        "class, and its `learning_rate` is not a schedule dict (a constant rate "
        f"needs no schedule). Received: learning_rate={_short(learning_rate)}"
    )


def _short(value: Any, limit: int = 300) -> str:
    text = repr(dict(value) if isinstance(value, Mapping) else value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def find_schedule_configs(
    obj: Any, max_depth: int = 12
) -> list[tuple[str, str, Mapping[str, Any]]]:
    """The schedules inside a config (a Keras model or optimizer config, a
    Model Garden experiment...), shallowest first, as ``(path, kind, dict)``.

    ``kind`` is ``"schedule"`` for a serialized schedule (a dict with a
    ``class_name`` that is a known schedule class, or any class under a
    ``learning_rate`` key) and ``"model_garden"`` for a dict whose
    ``learning_rate`` is a Model Garden one-of section (``{"type": ...}``),
    which :func:`jaxsched.from_model_garden_config` reads. ``path`` reads as
    Python indexing (``["config"]["learning_rate"]``). The search stops
    ``max_depth`` levels down and does not look inside the schedules found.
    """
    found: list[tuple[str, str, Mapping[str, Any]]] = []
    level: list[tuple[str, Any, Any]] = [("", None, obj)]
    for _ in range(max_depth + 1):
        below = []
        for path, key, value in level:
            if isinstance(value, Mapping):
                if _is_schedule_dict(value, under_learning_rate=key == "learning_rate"):
                    found.append((path, "schedule", value))
                    continue
                lr = value.get("learning_rate")
                if isinstance(lr, Mapping) and isinstance(lr.get("type"), str):
                    found.append((path, "model_garden", value))
                    continue
                items = value.items()
            elif isinstance(value, (list, tuple)):
                items = enumerate(value)
            else:
                continue
            below += [(f"{path}[{k!r}]", k, v) for k, v in items]
        level = below
    return found


def _is_schedule_dict(value: Mapping[str, Any], under_learning_rate: bool) -> bool:
    name = value.get("class_name")
    if not (isinstance(name, str) and isinstance(value.get("config"), Mapping)):
        return False
    return under_learning_rate or _find(name, value.get("registered_name")) is not None


def _where_the_schedule_is(config: Any) -> str:
    """'' or a hint naming where a schedule sits inside `config`."""
    try:
        found = find_schedule_configs(config)
    except RecursionError:  # pragma: no cover - pathological input
        return ""
    if not found:
        return ""
    path, kind, _ = found[0]
    if kind == "model_garden":
        return (
            f"; config{path} is a Model Garden optimization config: pass it to "
            "jaxsched.from_model_garden_config"
        )
    return f"; a schedule sits at config{path}: pass that"


def _find(class_name: str, registered_name: Any) -> type | None:
    """The class a serialized dict names, or None (custom objects first)."""
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
    return found


def _lookup(class_name: str, registered_name: Any) -> type:
    found = _find(class_name, registered_name)
    if found is None:
        custom = _custom_objects.get()
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
_PLAIN_JSON = (int, float, str, bool, type(None))


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
        if all(type(v) in _PLAIN_JSON for v in value):  # numbers: as they are
            return value
        return [from_json(v, arg) for v in value]
    return value

