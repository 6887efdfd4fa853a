"""Every schedule drives optax unchanged (DESIGN.md §1), and equals optax's
own schedules where the semantics match."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxsched
import reference as ref
from cases import EXAMPLES, STEP_PATHS, batch, build

NAMES = sorted(EXAMPLES)
N_STEPS = 45  # crosses every boundary of the catalog examples

# The Keras classes have an independent reference for what optax must apply.
REFERENCES = {
    "ExponentialDecay": ref.exponential_decay,
    "InverseTimeDecay": ref.inverse_time_decay,
    "PiecewiseConstantDecay": ref.piecewise_constant_decay,
    "PolynomialDecay": ref.polynomial_decay,
    "CosineDecay": ref.cosine_decay,
    "CosineDecayRestarts": ref.cosine_decay_restarts,
    "LinearCosineDecay": ref.linear_cosine_decay,
}


def _expected_rates(name, sched):
    steps = np.arange(N_STEPS)
    if name in REFERENCES:
        return REFERENCES[name](steps, **EXAMPLES[name])
    return np.asarray(batch(sched, steps), np.float64)


def _run(optimizers):
    """N_STEPS updates of each optimizer on f(w) = sum(w) (gradient 1), all in
    one jitted scan (one compilation): per optimizer and step, the update, the
    parameter after it, and the optimizer state's learning rate (None where
    the state holds none)."""

    @jax.jit
    def run():
        def one(optimizer):
            def body(carry, _):
                params, state = carry
                updates, state = optimizer.update(jnp.ones_like(params), state, params)
                params = optax.apply_updates(params, updates)
                rate = getattr(state, "hyperparams", {}).get("learning_rate")
                return (params, state), (updates[0], params[0], rate)

            params = jnp.zeros(2)
            return jax.lax.scan(body, (params, optimizer.init(params)), length=N_STEPS)[1]

        return [one(optimizer) for optimizer in optimizers]

    return [[None if x is None else np.asarray(x, np.float64) for x in out]
            for out in run()]


@pytest.mark.parametrize("name", NAMES)
def test_sgd_adam_and_injected_hyperparameters_apply_the_schedule(name):
    sched = build(name)
    expected = _expected_rates(name, sched)
    table = jnp.asarray(expected, jnp.float32)
    optimizers = [optax.sgd(learning_rate=sched),
                  optax.inject_hyperparams(optax.sgd)(learning_rate=sched)]
    # adam calls a schedule as sgd does (optax.scale_by_learning_rate, the
    # same count): on one row of each way a class consumes the step.
    if name in STEP_PATHS:
        optimizers += [optax.adam(sched), optax.adam(lambda count: table[count])]
    sgd, injected, *adams = _run(optimizers)
    # optax counts from 0: update t is -lr(t) times the gradient 1. Float32
    # rounding of the cosine argument allows ~1e-7 of the peak rate.
    peak = np.abs(expected).max()
    np.testing.assert_allclose(-sgd[0], expected, rtol=2e-6, atol=2e-7 * peak)
    if adams:  # adam with the schedule = adam with its values tabulated
        adam, tabulated = adams
        np.testing.assert_allclose(adam[1], tabulated[1], rtol=2e-5, atol=1e-7)
    # inject_hyperparams: after update t the state holds the rate it applied.
    np.testing.assert_allclose(injected[2], expected, rtol=2e-6, atol=1e-9)
    np.testing.assert_allclose(-injected[0], expected, rtol=2e-6, atol=2e-7 * peak)


# Where the semantics match, optax's own schedule is an independent oracle.
OPTAX_EQUIVALENTS = [
    (
        jaxsched.ExponentialDecay(0.1, 10, 0.5),
        optax.exponential_decay(0.1, transition_steps=10, decay_rate=0.5),
    ),
    (
        jaxsched.ExponentialDecay(0.1, 10, 0.5, staircase=True),
        optax.exponential_decay(0.1, transition_steps=10, decay_rate=0.5, staircase=True),
    ),
    (
        jaxsched.PolynomialDecay(0.1, 30, end_learning_rate=0.01, power=2.0),
        optax.polynomial_schedule(0.1, 0.01, power=2.0, transition_steps=30),
    ),
    (
        jaxsched.CosineDecay(0.1, 30, alpha=0.1),
        optax.cosine_decay_schedule(0.1, decay_steps=30, alpha=0.1),
    ),
    (
        # optax counts its decay_steps from step 0, warmup included.
        jaxsched.CosineDecay(0.0, 30, alpha=0.1, warmup_target=0.2, warmup_steps=10),
        optax.warmup_cosine_decay_schedule(
            0.0, peak_value=0.2, warmup_steps=10, decay_steps=40, end_value=0.02
        ),
    ),
]


@pytest.mark.parametrize("ours, theirs", OPTAX_EQUIVALENTS, ids=lambda x: type(x).__name__)
def test_equals_optax_schedule_where_semantics_match(ours, theirs):
    steps = jnp.arange(0, 100)
    np.testing.assert_allclose(ours(steps), theirs(steps), rtol=2e-6, atol=1e-8)


def test_piecewise_is_not_optax_piecewise():
    """Keras switches after the boundary (step > b); optax's
    piecewise_constant_schedule switches on it (step >= b) and multiplies."""
    ours = jaxsched.PiecewiseConstantDecay([10], [1.0, 0.5])
    theirs = optax.piecewise_constant_schedule(1.0, {10: 0.5})
    assert float(ours(10)) == 1.0 and float(theirs(10)) == 0.5
    assert float(ours(11)) == float(theirs(11)) == 0.5
