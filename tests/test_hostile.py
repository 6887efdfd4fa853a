"""Hostile configs: every bad input is a ValueError or TypeError raised by
jaxsched itself (not by NumPy or JAX), whose message names the argument and
shows the bad value. Nothing is accepted silently.

The table is built from ``cases.ROWS`` (generic bad numbers for every
numeric argument, zero and negative values where they are invalid, bad
switches and names) plus hand-written rows for lists, keys and serialized
dicts.
"""

import contextlib
import dataclasses
import inspect
import json
import os
import signal

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
    # A schedule where a number goes (found in review: accepted, then a
    # failure inside JAX at the first call).
    (jaxsched.Constant(0.1), TypeError),
    (np.array([0.1, NAN]), ValueError),  # a stacked schedule with one bad element
    (jnp.array(NAN), ValueError),
    (np.array(["a"]), TypeError),
]


def _defaults_to_none(cls, arg):
    return inspect.signature(cls).parameters[arg].default is None


def _takes_schedule(cls, arg):
    kinds = {f.name: f.metadata.get("kind") for f in dataclasses.fields(cls)}
    return kinds.get(arg) in ("schedule", "schedule_or_number")


def _cases():
    for row in ROWS:
        cls = row.cls

        def case(arg, value, exc, row=row):
            kw = {**row.example, arg: value}
            name = f"{row.id}-{arg}={value!r:.20}"
            return pytest.param(lambda: row.build(kw), exc, arg, value, id=name)

        for arg in row.numbers:
            for value, exc in GENERIC_BAD:
                if isinstance(value, jaxsched.LearningRateSchedule) and _takes_schedule(cls, arg):
                    continue  # (a warmup's target: a schedule or a number)
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



def _typed(value, dtype="float32", shape=None):
    config = {"value": value, "dtype": dtype}
    if shape is not None:
        config["shape"] = shape
    return {"class_name": "__numpy__", "config": config}


def _noisy_config(**changes):
    return {"class_name": "NoisyLinearCosineDecay",
            "config": {"initial_learning_rate": 0.1, "decay_steps": 10, **changes}}


def _nest(depth):
    """`depth` WithOffset schedules around an ExponentialDecay (built without
    recursion, as an attacker's JSON would be)."""
    config = _GOOD
    for _ in range(depth):
        config = {"class_name": "WithOffset", "config": {"schedule": config, "offset": 1}}
    return config


