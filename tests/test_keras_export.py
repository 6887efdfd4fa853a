"""Keras both ways, never silently (issue 12): ``serialize(format="keras")``
writes what Keras 3 rebuilds, with Keras' own values; classes Keras lacks
raise; ``deserialize`` takes the schedule out of a Keras optimizer config.

Keras 3 (JAX backend, set by conftest.py) is the oracle throughout.
"""

from __future__ import annotations

import json
import warnings

import jax
import keras
import numpy as np
import pytest

import jaxsched
from cases import EXAMPLES, batch, build
from jaxsched._config import KERAS_CLASSES

KS = keras.optimizers.schedules

# Non-default arguments for each class Keras has (integer rates included:
# Keras computes in the dtype of the rate it is given).
CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=2.5, decay_steps=7, decay_rate=0.96, staircase=True)),
    ("ExponentialDecay", dict(initial_learning_rate=1, decay_steps=10, decay_rate=0.5)),
    ("PiecewiseConstantDecay", dict(boundaries=[10, 20, 35], values=[1.0, 0.5, 0.1, 0.01])),
    ("PiecewiseConstantDecay", dict(boundaries=[5], values=[3, 1])),
    ("PolynomialDecay", dict(initial_learning_rate=1.0, decay_steps=12, end_learning_rate=0.1, power=2.0, cycle=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.3, decay_steps=4, decay_rate=2.0, staircase=True)),
    ("CosineDecay", dict(initial_learning_rate=0.05, decay_steps=25, alpha=0.2, warmup_target=0.1, warmup_steps=6)),
    ("CosineDecay", dict(initial_learning_rate=1, decay_steps=40)),
    ("CosineDecayRestarts", dict(initial_learning_rate=1.0, first_decay_steps=7, t_mul=3.0, m_mul=0.8, alpha=0.05)),
]
# Away from restart boundaries, where Keras' float32 log can be a period off.
STEPS = np.array([0, 1, 3, 5, 6, 9, 12, 17, 23, 33, 50, 100, 1000])


def _keras_values(keras_sched, steps=STEPS):
    """Keras' rates at `steps`, in one (vmapped) call: Keras' eager calls are slow."""
    return np.asarray(jax.vmap(keras_sched)(np.asarray(steps)))


def _keras_names():
    return sorted(
        n for n in dir(KS)
        if isinstance(getattr(KS, n), type)
        and issubclass(getattr(KS, n), KS.LearningRateSchedule)
        and n != "LearningRateSchedule"
    )


def _without_name(d):
    return {**d, "config": {k: v for k, v in d["config"].items() if k != "name"}}


def test_keras_classes_are_keras_own():
    assert list(KERAS_CLASSES) == _keras_names()
    assert all(hasattr(jaxsched, n) for n in KERAS_CLASSES)


def test_every_keras_class_has_a_case():
    assert {name for name, _ in CASES} == set(KERAS_CLASSES)


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_keras_rebuilds_the_same_schedule(name, kwargs):
    ours = getattr(jaxsched, name)(**kwargs)
    exported = json.loads(json.dumps(jaxsched.serialize(ours, format="keras")))
    rebuilt = KS.deserialize(exported)
    assert type(rebuilt) is getattr(KS, name)
    # What Keras itself writes for the schedule built with Keras' constructor.
    keras_own = KS.serialize(getattr(KS, name)(**kwargs))
    assert _without_name(exported) == _without_name(keras_own)
    assert _without_name(KS.serialize(rebuilt)) == _without_name(keras_own)
    np.testing.assert_allclose(batch(ours, STEPS), _keras_values(rebuilt),
                               rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(set(EXAMPLES) - set(KERAS_CLASSES)))
def test_a_class_keras_lacks_raises_naming_it_and_what_to_do(name):
    with pytest.raises(ValueError) as info:
        jaxsched.serialize(build(name), format="keras")
    message = str(info.value)
    assert f"Keras 3 has no {name}" in message
    assert "jaxsched.deserialize" in message


