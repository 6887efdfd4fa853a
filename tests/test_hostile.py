"""Hostile configs: every bad input is a ValueError or TypeError raised by
jaxsched itself (not by NumPy or JAX), whose message names the argument and
shows the bad value. Nothing is accepted silently.

The table is built from ``cases.ROWS`` (generic bad numbers for every
numeric argument, zero and negative values where they are invalid, bad
switches and names) plus hand-written rows for lists, keys and serialized
dicts.
"""

import inspect
import json
import os

import jax.numpy as jnp
import numpy as np
import pytest

import jaxsched
from cases import ROWS

NAN, INF = float("nan"), float("inf")
_JAXSCHED_DIR = os.path.dirname(jaxsched.__file__)


# (value, exception) for any numeric hyperparameter.
GENERIC_BAD = [
    (NAN, ValueError),
    (INF, ValueError),
    (-INF, ValueError),
    (1e39, ValueError),  # inf in float32
    (-1e39, ValueError),
    (1e-40, ValueError),  # flushed to zero in float32
    (2**70, ValueError),  # no 64-bit integer holds it
    ("0.1", TypeError),
    (True, TypeError),
    ([0.1], TypeError),
    (1 + 1j, TypeError),
    (object(), TypeError),
    (np.array([0.1, NAN]), ValueError),  # a stacked schedule with one bad element
    (jnp.array(NAN), ValueError),
    (np.array(["a"]), TypeError),
]


def _defaults_to_none(cls, arg):
    return inspect.signature(cls).parameters[arg].default is None


def _cases():
    for row in ROWS:
        cls = row.cls

        def case(arg, value, exc, row=row):
            kw = {**row.example, arg: value}
            name = f"{row.id}-{arg}={value!r:.20}"
            return pytest.param(lambda: row.build(kw), exc, arg, value, id=name)

        for arg in row.numbers:
            for value, exc in GENERIC_BAD:
                yield case(arg, value, exc)
            if not _defaults_to_none(cls, arg):
                yield case(arg, None, TypeError)
        for arg in row.positive:
            for value in (0, 0.0, -1, -0.5, np.array([3.0, 0.0])):
                yield case(arg, value, ValueError)
        for arg in row.nonnegative:
            for value in (-1, -1e-30, np.array([1.0, -1.0])):
                yield case(arg, value, ValueError)
        for name, p in inspect.signature(cls).parameters.items():
            if p.annotation in ("bool", bool):
                for value in ("yes", "False", 1, None, np.array([True])):
                    if value is None and name in row.accepts_none:
                        continue
                    yield case(name, value, TypeError)
            if name == "name":
                for value in (3, b"name", ["a"]):
                    yield case(name, value, TypeError)


PCD = jaxsched.PiecewiseConstantDecay
NLCD = jaxsched.NoisyLinearCosineDecay
CDR = jaxsched.CosineDecayRestarts


def _c(build, exc, arg, value, id):
    return pytest.param(build, exc, arg, value, id=id)


