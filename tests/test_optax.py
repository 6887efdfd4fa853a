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
from cases import EXAMPLES, build

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
    return np.asarray([float(sched(int(t))) for t in steps])


def _run(optimizer, n=N_STEPS):
    """n jitted steps of `optimizer` on f(w) = sum(w) (gradient 1): returns the
    update of each step, the parameter after each step, and the final state."""
    params = jnp.zeros(2)
    state = optimizer.init(params)

    @jax.jit
    def step(params, state):
        grads = jnp.ones_like(params)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, updates

    updates, trajectory = [], []
    for _ in range(n):
        params, state, u = step(params, state)
        updates.append(np.asarray(u[0], np.float64))
        trajectory.append(np.asarray(params[0], np.float64))
    return np.asarray(updates), np.asarray(trajectory), state


@pytest.mark.parametrize("name", NAMES)
def test_sgd_applies_the_schedule_at_each_step(name):
    sched = build(name)
    updates, _, _ = _run(optax.sgd(learning_rate=sched))
    # optax counts from 0: update t is -lr(t) times the gradient 1. Float32
    # rounding of the cosine argument allows ~1e-7 of the peak rate.
    expected = _expected_rates(name, sched)
    np.testing.assert_allclose(-updates, expected, rtol=2e-6, atol=2e-7 * np.abs(expected).max())


@pytest.mark.parametrize("name", NAMES)
def test_adam_with_the_schedule_equals_adam_with_its_values(name):
    sched = build(name)
    table = jnp.asarray(_expected_rates(name, sched), jnp.float32)
    _, ours, _ = _run(optax.adam(sched))
    _, tabulated, _ = _run(optax.adam(lambda count: table[count]))
    np.testing.assert_allclose(ours, tabulated, rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_inject_hyperparams_exposes_the_current_rate(name):
    sched = build(name)
    optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=sched)
    rates = _expected_rates(name, sched)
    for n in (1, 11, 21):
        _, _, state = _run(optimizer, n)
        # after n updates the state holds the rate of the last one, lr(n - 1)
        got = float(state.hyperparams["learning_rate"])
        assert got == pytest.approx(float(rates[n - 1]), rel=2e-6, abs=1e-9)


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
