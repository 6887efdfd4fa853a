"""TF Model Garden's schedule family against a float64 transcription of Model Garden.

The ``mg_*`` functions of ``tests/reference_model_garden.py`` transcribe, in
Python floats, the ``__call__`` of each class of Model Garden's
``official/modeling/optimization/lr_schedule.py``; they share no code with
jaxsched (see that module for where jaxsched documents another value than
Model Garden's NaN or inf).

The generic checks (values around every boundary, step types, dtypes,
vmap, grad, serialization) run over the Model Garden rows of the case table
(``tests/cases.py``); this file keeps what is specific to the family:
Model Garden's own NaNs, extrapolation before the offset, nested and Model
Garden-style configs, ``from_model_garden_config``.
"""

from __future__ import annotations

import dataclasses
import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxsched
from cases import jit_apply, on_batch, program_size
from reference_model_garden import MG, _tf_cos, _tf_div, mg_linear_warmup

# --------------------------------------------------------------------------
# Cases: (class name, kwargs, the steps where something happens). A nested
# schedule is a (class name, kwargs) pair.


PIECEWISE = ("PiecewiseConstantDecayWithOffset",
             dict(boundaries=[10000, 20000], values=[0.1, 0.01, 0.001]))
STEP_COSINE = ("StepCosineDecayWithOffset",
               dict(values=[0.0001, 0.00005], boundaries=[0, 500000], offset=10000))


def build(name, kwargs):
    """The jaxsched schedule; nested (name, kwargs) pairs become schedules."""
    kwargs = {k: build(*v) if isinstance(v, tuple) else v for k, v in kwargs.items()}
    return getattr(jaxsched, name)(**kwargs)


def reference(name, kwargs):
    """Model Garden's value as a float64 function of the step."""
    fn = MG[name]
    kwargs = {k: reference(*v) if isinstance(v, tuple) else v for k, v in kwargs.items()}
    return lambda step: fn(float(step), **kwargs)


def expected(name, kwargs, steps):
    return np.array([reference(name, kwargs)(t) for t in steps])


def assert_close(got, want, x64=False):
    got = np.asarray(got, dtype=np.float64)
    scale = max(np.max(np.abs(want)), 1e-30)
    if x64:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14 * scale)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6 * scale)



# --------------------------------------------------------------------------
# Values


def test_model_garden_is_nan_where_step_cosine_holds():
    """The transcription's replacement is needed: Model Garden divides by zero
    from the last boundary on, and jaxsched is finite and flat there."""
    sched = jaxsched.StepCosineDecayWithOffset([0, 100, 200], [1.0, 0.5, 0.1])
    steps = jnp.array([199, 200, 201, 10**6])
    got = np.asarray(jit_apply(sched, steps))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got[1:], 0.1, rtol=1e-7)
    # Model Garden's last segment: (0.1 - 0) * (cos(pi * (s - 200) / 0) + 1) / 2 + 0
    assert math.isnan(_tf_cos(math.pi * _tf_div(200 - 200, 0)))
    assert math.isnan(_tf_cos(math.pi * _tf_div(201 - 200, 0)))


def test_pre_offset_values_extrapolate_above_the_initial_rate():
    # Model Garden's documented-by-behaviour extrapolation: decays give more
    # than initial_learning_rate before the offset.
    for sched in (
        jaxsched.ExponentialDecayWithOffset(0.1, 100, 0.5, offset=100),
        jaxsched.PolynomialDecayWithOffset(0.1, 100, offset=100),
    ):
        assert float(sched(0)) > 0.1 + 1e-3
        held = dataclasses.replace(sched, hold_before_offset=True)
        np.testing.assert_allclose(float(held(0)), 0.1, rtol=1e-7)
        np.testing.assert_allclose(float(held(100)), 0.1, rtol=1e-7)


