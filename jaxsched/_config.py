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
import math
import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
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
# True while deserialize runs (the depth of its config is checked once).
_DEPTH_CHECKED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "jaxsched_depth_checked", default=False
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

        Python numbers stay as they are, and so do float64 and int64 values
        (as Python numbers; as lists in list arguments such as
        ``boundaries``); every other array or NumPy/JAX scalar becomes a
        typed value that keeps its dtype, shape and bits (see
        :func:`jaxsched.serialize`); nested schedules become their
        :func:`jaxsched.serialize` dict. ``name`` is left out when it is
        ``None`` so that Keras, which needs a string there, reads the config
        too.
        """
        if not dataclasses.is_dataclass(self):
            raise NotImplementedError(
                f"{type(self).__name__} is not a dataclass: implement get_config."
            )
        config = {}
        lists = getattr(self, "_list_fields", ())
        for f in dataclasses.fields(self):
            if not f.init:
                continue
            value = getattr(self, f.name)
            if f.name == "name" and value is None:
                continue
            config[f.name] = to_json(value, f"{type(self).__name__}.{f.name}",
                                     list_field=f.name in lists)
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
                f"Received: config={_short(config)}"
            )
        bad = [k for k in config if not isinstance(k, str)]
        if bad:
            raise TypeError(
                f"{cls.__name__}.from_config: the argument names in `config` must be "
                f"strings. Received: {_short(bad)}"
            )
        if not _DEPTH_CHECKED.get():
            _check_bounds(config, "config")
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
                f"{cls.__name__} takes {accepted}. Received: config={_short(config)}"
            )
        missing = [
            n
            for n in accepted
            if params[n].default is inspect.Parameter.empty and n not in config
        ]
        if missing:
            raise ValueError(
                f"{cls.__name__}.from_config: missing required argument(s) "
                f"{missing}. Received: config={_short(config)}"
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
    has when the hyperparameters are Python numbers. For a class registered
    with :func:`register_serializable`, ``module`` is its Python module and
    ``registered_name`` its registered name.

    :func:`deserialize` rebuilds every leaf exactly: the same dtype, shape
    and bits, with or without ``jax_enable_x64``. Python numbers, and
    float64 and int64 values (what NumPy makes of Python floats and ints),
    are written as plain JSON numbers (lists in list arguments such as
    ``boundaries``), so a config of Python numbers is plain Keras JSON. Any
    other value (a float32, bfloat16 or float16 rate, an int32 step count,
    an array hyperparameter, a stacked sweep's leaves) is a typed value, in
    the layout Keras 3 uses for NumPy arrays plus the shape::

        {"class_name": "__numpy__",
         "config": {"value": [0.1, 0.2], "dtype": "float32", "shape": [2]}}

    with each float written as the shortest decimal that reads back to the
    same value of its dtype (float32 ``0.1`` as ``0.1``, not as
    ``0.10000000149011612``); ``dtype`` is one of ``bfloat16``,
    ``float16``, ``float32``, ``float64``, ``int8`` ... ``int64``,
    ``uint8`` ... ``uint64``. A PRNG key is its uint32 key data (a plain
    list) for JAX's default implementation, else ``{"class_name":
    "__prng_key__", "config": {"impl": "rbg", "value": [...]}}``.

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
    # Keras' schedules hold Python numbers: typed values become plain ones.
    config = {
        arg: _decode_typed(v, arg).tolist()
        if isinstance(v, Mapping) and v.get("class_name") == TYPED_VALUE else v
        for arg, v in schedule.get_config().items()
    }
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

    Typed values (see :func:`serialize`; Keras 3's ``__numpy__`` and
    ``__tensor__``) become NumPy arrays of their dtype, which must be a
    plain numeric one (no structured, sub-array, object or string dtypes);
    nothing is allocated beyond what the config's text holds. Dicts and
    lists may nest at most 100 levels deep (49 schedules inside one
    another) and hold at most 50,000,000 entries and 256 schedules in all,
    a dict or list that appears in several places (YAML anchors and
    aliases) counting at each; other configs, and JSON text too deep to parse, raise a
    ``ValueError`` before anything is built.

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
        TypeError: if ``config`` is not a dict (or JSON text of one), a key
            of ``custom_objects`` or an argument name is not a string.
        ValueError: if the dict is malformed, nests too deeply or holds too
            many entries, names an unknown class (the message lists the
            known ones, or says where a schedule sits inside it), is an
            optimizer config whose ``learning_rate`` is not a schedule, has
            unknown or missing constructor arguments, or a malformed typed
            value (a dtype that is not plain numeric, ragged lists, values
            out of the dtype's range, a shape its value does not have, an
            empty value's shape beyond 2**31 - 1 elements); the
            constructor's own ``ValueError`` / ``TypeError`` for bad
            hyperparameters; JSON text with an integer too long to read.

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
        except RecursionError:
            raise ValueError(
                "deserialize: `config` is JSON nested too deeply to read (the limit "
                f"is {MAX_CONFIG_DEPTH} levels). Received: config={config[:200]!r}"
            ) from None
        except ValueError as exc:  # an integer of more than 4300 digits
            raise ValueError(
                f"deserialize: `config` is JSON holding a number too long to read "
                f"({exc}). Received: config={config[:200]!r}"
            ) from None
    token = None
    if custom_objects is not None:
        if not isinstance(custom_objects, Mapping):
            raise TypeError(
                "deserialize: `custom_objects` must be a dict from class names to "
                f"classes. Received: custom_objects={_short(custom_objects)}"
            )
        bad = [k for k in custom_objects if not isinstance(k, str)]
        if bad:
            raise TypeError(
                "deserialize: the keys of `custom_objects` must be class names "
                f"(strings). Received: {_short(bad)} in "
                f"custom_objects={_short(custom_objects)}"
            )
        token = _custom_objects.set({**_custom_objects.get(), **custom_objects})
    checked = _DEPTH_CHECKED.set(True)
    try:
        _check_bounds(config, "config")
        return _deserialize(config)
    finally:
        _DEPTH_CHECKED.reset(checked)
        if token is not None:
            _custom_objects.reset(token)


_SCALAR_TYPES = frozenset({int, float, str, bool, type(None)})


def _check_bounds(config: Any, arg: str, subject: str | None = None) -> None:
    """A ValueError naming `arg` when dicts and lists in `config` nest deeper
    than MAX_CONFIG_DEPTH (a cycle nests without end), or hold more than
    MAX_CONFIG_ENTRIES entries or MAX_CONFIG_SCHEDULES schedule dicts (with a
    ``class_name``), a dict or list shared between several places (as YAML
    anchors and aliases make) counting at each: what walking, showing or
    converting the config can cost, and what a call compiles (every
    schedule of a config is in its program, and XLA's compile time grows
    faster than their number: a join of 300 constants 3 s, of 500 a
    minute). Checked without recursion, visiting each dict and list once
    (once per deserialize). `subject` starts the message (default:
    ``deserialize: `arg```)."""
    if not isinstance(config, (Mapping, list, tuple)):
        return
    subject = subject or f"deserialize: `{arg}`"

    def too_deep() -> ValueError:
        return ValueError(
            f"{subject} nests dicts and lists more than {MAX_CONFIG_DEPTH} levels "
            "deep (jaxsched's limit; a schedule inside another takes two levels)."
        )

    def too_big() -> ValueError:
        return ValueError(
            f"{subject} holds more than {MAX_CONFIG_ENTRIES:,} entries in its dicts "
            "and lists (jaxsched's limit; a dict or list that appears in several "
            "places, as YAML anchors and aliases make, counts at each)."
        )

    def too_many() -> ValueError:
        return ValueError(
            f"{subject} holds more than {MAX_CONFIG_SCHEDULES} schedules (jaxsched's "
            "limit for a config: a call compiles them all into one program; a "
            "schedule shared by YAML aliases counts at each place). For many "
            "constant pieces, PiecewiseConstantDecay takes any number of boundaries."
        )

    def below(node: Any) -> Any:
        items = node.values() if isinstance(node, Mapping) else node
        if _SCALAR_TYPES.issuperset(map(type, items)):  # most lists: fast
            return iter(())
        return (c for c in items if isinstance(c, (Mapping, list, tuple)))

    # id -> (levels, entries, schedules) of each container done; the config
    # keeps every container alive, so ids are not reused meanwhile.
    done: dict[int, tuple[int, int, int]] = {}
    # [container, its unvisited children, levels, entries, schedules below it]
    path: list[list[Any]] = [[config, below(config), 0, 0, 0]]
    on_path = {id(config)}

    def add(frame: list, levels: int, entries: int, schedules: int) -> None:
        frame[2] = max(frame[2], levels)
        frame[3] += entries
        frame[4] += schedules
        if frame[3] > MAX_CONFIG_ENTRIES:
            raise too_big()
        if frame[4] > MAX_CONFIG_SCHEDULES:
            raise too_many()

    while path:
        frame = path[-1]
        child = next(frame[1], None)
        if child is None:  # all children done: the frame is
            node, _, levels, entries, schedules = path.pop()
            on_path.discard(id(node))
            done[id(node)] = (levels + 1, entries + len(node),
                              schedules + (isinstance(node, Mapping) and "class_name" in node))
            # (the config itself: its totals checked in a frame of its own)
            add(path[-1] if path else [None, None, 0, 0, 0], *done[id(node)])
            continue
        if id(child) in on_path:  # a cycle: nests without end
            raise too_deep()
        if id(child) in done:
            if len(path) + done[id(child)][0] > MAX_CONFIG_DEPTH:
                raise too_deep()
            add(frame, *done[id(child)])
            continue
        if len(path) + 1 > MAX_CONFIG_DEPTH:
            raise too_deep()
        path.append([child, below(child), 0, 0, 0])
        on_path.add(id(child))


def _deserialize(config: Any) -> LearningRateSchedule:
    """deserialize, after the checks done once per call (custom_objects is
    in the context, the depth is checked)."""
    if not isinstance(config, Mapping):
        raise TypeError(
            "deserialize: `config` must be a dict with 'class_name' and "
            f"'config' keys. Received: config={_short(config)}"
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
            f"Received: class_name={_short(class_name)}"
        )
    if "config" not in config:
        raise ValueError(
            f"deserialize: `config` has no 'config' key (the arguments of "
            f"{_short(class_name, 100)}). Received: config={_short(config)}"
        )
    inner = config["config"]
    if not isinstance(inner, Mapping):
        raise ValueError(
            f"deserialize: 'config' of {_short(class_name, 100)} must be a dict of "
            "arguments. "
            f"Received: config={_short(inner)}"
        )
    registered_name = config.get("registered_name")
    if _find(class_name, registered_name) is None:
        if "learning_rate" in inner:
            return _from_optimizer(class_name, inner["learning_rate"])
        hint = _where_the_schedule_is(config)
        if hint:
            raise ValueError(
                f"deserialize: {_short(class_name, 100)} is not a schedule "
                f"class{hint}."
            )
    cls = _lookup(class_name, registered_name)
    return cls.from_config(dict(inner))


def _from_optimizer(class_name: str, learning_rate: Any) -> LearningRateSchedule:
    """The schedule of an optimizer config (Keras 3, tf.keras: ``{"class_name":
    "AdamW", "config": {"learning_rate": <schedule dict>, ...}}``)."""
    if isinstance(learning_rate, Mapping) and "class_name" in learning_rate:
        return _deserialize(learning_rate)
    if isinstance(learning_rate, Mapping) and "type" in learning_rate:
        raise ValueError(
            f"deserialize: {_short(class_name, 100)} is an optimizer config, not a "
            "schedule class, and its `learning_rate` is a Model Garden learning-rate "
            "section: pass the whole optimization config to "
            "jaxsched.from_model_garden_config. "
            f"Received: learning_rate={_short(learning_rate)}"
        )
    raise ValueError(
        f"deserialize: {_short(class_name, 100)} is an optimizer config, not a "
        "schedule class, and its `learning_rate` is not a schedule dict (a constant "
        f"rate needs no schedule). Received: learning_rate={_short(learning_rate)}"
    )


def _short(value: Any, limit: int = 300) -> str:
    """repr(value) cut to `limit` characters, at a cost bounded by `limit`
    whatever the size, nesting or sharing of the dicts, lists and tuples in
    it (walked without recursion; any Mapping is shown as a dict)."""
    out: list[str] = []
    size = 0
    todo = [iter([(False, value)])]  # iterators of (is_text, text or value)
    while todo and size <= limit:
        is_text, item = next(todo[-1], (True, None))
        if is_text and item is None:  # that iterator is done
            todo.pop()
            continue
        if is_text:
            text = item
        elif isinstance(item, Mapping):
            todo.append(_pieces(item.items(), "{", "}", True))
            continue
        elif isinstance(item, (list, tuple)):
            if isinstance(item, tuple):
                open_, close = "(", ",)" if len(item) == 1 else ")"
            else:
                open_, close = "[", "]"
            todo.append(_pieces(item, open_, close, False))
            continue
        else:
            text = _scalar_repr(item, limit)
        out.append(text)
        size += len(text)
    text = "".join(out)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _pieces(items: Any, open_: str, close: str, pairs: bool):
    """The parts of a container's repr for _short, lazily."""
    yield True, open_
    for i, item in enumerate(items):
        if i:
            yield True, ", "
        if pairs:
            yield False, item[0]
            yield True, ": "
            yield False, item[1]
        else:
            yield False, item
    yield True, close