SPECIFIC = [
    # PiecewiseConstantDecay's lists.
    _c(lambda: PCD([20, 10], [1.0, 0.5, 0.1]), ValueError, "boundaries",
       np.array([20, 10]), "unsorted"),
    _c(lambda: PCD([10, 10], [1.0, 0.5, 0.1]), ValueError, "boundaries",
       np.array([10, 10]), "duplicate"),
    _c(lambda: PCD([0.5, 0.25], [1.0, 0.5, 0.1]), ValueError, "boundaries",
       np.array([0.5, 0.25]), "unsorted-floats"),
    _c(lambda: PCD([10, 20], [1.0, 0.5]), ValueError, "boundaries", np.array([10, 20]),
       "too-few-values"),
    _c(lambda: PCD([10], [1.0, 0.5, 0.1]), ValueError, "boundaries", np.array([10]),
       "too-many-values"),
    _c(lambda: PCD([], [1.0]), ValueError, "boundaries", [], "empty-boundaries"),
    _c(lambda: PCD([], []), ValueError, "boundaries", [], "empty-both"),
    _c(lambda: PCD([10], []), ValueError, "values", [], "empty-values"),
    _c(lambda: PCD(np.zeros(0), np.ones(1)), ValueError, "boundaries", np.zeros(0),
       "empty-array"),
    _c(lambda: PCD([1, [2]], [1.0, 0.5, 0.1]), ValueError, "boundaries", [1, [2]],
       "ragged"),
    _c(lambda: PCD([1, 2], [[1.0], 0.5, 0.1]), ValueError, "values", [[1.0], 0.5, 0.1],
       "ragged-values"),
    _c(lambda: PCD([NAN], [1.0, 0.5]), ValueError, "boundaries", NAN, "nan-boundary"),
    _c(lambda: PCD([INF], [1.0, 0.5]), ValueError, "boundaries", INF, "inf-boundary"),
    _c(lambda: PCD([1], [1.0, NAN]), ValueError, "values", NAN, "nan-value"),
    _c(lambda: PCD([1], [1.0, "0.5"]), TypeError, "values", "0.5", "str-value"),
    _c(lambda: PCD([1], [1.0, None]), TypeError, "values", None, "none-value"),
    _c(lambda: PCD([True], [1.0, 0.5]), TypeError, "boundaries", True, "bool-boundary"),
    _c(lambda: PCD(None, [1.0]), TypeError, "boundaries", None, "none-boundaries"),
    _c(lambda: PCD([1], None), TypeError, "values", None, "none-values"),
    _c(lambda: PCD("ab", [1.0, 0.5]), TypeError, "boundaries", "ab", "str-boundaries"),
    _c(lambda: PCD(10, [1.0, 0.5]), TypeError, "boundaries", 10, "scalar-boundaries"),
    _c(lambda: PCD(np.array(10), [1.0, 0.5]), ValueError, "boundaries", np.array(10),
       "0d-boundaries"),
    _c(lambda: PCD({10}, [1.0, 0.5]), TypeError, "boundaries", {10}, "set-boundaries"),
    _c(lambda: PCD({10: 1}, [1.0, 0.5]), TypeError, "boundaries", {10: 1},
       "dict-boundaries"),
    # Keys and seeds.
    _c(lambda: NLCD(0.1, 10, seed=1.5), TypeError, "seed", 1.5, "fractional-seed"),
    _c(lambda: NLCD(0.1, 10, seed=1.0), TypeError, "seed", 1.0, "float-seed"),
    _c(lambda: NLCD(0.1, 10, seed=np.float32(2)), TypeError, "seed", np.float32(2),
       "float32-seed"),
    _c(lambda: NLCD(0.1, 10, seed="0"), TypeError, "seed", "0", "str-seed"),
    _c(lambda: NLCD(0.1, 10, seed=NAN), TypeError, "seed", NAN, "nan-seed"),
    _c(lambda: NLCD(0.1, 10, seed=True), TypeError, "seed", True, "bool-seed"),
    _c(lambda: NLCD(0.1, 10, seed=2**63), ValueError, "seed", 2**63, "seed-2**63"),
    _c(lambda: NLCD(0.1, 10, key=[2**40, 1]), ValueError, "key", [2**40, 1],
       "key-2**40"),
    _c(lambda: NLCD(0.1, 10, key=[-1, 1]), ValueError, "key", [-1, 1], "negative-key"),
    _c(lambda: NLCD(0.1, 10, key=[[1, 2], [3]]), ValueError, "key", [[1, 2], [3]],
       "ragged-key"),
    _c(lambda: NLCD(0.1, 10, key=[1, 2, 3]), TypeError, "key", [1, 2, 3], "3-words"),
    _c(lambda: NLCD(0.1, 10, key=[1.0, 2.0]), TypeError, "key", [1.0, 2.0], "float"),
    _c(lambda: NLCD(0.1, 10, key="key"), TypeError, "key", "key", "str-key"),
    _c(lambda: NLCD(0.1, 10, key=7), TypeError, "key", 7, "int-key"),
    # Named in the issue.
    _c(lambda: CDR(0.1, 10, t_mul=0.0), ValueError, "t_mul", 0.0, "t_mul-zero"),
    _c(lambda: CDR(0.1, 10, t_mul=-2.0), ValueError, "t_mul", -2.0, "t_mul-negative"),
    _c(lambda: jaxsched.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-5),
       ValueError, "warmup_steps", -5, "negative-warmup"),
]


@pytest.mark.parametrize("build, exc, arg, value", [*_cases(), *SPECIFIC])
def test_bad_argument_is_rejected_naming_argument_and_value(build, exc, arg, value):
    with pytest.raises((ValueError, TypeError)) as info:
        build()
    assert info.type is exc, info.value
    message = str(info.value)
    assert f"`{arg}`" in message or f"{arg}=" in message, message
    assert repr(value) in message, message
    _assert_raised_by_jaxsched(info)


def _assert_raised_by_jaxsched(info):
    # Raised by jaxsched's own checks, not from inside NumPy or JAX.
    where = os.path.dirname(str(info.traceback[-1].path))
    assert where == _JAXSCHED_DIR, info.traceback


# --------------------------------------------------------------------------
# Serialized dicts

_GOOD = jaxsched.serialize(jaxsched.ExponentialDecay(0.1, 100, 0.5))