def _deep_list(depth):
    value = [1]
    for _ in range(depth):
        value = [value]
    return value


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
    (_GOOD, {3: jaxsched.ExponentialDecay}, TypeError, ["custom_objects", "[3]"]),
    (_GOOD, {None: jaxsched.ExponentialDecay}, TypeError, ["custom_objects", "[None]"]),
    (_with(config={**_GOOD["config"], 1: 2}), None, TypeError, ["argument names",
                                                                "[1]"]),
    # Typed values: only plain numeric dtypes, values as their text describes.
    *[(_with_config(initial_learning_rate=_typed(0.1, dtype)), None, ValueError,
       ["initial_learning_rate", "dtype must be one of", repr(dtype)])
      for dtype in ("(16000,16000)f8", "f8", "<f4", "O", "V8", "<U3", "bool",
                    "complex64", "float8_e4m3fn", "[('a', '<f8')]", 3, ["float32"])],
    (_with_config(initial_learning_rate=_typed([[0.1, 0.2], [0.3]])), None, ValueError,
     ["initial_learning_rate", "ragged"]),
    (_with_config(initial_learning_rate=_typed([0.1, [0.2]])), None, ValueError,
     ["initial_learning_rate", "ragged"]),
    (_with_config(initial_learning_rate=_typed(True)), None, ValueError,
     ["initial_learning_rate", "True is not a number"]),
    (_with_config(initial_learning_rate=_typed(None)), None, ValueError,
     ["initial_learning_rate", "None is not a number"]),
    (_with_config(initial_learning_rate=_typed({"a": 1})), None, ValueError,
     ["initial_learning_rate", "is not a number"]),
    (_with_config(decay_steps=_typed(1.5, "int32")), None, ValueError,
     ["decay_steps", "holds integers"]),
    (_with_config(decay_steps=_typed(300, "int8")), None, ValueError,
     ["decay_steps", "out of the range of int8"]),
    (_with_config(decay_steps=_typed(-1, "uint32")), None, ValueError,
     ["decay_steps", "out of the range of uint32"]),
    (_with_config(initial_learning_rate=_typed([0.1, 0.2], shape=[3])), None,
     ValueError, ["initial_learning_rate", "'shape' is [3]", "shape [2]"]),
    (_with_config(initial_learning_rate=_typed(0.1, shape=[10**12])), None,
     ValueError, ["initial_learning_rate", "'shape' is [1000000000000]"]),
    (_with_config(initial_learning_rate=_typed(0.1, shape=[-1])), None,
     ValueError, ["initial_learning_rate", "'shape' must be a list of sizes"]),
    (_with_config(initial_learning_rate=_typed(0.1, shape="()")), None,
     ValueError, ["initial_learning_rate", "'shape' must be a list of sizes"]),
    (_with_config(initial_learning_rate=_typed([0.1], shape=[True])), None,
     ValueError, ["initial_learning_rate", "'shape' must be a list of sizes"]),
    (_with_config(initial_learning_rate=_typed(eval("[" * 40 + "0.1" + "]" * 40))),
     None, ValueError, ["initial_learning_rate", "more than 32 dimensions"]),
    # PRNG keys.
    (_noisy_config(key=[2**40, 1]), None, ValueError, ["`key`", "[1099511627776, 1]"]),
    (_noisy_config(key=[[1, 2], [3]]), None, ValueError, ["`key`", "[[1, 2], [3]]"]),
    (_noisy_config(key={"class_name": "__prng_key__",
                        "config": {"impl": "os.system", "value": [1, 2]}}),
     None, ValueError, ["`key`", "impl must be one of", "'os.system'"]),
    (_noisy_config(key={"class_name": "__prng_key__",
                        "config": {"impl": "rbg", "value": [1, 2]}}),
     None, ValueError, ["`key`", "not rbg key data"]),
    (_noisy_config(seed=2**64), None, ValueError, ["`seed`", str(2**64)]),
    (_noisy_config(seed=1.0), None, TypeError, ["`seed`", "1.0"]),
    # Nesting deeper than the documented limit (the 400-deep nest).
    (_nest(400), None, ValueError, ["`config`", "more than 100 levels"]),
    (json.dumps(_nest(400)), None, ValueError, ["`config`", "more than 100 levels"]),
    ("[" * 100_000 + "]" * 100_000, None, ValueError, ["`config`", "nested too deeply"]),
    (_with_config(boundaries=_deep_list(10_000)), None, ValueError,
     ["`config`", "more than 100 levels"]),
]


def _short_id(config):
    try:
        return str(config)[:30]
    except RecursionError:
        return "deep"


