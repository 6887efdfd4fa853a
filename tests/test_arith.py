"""Arithmetic on schedules: Constant, Scaled, Quotient, Product, Minimum,
Maximum, from_callable, and the operators on LearningRateSchedule.

Expected values: the float64 Keras formulas of ``tests/reference.py`` for
the schedules inside, combined in NumPy, and optax run live for optax
closures and optimizers.
"""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import reference as ref
from cases import batch, jit_apply

import jaxsched

EXP = dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)
COS = dict(initial_learning_rate=0.2, decay_steps=40, alpha=0.1)
POLY = dict(initial_learning_rate=0.0, decay_steps=10, end_learning_rate=1.0)
STEPS = np.asarray([0, 1, 5, 9, 10, 11, 20, 39, 40, 41, 100, 10**6])


def exp(t):
    return ref.exponential_decay(t, **EXP)


def cos(t):
    return ref.cosine_decay(t, **COS)


def poly(t):
    return ref.polynomial_decay(t, **POLY)


def assert_close(got, want):
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=2e-6, atol=1e-9)


E, C, P = (
    jaxsched.ExponentialDecay(**EXP),
    jaxsched.CosineDecay(**COS),
    jaxsched.PolynomialDecay(**POLY),
)

# (id, schedule, float64 values at STEPS, class)
CASES = [
    ("constant", jaxsched.Constant(0.3), np.full(STEPS.shape, 0.3), "Constant"),
    ("number-times", 0.5 * E, 0.5 * exp(STEPS), "Scaled"),
    ("times-number", E * 2, 2 * exp(STEPS), "Scaled"),
    ("numpy-times", np.float32(3.0) * C, 3 * cos(STEPS), "Scaled"),
    ("jax-times", jnp.asarray(0.25) * C, 0.25 * cos(STEPS), "Scaled"),
    ("divided", E / 4, exp(STEPS) / 4, "Quotient"),
    ("product", P * E, poly(STEPS) * exp(STEPS), "Product"),
    ("product-of-three", P * E * C, poly(STEPS) * exp(STEPS) * cos(STEPS), "Product"),
    (
        "minimum",
        jaxsched.minimum(E, C, 0.15),
        np.minimum(np.minimum(exp(STEPS), cos(STEPS)), 0.15),
        "Minimum",
    ),
    ("maximum", jaxsched.maximum(E, 0.02), np.maximum(exp(STEPS), 0.02), "Maximum"),
    (
        "nested",
        jaxsched.maximum(0.5 * (P * C), E / 10),
        np.maximum(0.5 * poly(STEPS) * cos(STEPS), exp(STEPS) / 10),
        "Maximum",
    ),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values(case):
    _, sched, want, cls = case
    assert type(sched).__name__ == cls
    assert_close(batch(sched, STEPS), want)


def test_values_inside_one_jit_and_the_shape_of_the_step():
    """Every case in one jit, the schedules captured as constants."""
    got = jax.jit(lambda t: [c[1](t) for c in CASES])(STEPS)
    for case, row in zip(CASES, got):
        assert_close(row, case[2])
    sched = CASES[-1][1]
    assert sched(STEPS.reshape(3, 4)).shape == (3, 4)
    assert sched(7).shape == () and sched(np.float32(7.5)).shape == ()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_nested_config_round_trips_through_json(case):
    _, sched, want, cls = case
    blob = json.dumps(jaxsched.serialize(sched))
    again = jaxsched.deserialize(json.loads(blob))
    assert type(again) is type(sched)
    np.testing.assert_array_equal(batch(again, STEPS), batch(sched, STEPS))


def test_configs_nest_the_inner_schedules_with_their_class_names():
    config = jaxsched.serialize(jaxsched.minimum(0.5 * E, 0.1))["config"]
    inner, bound = config["schedules"]
    assert inner["class_name"] == "Scaled" and inner["config"]["factor"] == 0.5
    assert inner["config"]["schedule"]["class_name"] == "ExponentialDecay"
    assert bound == {
        "module": "jaxsched",
        "class_name": "Constant",
        "config": {"value": 0.1},
        "registered_name": None,
    }


def test_division_divides():
    """``s / k`` divides (``0.3 / 3`` is 0.1 in float32, where ``0.3 * (1/3)``
    is one ulp above); the schedule's hyperparameters are jit arguments, so
    XLA does not turn the division into a product."""
    f = jax.dtypes.canonicalize_dtype(float).type  # float32, or float64 under x64
    for v, d in ((0.3, 3.0), (0.1, 10.0), (0.1, 49.0), (2.9, 7.0)):
        assert float((jaxsched.Constant(v) / d)(0)) == f(v) / f(d)


def test_vmap_over_factor_divisor_and_constant():
    factors = jnp.asarray([0.5, 1.0, 2.0])
    got = jax.vmap(lambda f: jaxsched.Scaled(E, f)(STEPS))(factors)
    assert_close(got, np.asarray(factors)[:, None] * exp(STEPS))
    got = jax.vmap(lambda d: jaxsched.Quotient(E, d)(STEPS))(factors)
    assert_close(got, exp(STEPS) / np.asarray(factors)[:, None])
    got = jax.vmap(lambda v: jaxsched.minimum(C, jaxsched.Constant(v))(STEPS))(
        jnp.asarray([0.01, 0.1])
    )
    assert_close(got, np.minimum(cos(STEPS), np.asarray([[0.01], [0.1]])))
    batched = jaxsched.stack([0.5 * E, 0.25 * E])
    assert_close(batched(10), [0.025, 0.0125])


def test_grads_reach_the_factor_and_the_inner_leaves():
    def total(factor, lr):
        inner = jaxsched.ExponentialDecay(lr, 10, 0.5)
        return jnp.sum(
            jaxsched.maximum(factor * inner, 0.001)(STEPS.astype(np.float32))
        )

    g_factor, g_lr = jax.grad(total, argnums=(0, 1))(0.5, 0.1)
    above = exp(STEPS) * 0.5 > 0.001  # where the floor does not hold
    np.testing.assert_allclose(float(g_factor), np.sum(exp(STEPS)[above]), rtol=1e-5)
    np.testing.assert_allclose(
        float(g_lr), np.sum(0.5 * exp(STEPS)[above] / 0.1), rtol=1e-5
    )


def test_dtype_follows_the_inner_schedule():
    half = jaxsched.ExponentialDecay(jnp.bfloat16(0.1), 10, 0.5)
    assert (0.5 * half)(3).dtype == jnp.bfloat16
    assert (half / 3)(3).dtype == jnp.bfloat16
    assert jaxsched.Constant(jnp.float16(0.1))(3).dtype == jnp.float16
    # Promotion with E's default float (float32, or float64 under x64).
    assert (half * E)(3).dtype == jax.dtypes.canonicalize_dtype(float)
    with jax.enable_x64(True):
        assert (0.5 * jaxsched.ExponentialDecay(0.1, 10, 0.5))(3).dtype == jnp.float64


# --------------------------------------------------------------------------
# optax


def test_optax_sgd_and_inject_hyperparams_take_a_composition():
    sched = jaxsched.minimum(2.0 * jaxsched.PolynomialDecay(0.0, 10, 0.1), 0.15)
    want = np.minimum(2.0 * ref.polynomial_decay(np.arange(20), 0.0, 10, 0.1), 0.15)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=sched)
    params = jnp.zeros(2)
    state = opt.init(params)

    @jax.jit
    def step(params, state):
        updates, state = opt.update(jnp.ones(2), state, params)
        return optax.apply_updates(params, updates), state, updates

    for t in range(20):
        params, state, updates = step(params, state)
        assert float(state.hyperparams["learning_rate"]) == pytest.approx(
            want[t], abs=1e-7
        )
        assert -float(updates[0]) == pytest.approx(want[t], abs=1e-7)