def _with(**changes):
    d = json.loads(json.dumps(_GOOD))
    for k, v in changes.items():
        if v is _DROP:
            del d[k]
        else:
            d[k] = v
    return d


def _with_config(**changes):
    return _with(config={**_GOOD["config"], **changes})


_DROP = object()
_NUMPY_BAD = {"class_name": "__numpy__", "config": {"value": "abc", "dtype": "float32"}}
_NUMPY_DTYPE = {"class_name": "__numpy__", "config": {"value": 1, "dtype": "wat"}}

SERIALIZED = [
    # (config, custom_objects, exception, words the message must contain)
    ([1], None, TypeError, ["config", "[1]"]),
    (None, None, TypeError, ["config", "None"]),
    (3.0, None, TypeError, ["config", "3.0"]),
    ("not json", None, ValueError, ["config", "'not json'"]),
    ("[1, 2]", None, TypeError, ["config", "[1, 2]"]),
    (_with(class_name=_DROP), None, ValueError, ["class_name", "'config':"]),
    (_with(class_name=3), None, ValueError, ["class_name", "3"]),
    (_with(class_name=None), None, ValueError, ["class_name", "None"]),
    (_with(config=_DROP), None, ValueError,
     ["'config'", "'class_name': 'ExponentialDecay'"]),
    (_with(config=[1]), None, ValueError, ["config", "[1]"]),
    (_with(config=None), None, ValueError, ["config", "None"]),
    (_with(config="decay_steps=1"), None, ValueError, ["config", "'decay_steps=1'"]),
    (_with(class_name="Nope"), None, ValueError, ["'Nope'", "ExponentialDecay"]),
    (_with(class_name="nope>Nope", registered_name="nope>Nope"), None, ValueError,
     ["'nope>Nope'", "CosineDecay"]),
    (_with_config(foo=1), None, ValueError, ["foo", "decay_rate"]),
    (_with_config(**{"1": 2}), None, ValueError, ["'1'"]),
    (_with(config={"initial_learning_rate": 0.1, "decay_steps": 100}), None, ValueError,
     ["decay_rate"]),
    (_with(config={}), None, ValueError, ["initial_learning_rate", "decay_steps"]),
    (_with_config(decay_steps=0), None, ValueError, ["`decay_steps`", "decay_steps=0"]),
    (_with_config(decay_steps="100"), None, TypeError, ["`decay_steps`", "'100'"]),
    (_with_config(decay_steps=None), None, TypeError, ["`decay_steps`", "None"]),
    (_with_config(staircase="true"), None, TypeError, ["`staircase`", "'true'"]),
    (_with_config(initial_learning_rate=_NUMPY_BAD), None, ValueError,
     ["initial_learning_rate", "'abc'"]),
    (_with_config(initial_learning_rate=_NUMPY_DTYPE), None, ValueError,
     ["initial_learning_rate", "'wat'"]),
    (_with_config(initial_learning_rate={"class_name": "__numpy__", "config": 3}), None,
     ValueError, ["initial_learning_rate", "3"]),
    (_with_config(initial_learning_rate={"class_name": "Nope", "config": {}}), None,
     ValueError, ["'Nope'"]),
    (_with(class_name="X"), {"X": 3}, TypeError, ["'X'", "3"]),
    (_with(class_name="X"), {"X": dict}, TypeError, ["'X'", "dict"]),
    (_GOOD, [("ExponentialDecay", jaxsched.ExponentialDecay)], TypeError,
     ["custom_objects", "[("]),
]


@pytest.mark.parametrize(
    "config, custom_objects, exc, words",
    SERIALIZED,
    ids=[f"{i}-{str(c[0])[:30]}" for i, c in enumerate(SERIALIZED)],
)
def test_malformed_serialized_dict_is_rejected_with_a_clear_message(
    config, custom_objects, exc, words
):
    with pytest.raises((ValueError, TypeError)) as info:
        jaxsched.deserialize(config, custom_objects=custom_objects)
    assert info.type is exc, info.value
    message = str(info.value)
    for word in words:
        assert word in message, message
    _assert_raised_by_jaxsched(info)


@pytest.mark.parametrize("config", ["[1]", None, {"initial_learning_rate": 0.1}])
def test_from_config_rejects_malformed_configs(config):
    with pytest.raises((ValueError, TypeError)) as info:
        jaxsched.ExponentialDecay.from_config(config)
    assert "config" in str(info.value)


def test_valid_example_rows_are_accepted():
    # The hostile table breaks one argument of each example: the examples
    # themselves must be valid, or every row above would pass vacuously.
    for row in ROWS:
        row.build(row.example)