def _scalar_repr(value: Any, limit: int) -> str:
    if isinstance(value, (str, bytes)):
        return repr(value[: limit + 1])  # (cut by the caller when longer)
    try:
        return repr(value)
    except ValueError:  # an int of more than 4300 digits
        if isinstance(value, int):
            return f"<int of {value.bit_length()} bits>"
        return f"<{type(value).__name__}>"
    except RecursionError:
        return f"<{type(value).__name__} nested too deeply to show>"


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
    ``max_depth`` levels down and does not look inside the schedules found;
    a dict or list found in several places (YAML aliases) is searched once,
    at the first.
    """
    found: list[tuple[str, str, Mapping[str, Any]]] = []
    level: list[tuple[str, Any, Any]] = [("", None, obj)]
    seen: set[int] = set()  # a dict or list shared by several places: once
    for _ in range(max_depth + 1):
        below = []
        for path, key, value in level:
            if id(value) in seen:
                continue
            seen.add(id(value))
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
            below += [(f"{path}[{_short(k, 80)}]", k, v) for k, v in items
                      if type(v) not in _SCALAR_TYPES
                      and isinstance(v, (Mapping, list, tuple))]
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
    name = _short(class_name, 100)  # (a config's text can make it any length)
    if found is None:
        custom = _custom_objects.get()
        known = sorted({*(k for k in _REGISTRY if ">" not in k), *custom})
        raise ValueError(
            f"deserialize: unknown schedule class {name}"
            + (f" (registered_name {_short(registered_name, 100)})"
               if registered_name else "")
            + f". Known classes: {known}. Pass custom_objects={{{name}: cls}} "
            "or decorate the class with @jaxsched.register_serializable."
        )
    if not (isinstance(found, type) and issubclass(found, Configurable)):
        raise TypeError(
            f"deserialize: {name} resolves to {_short(found)}, which is not a "
            "jaxsched.LearningRateSchedule subclass."
        )
    return found


# --------------------------------------------------------------------------
# Value conversion for get_config / from_config
#
# A hyperparameter that a Python number (or, in a list field, a list of
# them) rebuilds exactly is written as one: Python numbers, and float64 and
# int64 values (what ``np.asarray`` makes of Python floats and ints; every
# schedule computes with float64 hyperparameters as with Python floats).
# Any other array or NumPy/JAX scalar is a typed value, in the layout Keras
# 3 writes NumPy arrays in (which deserialize reads from Keras' configs too)
# plus the shape:
#
#     {"class_name": "__numpy__",
#      "config": {"value": <number or nested lists>, "dtype": "float32",
#                 "shape": [2]}}
#
# Floats are written as the shortest decimal that reads back to the same
# value of that dtype (float32 0.1 as 0.1, not 0.10000000149011612), so
# that ``np.asarray(value, dtype)`` restores every bit. A PRNG key is its
# uint32 key data (a plain list) for JAX's default implementation, else
# {"class_name": "__prng_key__", "config": {"impl": ..., "value": ...}}.

TYPED_VALUE = "__numpy__"
_KEY_VALUE = "__prng_key__"
# Keras 3 writes NumPy values as __numpy__ and tensors as __tensor__.
_KERAS_VALUE_CLASSES = (TYPED_VALUE, "__tensor__")
# The dtypes a typed value may have: plain numeric scalars only (no
# structured, sub-array, object, string or void dtypes).
VALUE_DTYPES = (
    "bfloat16", "float16", "float32", "float64",
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
)
_KEY_IMPLS = ("threefry2x32", "rbg", "unsafe_rbg")
# The most dimensions a typed value may have.
_MAX_NDIM = 32
# Dicts and lists in a config may nest at most this deep (a schedule inside
# another adds two levels, three inside a list).
MAX_CONFIG_DEPTH = 100
# Dicts and lists in a config may hold at most this many entries in all, a
# dict or list shared between places (YAML anchors) counting at each. Ten
# million boundaries and their values take 2 * 10**7.
MAX_CONFIG_ENTRIES = 50_000_000
# Schedules (dicts with a class_name) in one config, counted at each place.
MAX_CONFIG_SCHEDULES = 256
# A typed value's declared shape: each size, and the product of the nonzero
# ones, at most this (the shape of an empty array; others are their text's).
_MAX_SIZE = 2**31 - 1


def _plain_dtype(dtype: np.dtype) -> bool:
    return dtype in (np.dtype(np.float64), np.dtype(np.int64))


def to_json(value: Any, where: str = "value", list_field: bool = False) -> Any:
    """A JSON-ready copy of a hyperparameter value (used by get_config).

    ``list_field``: the class turns a list given for this argument into an
    array (``boundaries``, ``values``), so float64 and int64 arrays of any
    shape are written as plain (nested) lists; elsewhere only their 0-d
    values are plain numbers.
    """
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
        data = np.asarray(jax.random.key_data(value))
        impl = str(jax.random.key_impl(value))
        if impl == "threefry2x32":
            return data.tolist()
        return {"class_name": _KEY_VALUE, "config": {"impl": impl, "value": data.tolist()}}
    if isinstance(value, (np.ndarray, np.generic, jax.Array)):
        array = np.asarray(value)
        if _plain_dtype(array.dtype) and (array.ndim == 0 or list_field):
            return array.tolist()
        return typed_value(array, where)
    if isinstance(value, dict):
        return {k: to_json(v, where) for k, v in value.items()}
    raise TypeError(f"get_config: cannot convert {where}={value!r} to JSON.")


def typed_value(array: np.ndarray, where: str = "value") -> dict[str, Any]:
    """The typed-value dict of a NumPy array (exact, see above)."""
    name = array.dtype.name
    if name not in VALUE_DTYPES:
        raise TypeError(
            f"get_config: {where} has dtype {name}; a config holds numbers of the "
            f"dtypes {list(VALUE_DTYPES)}."
        )
    if jnp.issubdtype(array.dtype, np.floating):  # bfloat16's kind is "V"
        data = _shortest_exact(array)
    else:
        data = array.tolist()
    return {"class_name": TYPED_VALUE,
            "config": {"value": data, "dtype": name, "shape": list(array.shape)}}


def _shortest_exact(array: np.ndarray) -> Any:
    """Python floats (nested lists, or one float for a 0-d array), each the
    shortest decimal that ``np.asarray(x, array.dtype)`` turns back into the
    same bits (the exact float64 value where no shorter one does)."""
    flat = array.ravel()
    exact = flat.astype(np.float64)  # every float dtype converts exactly
    if array.dtype == np.float64:
        short = exact
    elif array.dtype.name == "bfloat16":  # NumPy cannot print it: try digits
        short = np.array([_fewest_digits(x, array.dtype) for x in exact.tolist()],
                         np.float64)
    else:  # NumPy's shortest repr of float16 / float32 values, parsed
        short = flat.astype(str).astype(np.float64)
    bits = f"u{array.dtype.itemsize}"
    back = short.astype(array.dtype)
    same = back.view(bits) == flat.view(bits)
    out = np.where(same, short, exact).reshape(array.shape)
    return out.tolist()


def _fewest_digits(x: float, dtype: np.dtype) -> float:
    target = np.asarray(x, dtype)
    for digits in range(1, 10):
        candidate = float(f"{x:.{digits}g}")
        if np.asarray(candidate, dtype).tobytes() == target.tobytes():
            return candidate
    return x


def from_json(value: Any, arg: str = "value") -> Any:
    """Decodes nested schedule dicts, typed values (ours and Keras') and PRNG
    keys (used by from_config). ``arg`` names the argument in error messages.
    """
    if isinstance(value, Mapping) and "class_name" in value:
        name = value["class_name"]
        if name in _KERAS_VALUE_CLASSES:
            return _decode_typed(value, arg)
        if name == _KEY_VALUE:
            return _decode_key(value, arg)
        return _deserialize(value)
    if isinstance(value, (list, tuple)) and any(
        type(v) not in _SCALAR_TYPES and isinstance(v, Mapping) for v in value
    ):  # lists of nested schedules (joins, minimum)
        return [from_json(v, arg) for v in value]
    return value


def _bad_value(arg: str, value: Any, problem: str) -> ValueError:
    return ValueError(
        f"deserialize: argument `{arg}` is a malformed {value.get('class_name')} "
        f"value ({problem}). Received: {arg}={_short(value)}"
    )


def _decode_typed(value: Mapping[str, Any], arg: str) -> np.ndarray:
    """A typed value as a NumPy array; allocates only what its text holds."""
    inner = value.get("config")
    if not isinstance(inner, Mapping) or "value" not in inner:
        raise _bad_value(arg, value, "no 'value' in its 'config'")
    dtype = inner.get("dtype")
    data = inner["value"]
    shape, kinds = _nested_shape(data, arg, value)
    if dtype is None:  # Keras always writes one; infer as NumPy would
        dtype = "float64" if float in kinds else "int64"
    if not isinstance(dtype, str) or dtype not in VALUE_DTYPES:
        raise _bad_value(
            arg, value, f"dtype must be one of {list(VALUE_DTYPES)}, got {_short(dtype, 100)}")
    np_dtype = np.dtype(jnp.bfloat16) if dtype == "bfloat16" else np.dtype(dtype)
    if np_dtype.kind in "iu" and float in kinds:
        raise _bad_value(arg, value, f"a {dtype} value holds integers, not floats")
    try:
        with np.errstate(over="ignore"):
            array = np.asarray(data, dtype=np_dtype)
    except OverflowError:
        raise _bad_value(arg, value, f"an integer out of the range of {dtype}") from None
    declared = inner.get("shape")
    if declared is not None:
        ok = isinstance(declared, (list, tuple)) and len(declared) <= _MAX_NDIM and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in declared)
        if not ok:
            raise _bad_value(arg, value, "'shape' must be a list of sizes >= 0")
        declared = tuple(declared)
        if array.size == 0 and 0 in declared:  # the one shape the text does not give
            if max(declared) > _MAX_SIZE or math.prod(
                    n for n in declared if n) > _MAX_SIZE:
                raise _bad_value(
                    arg, value, f"'shape' of an empty value must have sizes, and a "
                    f"product of the nonzero ones, at most {_MAX_SIZE}; got "
                    f"{_short(list(declared), 100)}")
            array = array.reshape(declared)
        elif declared != tuple(shape):
            raise _bad_value(
                arg, value, f"'shape' is {list(declared)} but the value has shape "
                f"{list(shape)}")
    return array


def _nested_shape(data: Any, arg: str, value: Mapping[str, Any]):
    """(shape, {int, float}) of nested lists of numbers, without recursion;
    a ValueError for ragged lists, too many dimensions or non-numbers."""
    shape: list[int] = []
    level = [data]
    while level and all(isinstance(x, (list, tuple)) for x in level):
        sizes = {len(x) for x in level}
        if len(sizes) > 1:
            raise _bad_value(arg, value, "ragged nested lists")
        if len(shape) == _MAX_NDIM:
            raise _bad_value(arg, value, f"more than {_MAX_NDIM} dimensions")
        shape.append(sizes.pop())
        level = [y for x in level for y in x]
    kinds = set()
    for x in level:
        if isinstance(x, (list, tuple)):
            raise _bad_value(arg, value, "ragged nested lists")
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
            raise _bad_value(arg, value, f"{_short(x, 60)} is not a number")
        kinds.add(int if isinstance(x, numbers.Integral) else float)
    return shape, kinds


def _decode_key(value: Mapping[str, Any], arg: str) -> jax.Array:
    inner = value.get("config")
    if not isinstance(inner, Mapping) or "value" not in inner:
        raise _bad_value(arg, value, "no 'value' in its 'config'")
    impl = inner.get("impl")
    if impl not in _KEY_IMPLS:
        raise _bad_value(arg, value, f"impl must be one of {list(_KEY_IMPLS)}, got "
                         f"{_short(impl, 100)}")
    data = _decode_typed({"class_name": _KEY_VALUE, "config": {
        "value": inner["value"], "dtype": "uint32"}}, arg)
    try:
        return jax.random.wrap_key_data(data, impl=impl)
    except (TypeError, ValueError) as exc:  # wrong key-data shape for impl
        raise _bad_value(arg, value, f"not {impl} key data: {exc}") from None