def test_piecewise_offset_is_exact_for_large_integer_steps():
    # Integer steps and offsets shift in integers: the comparisons stay exact
    # far beyond float32's 2**24, as in PiecewiseConstantDecay.
    b = 2**30
    sched = jaxsched.PiecewiseConstantDecayWithOffset([b], [1.0, 0.5], offset=7)
    steps = jnp.array([b + 6, b + 7, b + 8], dtype=jnp.int32)
    for got in (sched(steps), jit_apply(sched, steps)):
        np.testing.assert_array_equal(np.asarray(got), [1.0, 1.0, 0.5])


def test_end_points_are_exact_under_jit_closure():
    scheds = [
        (jaxsched.PolynomialDecayWithOffset(0.1, 30, end_learning_rate=0.0, power=0.5,
                                            offset=7), 37),
        (jaxsched.PowerAndLinearDecay(1.0, 100, power=-1.0, linear_decay_fraction=0.3,
                                      offset=3), 103),
        (jaxsched.StepCosineDecayWithOffset([0, 30, 70], [1.0, 0.3, 0.0], offset=11), 81),
        (jaxsched.CosineDecayWithOffset(0.1, 30, offset=9), 39),
    ]
    for sched, end in scheds:
        got = jax.jit(lambda t, sched=sched: sched(t))(jnp.arange(end - 1, end + 3))
        assert float(got[0]) > 0
        np.testing.assert_array_equal(np.asarray(got[1:]), 0.0)


# --------------------------------------------------------------------------
# Pytrees: vmap and grad over every numeric argument, jit without retracing


GRAD_EDGES = [
    # warmup_steps=0: the divisions of the branch not taken.
    ("LinearWarmup", dict(after_warmup_lr_sched=0.1, warmup_steps=0.0,
                          warmup_learning_rate=0.0), "warmup_steps"),
    ("PolynomialWarmUp", dict(after_warmup_lr_sched=0.1, warmup_steps=0.0), "warmup_steps"),
    ("CosineDecayWithOffset", dict(initial_learning_rate=0.1, decay_steps=10.0,
                                   warmup_target=0.2, warmup_steps=0.0, offset=5.0),
     "warmup_steps"),
    # A zero linear span, and powers that overflow float32 far past the end.
    ("PowerAndLinearDecay", dict(initial_learning_rate=1.0, total_decay_steps=0.0,
                                 linear_decay_fraction=0.0), "linear_decay_fraction"),
    ("DirectPowerDecay", dict(initial_learning_rate=1e-3, power=6.0), "power"),
    ("PolynomialWarmUp", dict(after_warmup_lr_sched=0.1, warmup_steps=10.0, power=30.0),
     "power"),
    ("PowerDecayWithOffset", dict(initial_learning_rate=1e-3, power=6.0), "power"),
    ("StepCosineDecayWithOffset", dict(boundaries=[5.0], values=[0.3]), "boundaries"),
]


@pytest.mark.parametrize("name,kwargs,arg", GRAD_EDGES,
                         ids=[f"{c[0]}-{c[2]}" for c in GRAD_EDGES])
def test_grad_is_finite_at_edges(name, kwargs, arg):
    steps = jnp.asarray([-3.0, 0.0, 1.0, 5.0, 10.0, 2.0**31, 2.0**40])
    # The default float dtype, as the Python-number rates: under x64 a
    # float32 `power` with a float64 rate has a float64 gradient (2**240 past
    # the end) that only overflows when cast back to float32.
    value = jnp.asarray(kwargs[arg], dtype=jax.dtypes.canonicalize_dtype(float))

    def total(v):
        return jnp.sum(build(name, {**kwargs, arg: v})(steps))

    assert np.all(np.isfinite(np.asarray(jit_apply(build(name, kwargs), steps))))
    g = jax.jit(jax.grad(total))(value)
    assert np.all(np.isfinite(np.asarray(g))), g