@pytest.mark.parametrize(
    "config, custom_objects, exc, words",
    SERIALIZED,
    ids=[f"{i}-{_short_id(c[0])}" for i, c in enumerate(SERIALIZED)],
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


# --------------------------------------------------------------------------
# Steps that are not numbers

BAD_STEPS = ["10", None, b"1", [1, "a"], object(), {"a": 1}, 1j, True,
             np.array(["x"]), np.array([True]), jnp.array([1 + 2j])]


def test_a_step_that_is_not_a_number_is_a_type_error_naming_step():
    """Every class, every kind of non-number: a TypeError naming `step`,
    raised before anything is compiled (no JAX-internal message)."""
    for row in ROWS:
        sched = row.build(row.example)
        for step in BAD_STEPS:
            with pytest.raises(TypeError) as info:
                sched(step)
            assert "`step`" in str(info.value), (row.id, step, info.value)
            _assert_raised_by_jaxsched(info)


def test_hostile_configs_cost_what_their_text_holds():
    """A config cannot make deserialize allocate more than its own text
    describes: a sub-array dtype (today "(16000,16000)f8" turned 0.1 into a
    2 GB array; here a 32 MB one is enough to fail the test), a declared
    shape, a deep nest. Each is rejected with under 1 MB allocated."""
    import tracemalloc

    hostile = [
        _with_config(initial_learning_rate=_typed(0.1, "(2000,2000)f8")),
        _with_config(initial_learning_rate=_typed(0.1, shape=[2000, 2000])),
        _with_config(initial_learning_rate={"class_name": "__tensor__", "config": {
            "value": 0.1, "dtype": "(2000,2000)f8"}}),
        _nest(400),
    ]
    for config in hostile:
        tracemalloc.start()
        try:
            with pytest.raises(ValueError):
                jaxsched.deserialize(config)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 2**20, (peak, _short_id(config))


# Replacement values for the mutation test: wrong types, out-of-range and
# malformed numbers, typed values, keys and nested schedules.
_MUTANTS = [
    None, True, 0, -1, 2**40, 2**64, 2**70, -(2**63), 1.5, NAN, INF, 1e300, -0.0, 1e-320,
    "", "abc", "0.5", [], [1], [[1, 2], [3]], [[1, 2], [3, 4]], [1, [2, 3]], [0.5, "a"],
    [None], {}, {1: 2}, _typed([1, 2], "int8", [2]), _typed(1e10, "float16"),
    _typed([], shape=[0, 5]), _typed([[0.1]]), _typed(2**63, "uint64"),
    _typed(0.1, "(4,4)f8"), {"class_name": "__numpy__"},
    {"class_name": "__prng_key__", "config": {"impl": "rbg", "value": [1, 2, 3, 4]}},
    {"class_name": "ExponentialDecay", "config": None}, {"class_name": None, "config": {}},
    [{"class_name": "Nope", "config": {}}], {"class_name": "Constant", "config": {"value": 0.1}},
    {"class_name": "SGD", "config": {"learning_rate": {"type": "constant"}}},
]


def _places(obj, path=()):
    yield path
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(
        obj, list) else ()
    for k, v in items:
        yield from _places(v, path + (k,))


def _replaced(obj, path, value):
    if not path:
        return value
    obj = json.loads(json.dumps(obj))
    node = obj
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return obj


def test_random_mutations_of_valid_configs_raise_only_clear_errors():
    """Any value of any valid config (every row's configs, a stacked sweep)
    replaced by a wrong one: deserialize builds a schedule, or raises a
    ValueError/TypeError of its own; never another exception, nor one from
    inside NumPy or JAX. JAXSCHED_STRESS=N tries N times as many."""
    import random

    stress = int(os.environ.get("JAXSCHED_STRESS", "0"))
    rng = random.Random(None if stress else 0)
    valid = [jaxsched.serialize(row.build(kw)) for row in ROWS for kw, _ in row.all_cases]
    valid.append(jaxsched.serialize(jaxsched.stack(
        [NLCD(np.float32(0.1), 10, seed=i) for i in range(2)])))
    for _ in range(400 * max(stress, 1)):
        config = rng.choice(valid)
        for _ in range(rng.randint(1, 2)):
            config = _replaced(config, rng.choice(list(_places(config))),
                               rng.choice(_MUTANTS))
        try:
            jaxsched.deserialize(config)
        except (ValueError, TypeError) as exc:
            where = str(exc.__traceback__ and _last_frame(exc))
            assert os.path.dirname(where) == _JAXSCHED_DIR, (where, exc, config)


def _last_frame(exc):
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename


def test_deeply_nested_lists_in_constructors_are_clear_errors():
    """Lists built in Python 5000 deep (no JSON parser limits them): a
    ValueError/TypeError naming the argument, never a RecursionError."""
    deep = _deep_list(5000)
    builds = {
        "boundaries": lambda: PCD(deep, [1.0, 0.5]),
        "initial_learning_rate": lambda: jaxsched.ExponentialDecay(deep, 10, 0.5),
        "key": lambda: NLCD(0.1, 10, key=deep),
    }
    for arg, build in builds.items():
        with pytest.raises((ValueError, TypeError)) as info:
            build()
        assert f"`{arg}`" in str(info.value) and "nested too deeply" in str(info.value)
    with pytest.raises(ValueError, match="`boundaries`"):
        jaxsched.from_model_garden_config({"learning_rate": {
            "type": "stepwise", "stepwise": {"boundaries": deep, "values": [1.0, 0.5]}}})


# --------------------------------------------------------------------------
# Shared sub-objects, declared shapes and long values (found in review)


@contextlib.contextmanager
def _deadline(seconds):
    """Fails the test when the block runs longer (instead of hanging)."""

    def expired(signum, frame):
        raise AssertionError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _shared(levels, width=2):
    """A list of `width` times the same list, `levels` deep, as YAML anchors
    and aliases build: a few lists, width**levels leaves as a tree."""
    value = [0]
    for _ in range(levels):
        value = [value] * width
    return value


def test_shared_sub_objects_are_walked_once_and_counted_at_each_place():
    dag = _shared(40)  # 41 lists, 2**40 leaves
    loads = {
        "deserialize": lambda: jaxsched.deserialize(
            {"class_name": "Constant", "config": {"value": 0.1, "junk": dag}}),
        "unknown class": lambda: jaxsched.deserialize(
            {"class_name": "Nope", "config": {"x": dag}}),
        "from_config": lambda: jaxsched.Constant.from_config({"value": 0.1, "junk": dag}),
        "model garden": lambda: jaxsched.from_model_garden_config({"learning_rate": {
            "type": "stepwise", "stepwise": {"boundaries": dag, "values": [0.1]}}}),
    }
    for name, load in loads.items():
        with _deadline(5), pytest.raises(ValueError) as info:
            load()
        message = str(info.value)
        assert "more than 50,000,000 entries" in message, (name, message)
        assert "`config`" in message or "`boundaries`" in message, (name, message)
    cycle = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="more than 100 levels"):
        jaxsched.deserialize({"class_name": "Constant", "config": {"value": cycle}})


