"""The public surface: names, Keras signatures, validation (DESIGN.md §2, §5)."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jaxsched
from cases import ROW_IDS, ROWS, equations

KERAS_CLASSES = [
    "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
    "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
]
CONTRACT = KERAS_CLASSES + [
    "LinearCosineDecay", "NoisyLinearCosineDecay", "LearningRateSchedule",
    "Schedule", "serialize", "deserialize",
]


def test_all_lists_the_contract_and_only_existing_names():
    assert set(CONTRACT) <= set(jaxsched.__all__)
    for name in jaxsched.__all__:
        assert hasattr(jaxsched, name), name
    assert sorted(jaxsched.__all__) == list(jaxsched.__all__)
    assert jaxsched.Schedule is jaxsched.LearningRateSchedule


def _params(cls):
    return [(p.name, p.default) for p in inspect.signature(cls).parameters.values()]


@pytest.mark.parametrize("name", KERAS_CLASSES)
def test_signature_is_keras(name):
    """Keras 3's argument names, order and defaults; `name` defaults to None
    as in Keras 2 (Keras 3 uses the class name, which it also accepts)."""
    ours = _params(getattr(jaxsched, name))
    theirs = _params(getattr(keras.optimizers.schedules, name))
    assert [n for n, _ in ours[: len(theirs)]] == [n for n, _ in theirs]
    for (n, mine), (_, keras_default) in zip(ours, theirs):
        if n == "name":
            assert mine is None
        else:
            assert mine == keras_default, (n, mine, keras_default)


# DESIGN.md §5: concrete bad input raises a ValueError naming argument and value.
BAD = [
    (lambda: jaxsched.ExponentialDecay(0.1, 0, 0.9), "decay_steps", "0"),
    (lambda: jaxsched.InverseTimeDecay(0.1, -3, 0.9), "decay_steps", "-3"),
    (lambda: jaxsched.PolynomialDecay(0.1, -5), "decay_steps", "-5"),
    (lambda: jaxsched.CosineDecay(0.1, 0.0), "decay_steps", "0.0"),
    (lambda: jaxsched.LinearCosineDecay(0.1, 0), "decay_steps", "0"),
    (lambda: jaxsched.CosineDecayRestarts(0.1, 0), "first_decay_steps", "0"),
    (lambda: jaxsched.CosineDecayRestarts(0.1, 10, t_mul=0.0), "t_mul", "0.0"),
    (lambda: jaxsched.CosineDecayRestarts(0.1, 10, t_mul=-2.0), "t_mul", "-2.0"),
    (lambda: jaxsched.PiecewiseConstantDecay([10, 5], [1.0, 0.5, 0.1]), "boundaries", "[10,  5]"),
    (lambda: jaxsched.PiecewiseConstantDecay([10, 10], [1.0, 0.5, 0.1]), "boundaries", "[10, 10]"),
    (lambda: jaxsched.PiecewiseConstantDecay([10], [1.0]), "len(boundaries)=1", "len(values) - 1 = 0"),
    (lambda: jaxsched.CosineDecay(0.0, 100, warmup_target=0.1, warmup_steps=-1), "warmup_steps", "-1"),
    (lambda: jaxsched.ExponentialDecay(float("nan"), 10, 0.5), "initial_learning_rate", "nan"),
    (lambda: jaxsched.CosineDecay(float("inf"), 10), "initial_learning_rate", "inf"),
    (lambda: jaxsched.CosineDecay(0.0, 10, warmup_target=float("inf"), warmup_steps=2), "warmup_target", "inf"),
    (lambda: jaxsched.PiecewiseConstantDecay([10], [1.0, float("nan")]), "values", "nan"),
]


@pytest.mark.parametrize("make, arg, shown", BAD, ids=[f"{b[1]}={b[2]}" for b in BAD])
def test_bad_concrete_input_raises_value_error_naming_it(make, arg, shown):
    with pytest.raises(ValueError) as info:
        make()
    message = str(info.value)
    assert arg in message and shown in message, message


def test_wrong_types_raise_type_error_naming_the_argument():
    for make, arg in [
        (lambda: jaxsched.ExponentialDecay("0.1", 10, 0.5), "initial_learning_rate"),
        (lambda: jaxsched.ExponentialDecay(0.1, None, 0.5), "decay_steps"),
        (lambda: jaxsched.ExponentialDecay(0.1, 10, 0.5, staircase="yes"), "staircase"),
        (lambda: jaxsched.PolynomialDecay(0.1, 10, cycle=1), "cycle"),
        (lambda: jaxsched.CosineDecay(0.1, 10, name=3), "name"),
    ]:
        with pytest.raises(TypeError, match=arg):
            make()


def test_traced_hyperparameters_are_not_concretized():
    """Inside jit/vmap the checks that need values are skipped; nothing
    raises a ConcretizationTypeError."""

    def build_all(lr, steps, t_mul):
        return jnp.stack([
            jaxsched.ExponentialDecay(lr, steps, 0.5)(7),
            jaxsched.PolynomialDecay(lr, steps, cycle=True)(7),
            jaxsched.CosineDecay(0.0, steps, warmup_target=lr, warmup_steps=steps / 2)(7),
            jaxsched.CosineDecayRestarts(lr, steps, t_mul=t_mul)(7),
            jaxsched.PiecewiseConstantDecay(jnp.stack([steps, 2 * steps]), jnp.stack([lr, lr / 2, lr / 4]))(7),
            jaxsched.NoisyLinearCosineDecay(lr, steps, seed=3)(7),
        ])

    out = jax.jit(build_all)(0.1, 10.0, 2.0)
    assert out.shape == (6,) and np.all(np.isfinite(out))
    sweep = jax.vmap(build_all)(jnp.array([0.1, 0.2]), jnp.array([10.0, 5.0]), jnp.array([1.0, 2.0]))
    assert sweep.shape == (2, 6) and np.all(np.isfinite(sweep))


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_formulas_trace_without_nested_jits(row):
    """jnp's functions are jits of their own; jaxsched's formulas trace them
    inline (each nested jit is one more trace on a first call, and one more
    function to lower)."""
    sched = row.build(row.example)
    for steps in (jnp.int32(7), jnp.arange(2**14)):
        jaxpr = jax.make_jaxpr(lambda t: sched(t))(steps).jaxpr
        nested = [eqn.params.get("name", eqn.primitive.name) for eqn in equations(jaxpr)
                  if eqn.primitive.name in ("jit", "pjit", "closed_call")]
        assert nested == []


def test_a_captured_schedules_small_tables_are_constants():
    """Inside the user's jit, a table of a captured schedule (up to 16
    entries, read entry by entry) stays on the host: each entry is a
    constant of the program, not a slice of a constant array; and the
    values are those of the compiled call, whose tables are arguments."""
    sched = jaxsched.StepCosineDecayWithOffset([0, 200, 500, 800], [1.0, 0.5, 0.2, 0.05],
                                               offset=7)
    steps = jnp.asarray([-100, 0, 3, 9, 10, 13, 207, 506, 807, 10**6])
    jaxpr = jax.make_jaxpr(lambda t: sched(t))(steps[0]).jaxpr
    assert not {eqn.primitive.name for eqn in equations(jaxpr)} & {"slice", "squeeze", "gather"}
    np.testing.assert_array_equal(jax.jit(lambda t: sched(t))(steps), sched(steps))


def test_a_captured_piecewise_scales_table_is_computed_on_the_host():
    """PiecewiseScales' values (cumulative products of the scales) of a
    captured schedule are computed on the host, in optax's order: the
    program is a chain of selects on constants, and its values are optax's
    own, bit for bit."""
    import optax

    bounds, scales = [100, 200, 300], [0.5, 0.2, 0.1]
    sched = jaxsched.PiecewiseScales(0.1, bounds, scales)
    steps = jnp.asarray([-5, 0, 99, 100, 101, 199, 200, 299, 300, 301, 10**6])
    jaxpr = jax.make_jaxpr(lambda t: sched(t))(steps[0]).jaxpr
    assert not {eqn.primitive.name for eqn in equations(jaxpr)} & {
        "cumprod", "concatenate", "slice", "clamp"}
    peer = optax.piecewise_constant_schedule(0.1, dict(zip(bounds, scales)))
    np.testing.assert_array_equal(jax.jit(lambda t: sched(t))(steps),
                                  [peer(int(t)) for t in steps])