def test_pytree_round_trip_keeps_static_options():
    sched = jaxsched.LinearWarmup(
        jaxsched.ExponentialDecayWithOffset(0.1, 7, 0.5, staircase=True, offset=3,
                                            hold_before_offset=True), 5, 0.0, name="w")
    leaves, treedef = jax.tree_util.tree_flatten(sched)
    assert len(leaves) == 6  # warmup_steps, warmup_lr, lr, decay_steps, rate, offset
    again = jax.tree_util.tree_unflatten(treedef, leaves)
    assert again.after_warmup_lr_sched.staircase is True
    assert again.after_warmup_lr_sched.hold_before_offset is True
    assert again.name == "w"
    steps = jnp.arange(30)
    np.testing.assert_array_equal(np.asarray(jit_apply(again, steps)),
                                  np.asarray(jit_apply(sched, steps)))


# --------------------------------------------------------------------------
# dtypes


# --------------------------------------------------------------------------
# Serialization


def test_offset_is_kept_in_the_config():
    # Model Garden's offset wrapper keeps the base's get_config: the offset is lost.
    for cls, args in [
        (jaxsched.ExponentialDecayWithOffset, (0.1, 10, 0.5)),
        (jaxsched.PiecewiseConstantDecayWithOffset, ([10], [0.1, 0.01])),
        (jaxsched.PolynomialDecayWithOffset, (0.1, 10)),
        (jaxsched.CosineDecayWithOffset, (0.1, 10)),
    ]:
        sched = cls(*args, offset=123)
        config = json.loads(json.dumps(sched.get_config()))
        assert config["offset"] == 123
        assert cls.from_config(config).offset == 123


def test_nested_configs_carry_the_class_name():
    sched = jaxsched.PolynomialWarmUp(
        jaxsched.CosineDecayWithOffset(0.1, 100, offset=50), 10, power=2.0)
    config = sched.get_config()
    inner = config["after_warmup_lr_sched"]
    assert inner["class_name"] == "CosineDecayWithOffset"
    assert inner["config"]["offset"] == 50
    assert config["name"] == "PolynomialWarmup"


def test_model_garden_style_nested_config_deserializes(x64):
    # What Model Garden's optimizer factory builds for
    #   learning_rate: {type: polynomial, polynomial: {initial_learning_rate: 1e-4,
    #                   decay_steps: 10000, end_learning_rate: 0.0, offset: 1000}}
    #   warmup: {type: linear, linear: {warmup_steps: 1000, warmup_learning_rate: 0}}
    # (every field of Model Garden's config dataclasses, names included), with
    # the inner schedule nested with its class name, written by hand.
    config = {
        "class_name": "LinearWarmup",
        "config": {
            "after_warmup_lr_sched": {
                "class_name": "PolynomialDecayWithOffset",
                "config": {"name": "PolynomialDecay", "initial_learning_rate": 1e-4,
                           "decay_steps": 10000, "end_learning_rate": 0.0, "power": 1.0,
                           "cycle": False, "offset": 1000},
            },
            "warmup_steps": 1000,
            "warmup_learning_rate": 0.0,
            "name": "linear",
        },
    }
    sched = jaxsched.deserialize(json.dumps(config))
    assert isinstance(sched, jaxsched.LinearWarmup)
    assert isinstance(sched.after_warmup_lr_sched, jaxsched.PolynomialDecayWithOffset)
    steps = [0, 500, 999, 1000, 1001, 6000, 10999, 11000, 11001, 10**6]
    inner = reference("PolynomialDecayWithOffset",
                      dict(initial_learning_rate=1e-4, decay_steps=10000,
                           end_learning_rate=0.0, offset=1000))
    want = [mg_linear_warmup(float(t), inner, 1000, 0.0) for t in steps]
    assert_close(sched(jnp.asarray(steps)), np.asarray(want), x64)


def test_model_garden_exponential_config_with_staircase_none():
    # Model Garden's ExponentialLrConfig defaults staircase to None.
    config = {"class_name": "ExponentialDecayWithOffset",
              "config": {"name": "ExponentialDecay", "initial_learning_rate": 0.1,
                         "decay_steps": 1000, "decay_rate": 0.96, "staircase": None,
                         "offset": 0}}
    sched = jaxsched.deserialize(config)
    assert sched.staircase is False
    want = [0.1 * 0.96 ** (t / 1000) for t in (0, 999, 1000, 2500)]
    np.testing.assert_allclose(np.asarray(sched(jnp.array([0, 999, 1000, 2500]))), want,
                               rtol=2e-6)