def test_from_callable_joins_a_composition_under_jit_and_optax():
    closure = optax.warmup_cosine_decay_schedule(0.0, 1.0, 5, 50)
    sched = jaxsched.minimum(0.1 * jaxsched.from_callable(closure), E)
    t = jnp.arange(0, 60)
    want = np.minimum(0.1 * np.asarray(closure(t), np.float64), exp(np.arange(60)))
    assert_close(sched(t), want)
    assert_close(jit_apply(sched, t), want)
    updates, _ = optax.sgd(sched).update(
        jnp.ones(1), optax.sgd(sched).init(jnp.ones(1))
    )
    assert float(updates[0]) == pytest.approx(-want[0], abs=1e-9)
    # An integer-valued function still gives a float rate of the step's shape.
    default = jax.dtypes.canonicalize_dtype(float)
    assert jaxsched.from_callable(lambda step: 1)(t).dtype == default
    assert jaxsched.from_callable(lambda step: 1)(t).shape == t.shape


def test_a_composition_with_a_callable_refuses_to_serialize_or_stack():
    sched = 0.5 * jaxsched.from_callable(optax.constant_schedule(0.1))
    with pytest.raises(TypeError, match="from_callable.*cannot be serialized"):
        jaxsched.serialize(sched)
    with pytest.raises(TypeError, match="LearningRateSchedule subclass"):
        sched.get_config()
    with pytest.raises(
        ValueError, match=r"schedules\[1\]\.schedule wraps a plain function"
    ):
        jaxsched.stack([0.5 * E, sched])


# --------------------------------------------------------------------------
# Errors


BAD = [
    (lambda: jaxsched.Constant("0.1"), TypeError, "value"),
    (lambda: jaxsched.Constant(float("nan")), ValueError, "value"),
    (lambda: E / 0, ValueError, "divisor"),
    (lambda: jaxsched.Quotient(E, float("inf")), ValueError, "divisor"),
    (lambda: jaxsched.Scaled(lambda t: 0.1, 2.0), TypeError, "schedule"),
    (lambda: jaxsched.Scaled(E, True), TypeError, "factor"),
    (lambda: jaxsched.Product([E]), ValueError, "schedules"),
    (lambda: jaxsched.Minimum(E), TypeError, "schedules"),
    (lambda: jaxsched.Maximum([E, 0.1]), TypeError, r"schedules\[1\]"),
    (lambda: jaxsched.from_callable(0.1), TypeError, "fn"),
]


@pytest.mark.parametrize(
    "make, error, arg", BAD, ids=[f"{b[2]}-{i}" for i, b in enumerate(BAD)]
)
def test_bad_input_raises_naming_the_argument(make, error, arg):
    with pytest.raises(error, match=f"`{arg}`"):
        make()


def test_unsupported_operations_raise_type_errors():
    with pytest.raises(TypeError, match="not by a schedule"):
        E / C
    with pytest.raises(TypeError):
        E + C  # no __add__: sum() of schedules would start from the number 0
    with pytest.raises(TypeError):
        2.0 / E
    with pytest.raises(TypeError):
        E * "2"
    with pytest.raises(TypeError, match="minimum"):
        jaxsched.minimum(E, "0.1")