def test_find_schedule_configs_searches_a_shared_list_once():
    from jaxsched._config import find_schedule_configs

    leaf = {"learning_rate": {"type": "constant"}}
    wide = [leaf]
    for _ in range(10):
        wide = [wide] * 50  # 50**10 paths to the one dict
    with _deadline(5):
        found = find_schedule_configs({"a": wide})
    assert [(kind, config) for _, kind, config in found] == [("model_garden", leaf)]
    assert found[0][0] == "['a']" + "[0]" * 11


@pytest.mark.parametrize("shape", [[0, 10**400], [0, 2**62, 2**62], [0, 2**31]])
def test_the_declared_shape_of_an_empty_typed_value_is_bounded(shape):
    config = _with_config(initial_learning_rate=_typed([], shape=shape))
    with pytest.raises(ValueError) as info:
        jaxsched.deserialize(config)
    message = str(info.value)
    assert "`initial_learning_rate`" in message and "'shape'" in message, message
    _assert_raised_by_jaxsched(info)


@pytest.mark.parametrize("rate, words", [
    (10**400, "must be finite"), (NAN, "must be finite"),
    (1e300, "finite in float32"), (-1e39, "finite in float32"),
    (1e-40, "float32 flushes"),
], ids=["10**400", "nan", "1e300", "-1e39", "1e-40"])
def test_a_model_garden_constant_rate_is_checked_as_constant_checks_its_value(
        rate, words):
    with pytest.raises(ValueError) as info:
        jaxsched.from_model_garden_config({"learning_rate": {
            "type": "constant", "constant": {"learning_rate": rate}}})
    message = str(info.value)
    assert "`learning_rate.constant.learning_rate`" in message and words in message
    with pytest.raises(ValueError):
        jaxsched.Constant(rate)


def test_model_garden_unknown_type_message_is_short_for_any_section():
    for junk in (_deep_list(100_000), [0.5] * 10**5, _shared(22)):
        with pytest.raises(ValueError) as info:
            jaxsched.from_model_garden_config(
                {"learning_rate": {"type": "bogus", "x": junk}})
        message = str(info.value)
        assert "unknown learning_rate type 'bogus'" in message, message
        assert len(message) < 1000, len(message)


def test_long_names_and_numbers_in_a_config_give_short_clear_messages():
    cases = [
        ({"class_name": "x" * 10**6, "config": {}}, "unknown schedule class 'xxx"),
        ({"class_name": "x", "registered_name": [0] * 10**5, "config": {}},
         "(registered_name [0, 0"),
        ('{"class_name": "Constant", "config": {"value": 1' + "0" * 5000 + "}}",
         "`config` is JSON holding a number too long to read"),
    ]
    for config, words in cases:
        with pytest.raises(ValueError) as info:
            jaxsched.deserialize(config)
        message = str(info.value)
        assert words in message and len(message) < 2000, message[:300]
        _assert_raised_by_jaxsched(info)


def test_a_config_holds_at_most_256_schedules_counted_at_each_place():
    # Found in review: a JoinSchedules config of 500 constants (23 KB of
    # JSON) compiled for a minute at its first call (XLA's compile time grows
    # faster than the program). Configs hold at most 256 schedule dicts,
    # a shared one (YAML aliases) counted at each place.
    def join(n):
        pieces = [{"class_name": "Constant", "config": {"value": 0.1}}] * (n - 1)
        return {"class_name": "JoinSchedules",
                "config": {"schedules": pieces, "boundaries": list(range(1, n - 1))}}

    assert len(jaxsched.deserialize(join(256)).schedules) == 255  # 256 in all
    with pytest.raises(ValueError, match="more than 256 schedules"):
        jaxsched.deserialize(join(257))
    with pytest.raises(ValueError, match="more than 256 schedules"):
        jaxsched.JoinSchedules.from_config(join(258)["config"])  # 257 pieces