def test_model_garden_raw_nested_config_is_a_clear_error():
    # Model Garden's own LinearWarmup.get_config nests the inner get_config()
    # without a class name: nothing can tell which class it is.
    config = {"class_name": "LinearWarmup",
              "config": {"after_warmup_lr_sched": {"boundaries": [10], "values": [0.1, 0.01],
                                                   "name": "PiecewiseConstantDecay"},
                         "warmup_steps": 5, "warmup_learning_rate": 0.0, "name": None}}
    with pytest.raises(TypeError, match="after_warmup_lr_sched.*class_name"):
        jaxsched.deserialize(config)


# --------------------------------------------------------------------------
# Validation

BAD = [
    (lambda: jaxsched.ExponentialDecayWithOffset(0.1, 0, 0.5, offset=3), "decay_steps", "0"),
    (lambda: jaxsched.PolynomialDecayWithOffset(0.1, 10, offset=float("nan")), "offset", "nan"),
    (lambda: jaxsched.CosineDecayWithOffset(0.1, 10, warmup_target=0.2, warmup_steps=-1),
     "warmup_steps", "-1"),
    (lambda: jaxsched.PiecewiseConstantDecayWithOffset([10, 5], [1.0, 0.5, 0.1], offset=2),
     "boundaries", r"10,\s+5"),
    (lambda: jaxsched.LinearWarmup(0.1, -5, 0.0), "warmup_steps", "-5"),
    (lambda: jaxsched.LinearWarmup(0.1, 5, float("inf")), "warmup_learning_rate", "inf"),
    (lambda: jaxsched.PolynomialWarmUp(float("nan"), 5), "after_warmup_lr_sched", "nan"),
    (lambda: jaxsched.PolynomialWarmUp(0.1, -1), "warmup_steps", "-1"),
    (lambda: jaxsched.DirectPowerDecay(float("inf")), "initial_learning_rate", "inf"),
    (lambda: jaxsched.PowerAndLinearDecay(1.0, -100), "total_decay_steps", "-100"),
    (lambda: jaxsched.PowerAndLinearDecay(1.0, 100, linear_decay_fraction=1.5),
     "linear_decay_fraction", "1.5"),
    (lambda: jaxsched.PowerDecayWithOffset(1.0, offset=float("inf")), "offset", "inf"),
    (lambda: jaxsched.StepCosineDecayWithOffset([0, 10], [1.0, 0.5, 0.1]),
     "boundaries", r"0, 10\]"),
    (lambda: jaxsched.StepCosineDecayWithOffset([0, 10, 10], [1.0, 0.5, 0.1]),
     "boundaries", "10, 10"),
    (lambda: jaxsched.StepCosineDecayWithOffset([], []), "boundaries", r"\[\]"),
]


@pytest.mark.parametrize("make,arg,value", BAD,
                         ids=[f"{a}-{i}" for i, (_, a, _) in enumerate(BAD)])
def test_bad_concrete_arguments_raise_value_error(make, arg, value):
    with pytest.raises(ValueError, match=f"`{arg}`.*Received: {arg}=.*{value}"):
        make()


BAD_TYPES = [
    (lambda: jaxsched.LinearWarmup("0.1", 5, 0.0), "after_warmup_lr_sched"),
    (lambda: jaxsched.LinearWarmup(lambda t: 0.1, 5, 0.0), "after_warmup_lr_sched"),
    (lambda: jaxsched.PolynomialWarmUp(None, 5), "after_warmup_lr_sched"),
    (lambda: jaxsched.ExponentialDecayWithOffset(0.1, 10, 0.5, offset="3"), "offset"),
    (lambda: jaxsched.PolynomialDecayWithOffset(0.1, 10, hold_before_offset=1),
     "hold_before_offset"),
    (lambda: jaxsched.DirectPowerDecay(0.1, power=True), "power"),
]


