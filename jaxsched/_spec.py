"""SPECs: the ways the ``jaxsched`` command is told which schedule to use.

A SPEC is one of

* a call, ``"CosineDecay(0.1, 10000, warmup_target=1.0, warmup_steps=500)"``
  (also ``jaxsched.CosineDecay(...)``), parsed with :mod:`ast`, never
  evaluated: arguments are literals only (numbers, strings, lists, dicts,
  ``None``, ``True``, ``False``) or nested calls of jaxsched's schedule
  classes. A schedule's ``repr`` is such a call;
* inline JSON (text starting with ``{`` or ``[``);
* a path to a JSON file, or to a Keras ``.keras`` archive (its
  ``config.json``): a regular file, whose JSON text is at most
  :data:`MAX_FILE_BYTES` long.

JSON holds a serialized schedule (jaxsched's, Keras 3's, tf.keras', the
legacy ``{"class_name", "config"}`` form), or a config with a schedule
inside: a Keras optimizer or model config (the optimizer's
``learning_rate``), a Model Garden optimization config or experiment. The
schedule is found by :func:`jaxsched._config.find_schedule_configs`, at most
:data:`MAX_DEPTH` levels down.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import stat
import zipfile
import zlib
from typing import Any

from ._config import _REGISTRY, deserialize, find_schedule_configs

__all__ = ["SpecError", "load", "parse_call", "schedule_classes"]

MAX_DEPTH = 12
# The most bytes of JSON read from a file (a .keras archive's config.json
# once inflated); real configs are kilobytes.
MAX_FILE_BYTES = 64 * 2**20
_CALL = re.compile(r"^\s*[A-Za-z_][\w.]*\s*\(")


class SpecError(ValueError):
    """A SPEC that names no schedule; the message is one line."""


def schedule_classes() -> dict[str, type]:
    """jaxsched's schedule classes by name: every public class registered by
    the package (so new classes join without a list to update)."""
    from ._core import LearningRateSchedule

    return {
        name: cls
        for name, cls in sorted(_REGISTRY.items())
        if ">" not in name
        and cls.__module__.startswith("jaxsched.")
        and issubclass(cls, LearningRateSchedule)
        and cls is not LearningRateSchedule
    }


def load(spec: str) -> Any:
    """The schedule a SPEC names.

    Raises:
        SpecError: for a SPEC that is not a call, JSON or a readable file, or
            that holds no schedule (or several).
        ValueError, TypeError: from the schedule's constructor or
            ``deserialize`` (bad arguments, unknown class).

    Example:
        >>> from jaxsched._spec import load
        >>> load("ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)")
        ExponentialDecay(0.1, 100, 0.5)
        >>> load('{"class_name": "PolynomialDecay", "config": '
        ...      '{"initial_learning_rate": 0.1, "decay_steps": 10}}')
        PolynomialDecay(0.1, 10)
    """
    if not isinstance(spec, str) or not spec.strip():
        raise SpecError(f"empty SPEC. Received: {spec!r}")
    text = spec.strip()
    if text[0] in "{[":
        return from_data(_json(text, "inline JSON"), "the inline JSON")
    if _CALL.match(text):
        return parse_call(text)
    if os.path.isdir(spec):
        raise SpecError(f"SPEC {spec!r} is a directory, not a JSON file")
    if os.path.exists(spec):
        return from_data(_read(spec), repr(spec))
    if text.lower().endswith((".json", ".keras")) or os.sep in text:
        raise SpecError(f"no such file: {spec!r}")
    raise SpecError(
        f"SPEC {spec!r} is neither a file, JSON ({{...}}), nor a call such as "
        "'CosineDecay(0.1, 1000)'"
    )


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"{where} is not valid JSON: {exc}") from None
    except RecursionError:
        raise SpecError(f"{where} is nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise SpecError(f"{where} holds a number too long to read: {exc}") from None


def _read(path: str) -> Any:
    """The JSON in a file or .keras archive: a regular file, and at most
    MAX_FILE_BYTES of JSON (a device such as /dev/zero, a FIFO, a zip bomb are
    refused before they are read)."""
    limit = f"the limit is {MAX_FILE_BYTES / 2**20:g} MiB"
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise SpecError(f"{path!r} is not a regular file (a JSON file or a "
                            ".keras archive)")
        if zipfile.is_zipfile(path):  # (any size: a .keras file holds weights)
            with zipfile.ZipFile(path) as archive:
                if "config.json" not in archive.namelist():
                    raise SpecError(
                        f"{path!r} is a zip archive without a config.json (a Keras "
                        ".keras file has one)"
                    )
                if archive.getinfo("config.json").file_size > MAX_FILE_BYTES:
                    raise SpecError(f"the config.json in {path!r} is too large "
                                    f"({limit})")
                with archive.open("config.json") as f:
                    raw = f.read(MAX_FILE_BYTES + 1)
        else:
            if os.path.getsize(path) > MAX_FILE_BYTES:
                raise SpecError(f"{path!r} is too large for a JSON config ({limit})")
            with open(path, "rb") as f:
                raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"cannot read {path!r}: {exc.strerror or exc}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SpecError(f"cannot read the archive {path!r}: {exc}") from None
    if len(raw) > MAX_FILE_BYTES:  # a file that grew, or lied about its size
        raise SpecError(f"{path!r} holds too much JSON ({limit})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{path!r} is not a UTF-8 JSON file") from None
    return _json(text, f"{path!r}")


def from_data(data: Any, where: str) -> Any:
    """The one schedule inside decoded JSON (see the module docstring)."""
    found = find_schedule_configs(data, MAX_DEPTH)
    if len(found) > 1:
        paths = ", ".join(f"config{path}" or "config" for path, _, _ in found[:4])
        raise SpecError(
            f"{where} holds {len(found)} schedules ({paths}); save the one you "
            "mean as its own JSON"
        )
    if not found:
        if isinstance(data, dict) and "class_name" in data:
            return deserialize(data)  # its own error: unknown class, ...
        raise SpecError(
            f"no schedule found in {where}: looked {MAX_DEPTH} levels deep for a "
            "serialized schedule (a dict with 'class_name' and 'config'), an "
            "optimizer's 'learning_rate', or a Model Garden 'learning_rate' "
            "section with a 'type'"
        )
    _, kind, config = found[0]
    if kind == "model_garden":
        from ._model_garden_config import from_model_garden_config

        schedule = from_model_garden_config(config)
        if not hasattr(schedule, "get_config"):
            raise SpecError(
                f"the Model Garden config in {where} is a constant learning rate "
                f"({schedule!r}), not a schedule"
            )
        return schedule
    return deserialize(config)


# --------------------------------------------------------------------------
# Calls


def parse_call(text: str) -> Any:
    """Builds the schedule of a call such as ``"CosineDecay(0.1, 1000)"``.

    Parsed with :mod:`ast`, never evaluated: only literals and calls of
    jaxsched's schedule classes are accepted.

    Raises:
        SpecError: for anything else (the message names it and its column).
        ValueError, TypeError: from the schedule's own validation.

    Example:
        >>> from jaxsched._spec import parse_call
        >>> parse_call("LinearWarmup(ExponentialDecay(1.0, 10, 0.5), 5, 0.0)")
        LinearWarmup(ExponentialDecay(1.0, 10, 0.5), 5, 0.0)
        >>> parse_call("ExponentialDecay(__import__('os'), 10, 0.5)")
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        jaxsched._spec.SpecError: unknown schedule class '__import__' at column 18: ...
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise SpecError(
            f"SPEC {text!r} is not a valid call: {exc.msg} (column {exc.offset})"
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise SpecError(f"SPEC {text[:80]!r}... cannot be parsed: {exc}") from None
    if not isinstance(tree.body, ast.Call):
        raise SpecError(
            f"SPEC {text!r} must be a single call such as 'CosineDecay(0.1, 1000)'"
        )
    try:
        return _call(tree.body, text.strip())
    except RecursionError:
        raise SpecError(f"SPEC {text[:80]!r}... is nested too deeply") from None


def _where(node: ast.AST) -> str:
    return f"column {node.col_offset + 1}"


def _source(node: ast.AST, src: str) -> str:
    """The node's text as the user wrote it (shortened)."""
    shown = ast.get_source_segment(src, node) or ast.unparse(node)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _call(node: ast.Call, src: str) -> Any:
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and (
        func.value.id == "jaxsched"
    ):
        name = func.attr
    elif isinstance(func, ast.Name):
        name = func.id
    else:
        raise SpecError(
            f"only jaxsched schedule classes can be called in a SPEC: "
            f"{_source(func, src)} at {_where(func)} is not one"
        )
    classes = schedule_classes()
    if name not in classes:
        raise SpecError(
            f"unknown schedule class {name!r} at {_where(func)}: a SPEC calls only "
            f"jaxsched's classes ({', '.join(classes)})"
        )
    args, kwargs = [], {}
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise SpecError(f"*arguments are not allowed in a SPEC ({_where(arg)})")
        args.append(_literal(arg, src))
    for keyword in node.keywords:
        if keyword.arg is None:
            raise SpecError(
                f"**arguments are not allowed in a SPEC ({_where(keyword.value)})"
            )
        if keyword.arg in kwargs:  # Python's SyntaxError, which ast lets pass
            raise SpecError(
                f"{name}: keyword argument {keyword.arg!r} repeated "
                f"({_where(keyword)})"
            )
        kwargs[keyword.arg] = _literal(keyword.value, src)
    cls = classes[name]
    try:
        inspect.signature(cls).bind(*args, **kwargs)
    except TypeError as exc:
        raise SpecError(f"{name}: {exc}") from None
    return cls(*args, **kwargs)


def _literal(node: ast.AST, src: str) -> Any:
    if isinstance(node, ast.Constant):
        if node.value is None or type(node.value) in (bool, int, float, str):
            return node.value
        raise SpecError(
            f"{node.value!r} at {_where(node)} is not allowed in a SPEC (numbers, "
            "strings, lists, dicts, None, True, False)"
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, src)
        if type(value) in (int, float):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e, src) for e in node.elts]
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise SpecError(f"**dict unpacking is not allowed in a SPEC ({_where(node)})")
        return {_literal(k, src): _literal(v, src)
                for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Call):
        return _call(node, src)
    raise SpecError(
        f"only literals and jaxsched schedule classes are allowed in a SPEC: "
        f"{_source(node, src)} at {_where(node)} is not one"
    )