def test_a_stacked_schedule_raises_naming_the_argument():
    batched = jaxsched.stack([jaxsched.ExponentialDecay(lr, 100, 0.5) for lr in (0.1, 0.2)])
    with pytest.raises(ValueError, match="initial_learning_rate.*unstack"):
        jaxsched.serialize(batched, format="keras")


def test_a_user_class_with_a_keras_name_raises():
    class ExponentialDecay(jaxsched.ExponentialDecay):
        pass

    with pytest.raises(ValueError, match="not one of jaxsched's Keras classes"):
        jaxsched.serialize(ExponentialDecay(0.1, 10, 0.5), format="keras")


def test_an_unknown_format_raises_naming_it():
    with pytest.raises(ValueError, match="format='yaml'"):
        jaxsched.serialize(jaxsched.ExponentialDecay(0.1, 10, 0.5), format="yaml")


def test_default_format_is_unchanged():
    sched = jaxsched.ExponentialDecay(0.1, 10, 0.5)
    assert jaxsched.serialize(sched) == jaxsched.serialize(sched, format="jaxsched")
    assert jaxsched.serialize(sched)["module"] == "jaxsched"


# --------------------------------------------------------------------------
# Keras optimizer configs into deserialize


def _keras_optimizer_config(learning_rate, cls=keras.optimizers.AdamW):
    with warnings.catch_warnings():  # Keras' own NumPy 2 deprecation (constant rates)
        warnings.simplefilter("ignore", DeprecationWarning)
        config = keras.optimizers.serialize(cls(learning_rate=learning_rate))
    return json.loads(json.dumps(config))


@pytest.mark.parametrize("cls", [keras.optimizers.AdamW, keras.optimizers.SGD])
def test_deserialize_takes_the_schedule_of_a_keras_optimizer_config(cls):
    keras_sched = KS.CosineDecay(0.0, 40, warmup_target=0.2, warmup_steps=10)
    config = _keras_optimizer_config(keras_sched, cls)
    sched = jaxsched.deserialize(config)
    assert isinstance(sched, jaxsched.CosineDecay)
    np.testing.assert_allclose(batch(sched, STEPS), _keras_values(keras_sched),
                               rtol=2e-6, atol=1e-7)


def test_deserialize_of_a_tf_keras_optimizer_config():
    # tf.keras 2.x writes {"class_name", "config"} without "module".
    config = {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": {
        "class_name": "ExponentialDecay", "config": {
            "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5,
            "staircase": False, "name": None}}}}
    sched = jaxsched.deserialize(config)
    np.testing.assert_allclose(batch(sched, STEPS),
                               _keras_values(KS.ExponentialDecay(0.1, 10, 0.5)), rtol=2e-6)


def test_an_optimizer_with_a_constant_rate_says_so():
    config = _keras_optimizer_config(0.001)
    with pytest.raises(ValueError, match="AdamW.*optimizer config.*learning_rate.*0.001"):
        jaxsched.deserialize(config)


def test_a_model_config_points_at_the_schedule():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(KS.ExponentialDecay(0.1, 10, 0.5)),
                  loss="mse")
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
    with pytest.raises(ValueError) as info:
        jaxsched.deserialize(config)
    path = "config['compile_config']['optimizer']['config']['learning_rate']"
    assert path in str(info.value)
    sched = jaxsched.deserialize(config["compile_config"]["optimizer"]["config"]["learning_rate"])
    assert isinstance(sched, jaxsched.ExponentialDecay)


def test_keras_format_of_typed_leaves_is_plain_and_keras_reads_it():
    """A float32 rate is a typed value in jaxsched's format; the Keras format
    writes the plain number (its exact value), which Keras 3 rebuilds."""
    sched = jaxsched.ExponentialDecay(np.float32(0.1), 10, 0.5)
    typed = jaxsched.serialize(sched)["config"]["initial_learning_rate"]
    assert typed["class_name"] == "__numpy__" and typed["config"]["value"] == 0.1
    d = json.loads(json.dumps(jaxsched.serialize(sched, format="keras")))
    assert d["config"]["initial_learning_rate"] == float(np.float32(0.1))
    assert np.float32(KS.deserialize(d).initial_learning_rate) == np.float32(0.1)