@pytest.mark.parametrize("make,arg", BAD_TYPES,
                         ids=[f"{a}-{i}" for i, (_, a) in enumerate(BAD_TYPES)])
def test_bad_argument_types_raise_type_error(make, arg):
    with pytest.raises(TypeError, match=f"`{arg}`.*Received: {arg}="):
        make()


# --------------------------------------------------------------------------
# optax


def test_optax_uses_the_warmup_schedule():
    sched = jaxsched.LinearWarmup(
        jaxsched.PiecewiseConstantDecayWithOffset([10], [0.1, 0.01], offset=2), 4, 0.02)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=sched)
    params = jnp.zeros(2)
    state = opt.init(params)
    grads = jnp.ones(2)

    @jax.jit
    def step(params, state):
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, updates

    inner = reference("PiecewiseConstantDecayWithOffset",
                      dict(boundaries=[10], values=[0.1, 0.01], offset=2))
    for t in range(15):
        params, state, updates = step(params, state)
        want = mg_linear_warmup(float(t), inner, 4, 0.02)
        np.testing.assert_allclose(np.asarray(updates), -want, rtol=2e-6)


# --------------------------------------------------------------------------
# Model Garden optimization configs (the learning_rate / warmup sections)


def _mg_params(lr_type, lr_args, warmup_type=None, warmup_args=None):
    params = {"optimizer": {"type": "sgd", "sgd": {"momentum": 0.9}},
              "learning_rate": {"type": lr_type, lr_type: lr_args}}
    if warmup_type:
        params["warmup"] = {"type": warmup_type, warmup_type: warmup_args}
    return params


MG_CONFIGS = [
    # (params, the schedule Model Garden's factory builds, as a (name, kwargs) case)
    (_mg_params("stepwise", {"boundaries": [10000, 20000], "values": [0.1, 0.01, 0.001]},
                "linear", {"warmup_steps": 500, "warmup_learning_rate": 0.01}),
     ("LinearWarmup", dict(after_warmup_lr_sched=PIECEWISE, warmup_steps=500,
                           warmup_learning_rate=0.01))),
    (_mg_params("stepwise", {"boundaries": [10000, 20000], "values": [0.1, 0.01, 0.001]},
                "polynomial", {"warmup_steps": 500, "power": 2.0}),
     ("PolynomialWarmUp", dict(after_warmup_lr_sched=PIECEWISE, warmup_steps=500,
                               power=2.0))),
    # Model Garden's config defaults power to -0.5 (the class to 1.0).
    (_mg_params("power", {"initial_learning_rate": 1.0}),
     ("DirectPowerDecay", dict(initial_learning_rate=1.0, power=-0.5))),
    (_mg_params("power_linear", {"initial_learning_rate": 1.0, "total_decay_steps": 100,
                                 "linear_decay_fraction": 0.5, "offset": 20}),
     ("PowerAndLinearDecay", dict(initial_learning_rate=1.0, total_decay_steps=100,
                                  power=-0.5, linear_decay_fraction=0.5, offset=20))),
    (_mg_params("power_with_offset", {"initial_learning_rate": 1.0, "offset": 10,
                                      "pre_offset_learning_rate": 3.0}),
     ("PowerDecayWithOffset", dict(initial_learning_rate=1.0, power=-0.5, offset=10,
                                   pre_offset_learning_rate=3.0))),
    (_mg_params("step_cosine_with_offset", {"values": [0.0001, 0.00005],
                                            "boundaries": [0, 500000], "offset": 10000},
                "linear", {"warmup_steps": 10000, "warmup_learning_rate": 0.0}),
     ("LinearWarmup", dict(after_warmup_lr_sched=STEP_COSINE, warmup_steps=10000,
                           warmup_learning_rate=0.0))),
    (_mg_params("exponential", {"initial_learning_rate": 0.1, "decay_steps": 1000,
                                "decay_rate": 0.96}),
     ("ExponentialDecayWithOffset", dict(initial_learning_rate=0.1, decay_steps=1000,
                                         decay_rate=0.96, staircase=None))),
    (_mg_params("cosine", {"initial_learning_rate": 0.1, "decay_steps": 1000,
                           "offset": 100}),
     ("CosineDecayWithOffset", dict(initial_learning_rate=0.1, decay_steps=1000,
                                    offset=100))),
    (_mg_params("polynomial", {"initial_learning_rate": 0.1, "decay_steps": 1000,
                               "end_learning_rate": 0.001}, "polynomial",
                {"warmup_steps": 100}),
     ("PolynomialWarmUp", dict(
         after_warmup_lr_sched=("PolynomialDecayWithOffset", dict(
             initial_learning_rate=0.1, decay_steps=1000, end_learning_rate=0.001)),
         warmup_steps=100, power=1))),
    (_mg_params("constant", {"learning_rate": 0.1}, "linear",
                {"warmup_steps": 500, "warmup_learning_rate": 0.01}),
     ("LinearWarmup", dict(after_warmup_lr_sched=0.1, warmup_steps=500,
                           warmup_learning_rate=0.01))),
]


