"""get_config / from_config / serialize / deserialize (DESIGN.md §2).

Configs are JSON-ready, round-trip for every class, and the formats Keras
writes load: Keras 3 (generated live by Keras in test_keras_parity.py and
here for __numpy__ values), tf.keras 2.x and the legacy form (written out by
hand below, as tf.keras writes them).
"""

from __future__ import annotations

import dataclasses
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import jaxsched
import reference as ref
from cases import ROWS, STEPS, batch, rates_in

# Every config of the case table: each row's example and cases.
ALL_CASES = [pytest.param(row, kw, id=f"{row.id}-{i}")
             for row in ROWS for i, (kw, _) in enumerate(row.all_cases)]


def _json_types_only(value):
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_types_only(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_types_only(v) for v in value)
    return value is None or type(value) in (bool, int, float, str)


@pytest.mark.parametrize("row, kw", ALL_CASES)
def test_config_is_plain_json_and_round_trips(row, kw):
    # Every config as JAX's default is float32; the examples under x64 too.
    for x64 in (False, True) if kw is row.example else (False,):
        with jax.enable_x64(x64):
            _check_round_trip(row, kw)


def _python_numbers_only(value):
    if hasattr(value, "build"):  # an Inner schedule
        return _python_numbers_only(value.kw)
    if isinstance(value, dict):
        return all(_python_numbers_only(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_python_numbers_only(v) for v in value)
    return value is None or type(value) in (bool, int, float, str)


def _check_round_trip(row, kw):
    sched = row.build(kw)
    config = sched.get_config()
    assert _json_types_only(config), config
    if _python_numbers_only(kw):  # Keras' plain format, no typed values
        assert "__numpy__" not in json.dumps(config), config
    blob = json.dumps(jaxsched.serialize(sched))
    again = jaxsched.deserialize(json.loads(blob))
    assert type(again) is type(sched)
    assert again.get_config() == config
    rebuilt = type(sched).from_config(json.loads(json.dumps(config)))
    # The same pytree: the same compiled program on the same inputs, so the
    # same values at every step.
    _assert_same_pytree(again, sched)
    _assert_same_pytree(rebuilt, sched)
    if kw is row.example:  # and the values themselves, once per class
        steps = np.asarray(STEPS[:-1])
        for other in (again, rebuilt):
            np.testing.assert_array_equal(batch(other, steps), batch(sched, steps))


def _assert_same_pytree(a, b):
    """Equal treedefs (class, static fields, nesting) and leaves of equal avals
    (shape, dtype, weak type) and bits."""
    leaves_a, treedef_a = jax.tree_util.tree_flatten(a)
    leaves_b, treedef_b = jax.tree_util.tree_flatten(b)
    assert treedef_a == treedef_b, (treedef_a, treedef_b)
    for x, y in zip(leaves_a, leaves_b):
        assert jax.typeof(x) == jax.typeof(y), (x, y)
        if jax.dtypes.issubdtype(jax.typeof(x).dtype, jax.dtypes.prng_key):
            x, y = jax.random.key_data(x), jax.random.key_data(y)
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_serialize_layout():
    d = jaxsched.serialize(jaxsched.ExponentialDecay(0.1, 100, 0.5, staircase=True))
    assert d == {
        "module": "jaxsched",
        "class_name": "ExponentialDecay",
        "config": {
            "initial_learning_rate": 0.1,
            "decay_steps": 100,
            "decay_rate": 0.5,
            "staircase": True,
        },
        "registered_name": None,
    }


def test_name_is_kept_when_set_and_left_out_when_none():
    assert "name" not in jaxsched.CosineDecay(0.1, 10).get_config()
    assert jaxsched.CosineDecay(0.1, 10, name="cos").get_config()["name"] == "cos"


def _typed(value, dtype, shape):
    return {"class_name": "__numpy__",
            "config": {"value": value, "dtype": dtype, "shape": shape}}


def test_array_hyperparameters_keep_their_dtype():
    """float64 and int64 values (what Python numbers and lists become) are
    plain JSON; other dtypes are typed values, floats in their shortest
    exact decimal (float32 0.1 as 0.1, not 0.10000000149011612)."""
    sched = jaxsched.PiecewiseConstantDecay(
        np.array([10, 20]), jnp.array([1.0, 0.5, 0.25], jnp.float32)
    )
    config = sched.get_config()
    assert config["boundaries"] == [10, 20]
    assert config["values"] == _typed([1.0, 0.5, 0.25], "float32", [3])
    scalar = jaxsched.ExponentialDecay(np.float32(0.1), np.int64(10), np.float64(0.5))
    assert scalar.get_config() == {
        "initial_learning_rate": _typed(0.1, "float32", []), "decay_steps": 10,
        "decay_rate": 0.5, "staircase": False,
    }
    # The example: an array rate reads back (today: "must be a number").
    sched = jaxsched.ExponentialDecay(jnp.array([0.1, 0.2], jnp.float32), 1000, 0.9)
    assert sched.get_config()["initial_learning_rate"] == _typed([0.1, 0.2], "float32",
                                                                 [2])
    again = jaxsched.deserialize(json.loads(json.dumps(jaxsched.serialize(sched))))
    assert again.initial_learning_rate.dtype == np.float32
    np.testing.assert_array_equal(again.initial_learning_rate,
                                  np.array([0.1, 0.2], np.float32))
    # bfloat16 0.1 is 0.10009765625: written as "0.1", which reads back to it.
    bf16 = jaxsched.ExponentialDecay(jnp.asarray([0.1, 3.0], jnp.bfloat16), 10, 0.5)
    assert bf16.get_config()["initial_learning_rate"] == _typed([0.1, 3.0], "bfloat16",
                                                                [2])
    # Integers of other widths, and float16.
    odd = jaxsched.ExponentialDecay(np.float16(0.1), np.int32(10), np.float16(0.5))
    assert odd.get_config()["decay_steps"] == _typed(10, "int32", [])
    assert odd.get_config()["initial_learning_rate"] == _typed(0.1, "float16", [])


def test_legacy_keras_dict_loads():
    """tf.keras 2.x `serialize` (before 2.13) writes only class_name and config."""
    legacy = {
        "class_name": "PolynomialDecay",
        "config": {"initial_learning_rate": 0.1, "decay_steps": 10000,
                   "end_learning_rate": 0.01, "power": 0.5, "cycle": False,
                   "name": None},
    }
    sched = jaxsched.deserialize(legacy)
    steps = np.array([0, 2500, 10000, 20000])
    np.testing.assert_allclose(
        sched(steps),
        ref.polynomial_decay(steps, 0.1, 10000, 0.01, 0.5),
        rtol=1e-6,
    )


def test_tf_keras_2_13_dict_loads():
    """tf.keras >= 2.13 writes the module and registered_name keys too."""
    d = {
        "module": "keras.optimizers.schedules",
        "class_name": "CosineDecay",
        "config": {"initial_learning_rate": 0.0, "decay_steps": 1000, "alpha": 0.0,
                   "name": "CosineDecay", "warmup_target": 0.1, "warmup_steps": 100},
        "registered_name": None,
    }
    sched = jaxsched.deserialize(d)
    assert sched.name == "CosineDecay"
    steps = np.array([0, 50, 100, 600, 1100, 5000])
    np.testing.assert_allclose(
        sched(steps), ref.cosine_decay(steps, 0.0, 1000, 0.0, 0.1, 100), atol=1e-7
    )


def test_keras_value_dicts_load():
    """Keras 3 serializes NumPy arrays as {"class_name": "__numpy__", ...} and
    tensors as "__tensor__"; the dtype is kept."""
    d = {
        "module": "keras.optimizers.schedules",
        "class_name": "PiecewiseConstantDecay",
        "config": {
            "boundaries": {"class_name": "__numpy__",
                           "config": {"value": [10, 20], "dtype": "int64"}},
            "values": {"class_name": "__numpy__",
                       "config": {"value": [1.0, 0.5, 0.1], "dtype": "float32"}},
            "name": "PiecewiseConstant",
        },
        "registered_name": None,
    }
    sched = jaxsched.deserialize(d)
    with jax.enable_x64(True):
        out = sched(np.array([10, 11, 21]))
    assert out.dtype == jnp.float32  # the values' dtype, also under x64
    np.testing.assert_allclose(out, [1.0, 0.5, 0.1], rtol=1e-7)
    d = {"class_name": "ExponentialDecay", "config": {
        "initial_learning_rate": {"class_name": "__tensor__",
                                  "config": {"value": 0.1, "dtype": "float32"}},
        "decay_steps": 10, "decay_rate": 0.5}}
    assert float(jaxsched.deserialize(d)(10)) == pytest.approx(0.05, rel=1e-6)


def test_json_text_is_accepted():
    text = json.dumps(jaxsched.serialize(jaxsched.InverseTimeDecay(0.1, 10, 0.5)))
    assert float(jaxsched.deserialize(text)(10)) == pytest.approx(0.1 / 1.5, rel=1e-6)


def test_nested_schedules_serialize_with_their_class_name():
    inner = jaxsched.PiecewiseConstantDecay([10], [0.1, 0.01])
    sched = jaxsched.LinearWarmup(inner, warmup_steps=5, warmup_learning_rate=0.0)
    config = sched.get_config()
    assert config["after_warmup_lr_sched"]["class_name"] == "PiecewiseConstantDecay"
    again = jaxsched.deserialize(json.loads(json.dumps(jaxsched.serialize(sched))))
    steps = np.arange(0, 20)
    np.testing.assert_array_equal(np.asarray(again(steps)), np.asarray(sched(steps)))


# ---------------------------------------------------------------------------
# User classes


@dataclasses.dataclass(frozen=True, eq=False)
class NeverRegisteredHalving(jaxsched.LearningRateSchedule):
    """A user schedule, as in the README: halves every `every` steps."""

    initial_learning_rate: float
    every: int
    name: str | None = jaxsched.static_field(default=None)

    def __call__(self, step):
        return self.initial_learning_rate * 0.5 ** (jnp.asarray(step) // self.every)


def test_unregistered_user_class_needs_custom_objects():
    d = jaxsched.serialize(NeverRegisteredHalving(1.0, 10))
    assert d["class_name"] == "NeverRegisteredHalving" and d["registered_name"] is None
    with pytest.raises(ValueError, match="NeverRegisteredHalving"):
        jaxsched.deserialize(d)
    again = jaxsched.deserialize(d, custom_objects={"NeverRegisteredHalving": NeverRegisteredHalving})
    assert float(again(25)) == 0.25
    # custom_objects reach nested schedules too
    wrapped = jaxsched.serialize(jaxsched.WithOffset(NeverRegisteredHalving(1.0, 10), 5))
    assert float(jaxsched.deserialize(wrapped, {"NeverRegisteredHalving": NeverRegisteredHalving})(24)) == 0.5  # NeverRegisteredHalving(19)


def test_registered_user_class_round_trips():
    @jaxsched.register_serializable(package="tests")
    @dataclasses.dataclass(frozen=True, eq=False)
    class Quartering(jaxsched.LearningRateSchedule):
        initial_learning_rate: float
        every: int

        def __call__(self, step):
            return self.initial_learning_rate * 0.25 ** (jnp.asarray(step) // self.every)

    d = jaxsched.serialize(Quartering(1.0, 10))
    assert d["registered_name"] == "tests>Quartering"
    assert float(jaxsched.deserialize(json.loads(json.dumps(d)))(20)) == 0.0625
    # Keras' registered-name forms find it too
    legacy = {"class_name": "Quartering", "config": {"initial_learning_rate": 1.0, "every": 10}}
    assert float(jaxsched.deserialize(legacy)(10)) == 0.25


def test_register_rejects_non_schedules_and_name_clashes():
    with pytest.raises(TypeError, match="cls"):
        jaxsched.register_serializable(dict)

    @dataclasses.dataclass(frozen=True, eq=False)
    class Clash(jaxsched.LearningRateSchedule):
        def __call__(self, step):
            return jnp.ones_like(jnp.asarray(step, jnp.float32))

    jaxsched.register_serializable(Clash, package="clash")

    @dataclasses.dataclass(frozen=True, eq=False)
    class Clash2(jaxsched.LearningRateSchedule):
        def __call__(self, step):
            return jnp.zeros_like(jnp.asarray(step, jnp.float32))

    with pytest.raises(ValueError, match="clash>Clash"):
        jaxsched.register_serializable(Clash2, package="clash", name="Clash")


# ---------------------------------------------------------------------------
# Errors


def test_unknown_class_lists_the_known_ones():
    with pytest.raises(ValueError, match="NoSuchDecay") as info:
        jaxsched.deserialize({"class_name": "NoSuchDecay", "config": {}})
    message = str(info.value)
    for name in ("CosineDecay", "ExponentialDecay", "PiecewiseConstantDecay"):
        assert name in message
    listed = message[message.index("[") : message.index("]") + 1]
    names = [n.strip(" '") for n in listed.strip("[]").split(",")]
    assert names == sorted(names)


@pytest.mark.parametrize(
    "config, error, words",
    [
        ({"class_name": "ExponentialDecay",
          "config": {"initial_learning_rate": 0.1, "decay_steps": 10}},
         ValueError, ["missing", "decay_rate"]),
        ({"class_name": "ExponentialDecay",
          "config": {"initial_learning_rate": 0.1, "decay_steps": 10,
                     "decay_rate": 0.5, "decay_speed": 2}},
         ValueError, ["unknown", "decay_speed"]),
        ([1, 2], TypeError, ["config", "[1, 2]"]),
        ({"config": {}}, ValueError, ["class_name"]),
        ({"class_name": "ExponentialDecay"}, ValueError, ["'config'"]),
        ({"class_name": "ExponentialDecay", "config": [0.1, 10, 0.5]}, ValueError, ["config", "[0.1, 10, 0.5]"]),
        ({"class_name": 3, "config": {}}, ValueError, ["class_name", "3"]),
        ("not json", ValueError, ["JSON", "not json"]),
        ({"class_name": "ExponentialDecay",
          "config": {"initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.5}},
         ValueError, ["decay_steps", "0"]),
    ],
)
def test_malformed_configs_raise_clear_errors(config, error, words):
    with pytest.raises(error) as info:
        jaxsched.deserialize(config)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_serialize_rejects_non_schedules():
    with pytest.raises(TypeError, match="schedule"):
        jaxsched.serialize(lambda step: 0.1)


def test_get_config_of_a_traced_schedule_explains_itself():
    def config_inside(lr):
        jaxsched.ExponentialDecay(lr, 10, 0.5).get_config()
        return lr

    with pytest.raises(ValueError, match="initial_learning_rate.*traced"):
        jax.jit(config_inside)(0.1)


# ---------------------------------------------------------------------------
# Property: random schedules of every class read back exactly

# Half the suite's default examples draw nothing costly: checking leaves and
# configs compiles nothing. JAXSCHED_STRESS=N draws N times as many, at random.
STRESS = int(os.environ.get("JAXSCHED_STRESS", "0"))


def _settings(examples):
    return settings(deadline=None, max_examples=examples * max(STRESS, 1),
                    derandomize=not STRESS,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


# The dtype of the rates: Python numbers (None) or arrays of a float dtype.
_RATE_DTYPES = [None, jnp.bfloat16, jnp.float16, jnp.float32, jnp.float64]
_INT_TYPES = [int, np.int32, np.int64, np.uint32, np.int16]


@st.composite
def any_schedule(draw):
    """A schedule of any class with random hyperparameters, rate dtypes
    (NumPy or JAX arrays), integer types, sweep shapes and nesting."""
    row = draw(st.sampled_from(ROWS))
    kw = draw(row.kwargs)
    dtype = draw(st.sampled_from(_RATE_DTYPES))
    if dtype is not None:
        with jax.enable_x64(dtype == jnp.float64):
            kw, _ = rates_in(kw, dtype)
        if dtype == jnp.float64 or draw(st.booleans()):  # NumPy, not JAX arrays
            kw = {k: np.asarray(v) if isinstance(v, jax.Array) else v
                  for k, v in kw.items()}
    for arg in row.numbers:
        v = kw.get(arg)
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**15:
            kw[arg] = draw(st.sampled_from(_INT_TYPES))(v)
    try:
        sched = row.build(kw)
    except (ValueError, TypeError):  # a rounded rate broke a rule: draw again
        reject()
    form = draw(st.sampled_from(["plain", "stack", "offset", "warmup", "join"]))
    if form == "stack":
        sched = jaxsched.stack([sched] * draw(st.integers(1, 3)))
    elif form == "offset":
        sched = jaxsched.WithOffset(sched, draw(st.integers(-5, 5)))
    elif form == "warmup":
        sched = jaxsched.LinearWarmup(sched, draw(st.integers(1, 50)), 0.0)
    elif form == "join":
        sched = jaxsched.JoinSchedules(
            [jaxsched.ExponentialDecay(np.float32(0.1), 10, 0.5), sched],
            [draw(st.integers(0, 100))])
    return sched


def _leaves(sched):
    """(path, kind, dtype, shape, bytes) of every leaf: PRNG keys by their
    implementation and key data, numbers by their NumPy dtype and bits."""
    out = []
    for path, leaf in jax.tree_util.tree_flatten_with_path(sched)[0]:
        if jax.dtypes.issubdtype(getattr(leaf, "dtype", None), jax.dtypes.prng_key):
            impl = str(jax.random.key_impl(leaf))
            leaf = np.asarray(jax.random.key_data(leaf))
            out.append((jax.tree_util.keystr(path), impl, leaf.dtype.name, leaf.shape,
                        leaf.tobytes()))
        else:
            a = np.asarray(leaf)
            out.append((jax.tree_util.keystr(path), "number", a.dtype.name, a.shape,
                        a.tobytes()))
    return out


def _round_trip(sched):
    text = json.dumps(jaxsched.serialize(sched))
    return text, jaxsched.deserialize(json.loads(text))


@given(sched=any_schedule(), x64=st.booleans())
@_settings(40)
def test_random_schedules_read_back_with_identical_leaves(sched, x64):
    """Every leaf's dtype, shape and bits, and the tree structure (static
    options) come back; serializing again gives the same text. Built under
    x32, read back with and without x64."""
    with jax.enable_x64(x64):
        text, again = _round_trip(sched)
    assert jax.tree_util.tree_structure(again) == jax.tree_util.tree_structure(sched)
    assert _leaves(again) == _leaves(sched)
    assert json.dumps(jaxsched.serialize(again)) == text


@given(sched=any_schedule())
@_settings(3)  # each example compiles its program once
def test_random_schedules_read_back_with_identical_values(sched):
    steps = np.array([-3, 0, 1, 7, 10, 11, 49, 50, 51, 99, 100, 101, 1000, 10**5,
                      2.5, 2**31 - 1], np.float32)[:, None]  # against a sweep axis
    _, again = _round_trip(sched)
    np.testing.assert_array_equal(np.asarray(again(steps)), np.asarray(sched(steps)))


def test_x64_leaves_read_back_exactly():
    """float64 leaves (x64) and their float32 roundings, bfloat16 and
    float16 ones, and integers of every width: the same dtype and bits."""
    with jax.enable_x64(True):
        rates = [jnp.asarray(v, d) for v in (0.1, 1 / 3, 2.0**-20, 6.02e23 / 1e30)
                 for d in (jnp.float64, jnp.float32, jnp.bfloat16, jnp.float16)]
        scheds = [jaxsched.ExponentialDecay(r, 10, 0.5) for r in rates]
        scheds += [jaxsched.ExponentialDecay(0.1, d(7), 0.5) for d in (
            np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
            np.uint64, jnp.int64, jnp.uint64)]
        scheds.append(jaxsched.stack([jaxsched.NoisyLinearCosineDecay(
            0.1, 10, key=jax.random.key(i, impl="rbg")) for i in range(2)]))
        for sched in scheds:
            _, again = _round_trip(sched)
            assert _leaves(again) == _leaves(sched), sched


@jaxsched.register_serializable(package="tests_exact")
class ArrayHalving(jaxsched.LearningRateSchedule):
    """A user schedule with array hyperparameters (no decorator needed)."""

    initial_learning_rate: jax.typing.ArrayLike
    every: jax.typing.ArrayLike
    name: str | None = jaxsched.static_field(default=None)

    def _rate(self, step, dtype):
        return self.initial_learning_rate * 0.5 ** jnp.floor(step / self.every)


def test_user_subclass_with_typed_leaves_reads_back_exactly():
    sched = jaxsched.WithOffset(ArrayHalving(
        jnp.asarray([0.1, 0.3], jnp.bfloat16), np.int32(10), name="mine"), np.int16(5))
    d = json.loads(json.dumps(jaxsched.serialize(sched)))
    inner = d["config"]["schedule"]
    assert inner["registered_name"] == "tests_exact>ArrayHalving"
    assert inner["config"]["every"] == _typed(10, "int32", [])
    again = jaxsched.deserialize(d)
    assert type(again.schedule) is ArrayHalving and again.schedule.name == "mine"
    assert _leaves(again) == _leaves(sched)