@pytest.mark.parametrize(
    "params,case", MG_CONFIGS,
    ids=[f"{p['learning_rate']['type']}-{p.get('warmup', {}).get('type')}"
         for p, _ in MG_CONFIGS])
def test_model_garden_optimization_config_builds_the_schedule(params, case):
    sched = jaxsched.from_model_garden_config(params)
    name, kwargs = case
    assert type(sched).__name__ == name
    steps = [0, 1, 10, 99, 100, 101, 250, 499, 500, 501, 999, 1000, 1001, 5000, 9999,
             10000, 10001, 20000, 20001, 260000, 509999, 510000, 510001, 10**7]
    assert_close(on_batch(jit_apply, sched, steps), expected(name, kwargs, steps),
                 x64=False)
    again = jaxsched.deserialize(json.loads(json.dumps(jaxsched.serialize(sched))))
    assert again.get_config() == sched.get_config()


def test_model_garden_constant_without_warmup_is_the_float():
    assert jaxsched.from_model_garden_config(_mg_params("constant", {})) == 0.1
    params = _mg_params("constant", {"learning_rate": 0.3})
    params["warmup"] = {"type": None}
    assert jaxsched.from_model_garden_config(params) == 0.3


@pytest.mark.parametrize("params,match", [
    ({"learning_rate": {"type": "cyclic"}},
     "unknown learning_rate type 'cyclic'.*'cosine'"),
    ({"learning_rate": {}}, "`learning_rate` needs a 'type'"),
    ({"optimizer": {"type": "sgd"}}, "`learning_rate` needs a 'type'"),
    (_mg_params("power", {"initial_learning_rate": 1.0, "decay_steps": 5}),
     r"unknown argument\(s\) \['decay_steps'\] in `learning_rate.power`"),
    (_mg_params("power", {"initial_learning_rate": 1.0}, "exponential", {}),
     "unknown warmup type 'exponential'"),
    (_mg_params("stepwise", {"boundaries": [5, 1], "values": [1.0, 0.5, 0.1]}),
     "`boundaries` must be strictly increasing"),
])
def test_model_garden_optimization_config_errors(params, match):
    with pytest.raises(ValueError, match=match):
        jaxsched.from_model_garden_config(params)


@pytest.mark.parametrize("params, exc, words", [
    # Sections and arguments that are not dicts.
    ({"learning_rate": "cosine"}, TypeError, ["`learning_rate` must be a dict",
                                              "'cosine'"]),
    ({"learning_rate": {"type": "constant"}, "warmup": "linear"}, TypeError,
     ["`warmup` must be a dict", "'linear'"]),
    ({"learning_rate": {"type": "constant"}, "warmup": ["linear", 10]}, TypeError,
     ["`warmup` must be a dict", "['linear', 10]"]),
    ({"learning_rate": {"type": 3}}, TypeError, ["'type' of `learning_rate`", "3"]),
    ({"learning_rate": {"type": "constant"}, "warmup": {"type": ["linear"]}},
     TypeError, ["'type' of `warmup`", "['linear']"]),
    (_mg_params("cosine", [1, 2]), TypeError, ["`learning_rate.cosine` must be a dict",
                                               "[1, 2]"]),
    ({"learning_rate": {"type": "cosine", "cosine": {1: 2}}}, TypeError,
     ["argument names of `learning_rate.cosine`", "[1]"]),
    # A constant rate is a number, as Model Garden's float field.
    (_mg_params("constant", {"learning_rate": "0.1"}), TypeError,
     ["`learning_rate.constant.learning_rate` must be a number", "'0.1'"]),
    (_mg_params("constant", {"learning_rate": None}), TypeError,
     ["must be a number", "None"]),
    (_mg_params("constant", {"learning_rate": True}), TypeError,
     ["must be a number", "True"]),
    (_mg_params("constant", {"learning_rate": [0.1]}), TypeError,
     ["must be a number", "[0.1]"]),
    (_mg_params("constant", {"learning_rate": float("nan")}), ValueError,
     ["must be finite", "nan"]),
    (_mg_params("constant", {"name": 7}), TypeError, ["`learning_rate.constant.name`",
                                                      "7"]),
    # The warmup's own arguments are checked by the warmup class.
    (_mg_params("constant", {"learning_rate": 0.1}, "linear",
                {"warmup_steps": "10"}), TypeError, ["`warmup_steps`", "'10'"]),
])
def test_model_garden_config_values_are_validated(params, exc, words):
    with pytest.raises((TypeError, ValueError)) as info:
        jaxsched.from_model_garden_config(params)
    assert info.type is exc, info.value
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_model_garden_constant_is_a_float_and_no_warmup_is_none():
    for warmup in (None, {"type": None}, {}):
        params = {**_mg_params("constant", {"learning_rate": 2}), "warmup": warmup}
        lr = jaxsched.from_model_garden_config(params)
        assert type(lr) is float and lr == 2.0


def test_nested_warmups_evaluate_their_inner_schedule_once():
    # Each warmup evaluates the schedule it wraps once per call (at
    # max(step, warmup_steps)), so the program grows linearly with the depth
    # of nested warmups. Evaluating it twice (at the step and at
    # warmup_steps) doubled it at each level: 2**10 copies at depth 10
    # (before: depth 12 took 28 s to compile).
    def nested(depth):
        sched = jaxsched.ExponentialDecay(0.1, 100, 0.5)
        for level in range(depth):
            if level % 2:
                sched = jaxsched.LinearWarmup(sched, 10 + level, 0.0)
            else:
                sched = jaxsched.PolynomialWarmUp(sched, 10 + level)
        return sched

    steps = jnp.array([0, 5, 10, 19, 100])
    sizes = {d: program_size(jax.make_jaxpr(lambda t, d=d: nested(d)(t))(steps).jaxpr)
             for d in (5, 10)}
    assert sizes[10] < 2.5 * sizes[5], sizes  # linear; doubling gives 32x
    values = jit_apply(nested(10), steps)
    assert np.all(np.isfinite(np.asarray(values)))
    # Step 100 is past every warmup: the innermost schedule, 0.1 * 0.5 ** 1.
    assert float(values[-1]) == pytest.approx(0.05, rel=1e-6)


@pytest.mark.parametrize("cls", [jaxsched.LinearWarmup, jaxsched.PolynomialWarmUp])
def test_a_warmups_integer_target_beyond_int32_is_kept_as_its_float(cls):
    # Found in review: a constant target of 2**40 (an int) passed the checks,
    # then JAX refused it as an int32 jit argument at the first call. It is
    # widened to float like every other integer hyperparameter: past the
    # warmup the rate is 2**40 (a float32 exactly), and from a config too.
    sched = cls(2**40, 5, 0.0) if cls is jaxsched.LinearWarmup else cls(2**40, 5)
    assert float(sched(10)) == 2.0**40
    config = jaxsched.serialize(sched)
    assert float(jaxsched.deserialize(config)(10)) == 2.0**40
