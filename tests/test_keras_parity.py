"""jaxsched against Keras 3 (JAX backend), step by step.

Keras is the oracle for the six classes it still has. Each case is evaluated
on every boundary (step 0, decay / warmup / restart / piecewise boundaries and
their neighbours, far past the end) and on a dense range of steps, as scalar
and array steps, eagerly and under jit (schedule as argument and captured in
a closure), in float32 and with x64 on.

Keras computes in float32. Where Keras' float32 arithmetic is itself wrong
(its CosineDecayRestarts restart index from ``floor(log(...))`` can be one
period off, and past a t_mul < 1 horizon it returns NaN), the exact reference
of tests/reference.py decides, and the test asserts that it is Keras, not
jaxsched, that is off there.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jaxsched
import reference as ref
from cases import batch

KS = keras.optimizers.schedules

# name, kwargs (Keras' own names), the steps where something happens.
CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5), [10, 20]),
    ("ExponentialDecay", dict(initial_learning_rate=2.5, decay_steps=7, decay_rate=0.96, staircase=True), [7, 14, 21]),
    ("ExponentialDecay", dict(initial_learning_rate=0.01, decay_steps=3, decay_rate=0.8, staircase=True), [3, 6, 9]),
    ("PiecewiseConstantDecay", dict(boundaries=[10, 20, 35], values=[1.0, 0.5, 0.1, 0.01]), [10, 20, 35]),
    ("PiecewiseConstantDecay", dict(boundaries=[5], values=[0.3, 0.2]), [5]),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=30), [30]),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=30, end_learning_rate=0.0, power=0.5), [30]),
    ("PolynomialDecay", dict(initial_learning_rate=1.0, decay_steps=12, end_learning_rate=0.1, power=2.0, cycle=True), [12, 24, 36]),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5), [10, 20]),
    ("InverseTimeDecay", dict(initial_learning_rate=0.3, decay_steps=4, decay_rate=2.0, staircase=True), [4, 8, 12]),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=40), [40]),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=40, alpha=0.1), [40]),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=40, warmup_target=0.2, warmup_steps=10), [10, 50]),
    ("CosineDecay", dict(initial_learning_rate=0.05, decay_steps=25, alpha=0.2, warmup_target=0.1, warmup_steps=6), [6, 31]),
    ("CosineDecay", dict(initial_learning_rate=0.05, decay_steps=25, warmup_target=0.1, warmup_steps=0), [25]),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=10), [10, 30, 70, 150]),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=10, t_mul=1.0, m_mul=0.5, alpha=0.1), [10, 20, 30]),
    ("CosineDecayRestarts", dict(initial_learning_rate=1.0, first_decay_steps=10, t_mul=1.5, m_mul=0.9), [10, 25, 47, 48, 81, 82]),
    ("CosineDecayRestarts", dict(initial_learning_rate=1.0, first_decay_steps=7, t_mul=3.0, m_mul=0.8, alpha=0.05), [7, 28, 91]),
    ("CosineDecayRestarts", dict(initial_learning_rate=1.0, first_decay_steps=8, t_mul=0.75, m_mul=0.9), [8, 14, 18, 19, 32]),
    ("CosineDecayRestarts", dict(initial_learning_rate=1.0, first_decay_steps=10, t_mul=0.5), [10, 15, 18, 19, 20]),
]

REFERENCES = {
    "ExponentialDecay": ref.exponential_decay,
    "PiecewiseConstantDecay": ref.piecewise_constant_decay,
    "PolynomialDecay": ref.polynomial_decay,
    "InverseTimeDecay": ref.inverse_time_decay,
    "CosineDecay": ref.cosine_decay,
    "CosineDecayRestarts": ref.cosine_decay_restarts,
}


def _id(case):
    name, kwargs, _ = case
    return name + "-" + "-".join(f"{k[:6]}={v}" for k, v in kwargs.items() if k != "initial_learning_rate")


def _special_steps(marks):
    steps = {0, 1, 2}
    for b in marks:
        steps.update({b - 1, b, b + 1})
    end = max(marks)
    steps.update({10 * end, 1000 * end, 10**6, 2**31 - 1})
    return sorted(s for s in steps if s >= 0)


# Keras is evaluated on KERAS_STEPS int32 steps, zero-padded: its eager ops
# compile once per shape, so one shape for every case compiles them once.
KERAS_STEPS = 512


def _keras_values(name, kwargs, steps):
    """Keras 3, eager, on int32 steps. The schedule is vmapped over the steps
    (Keras' ops are JAX functions on its JAX backend): elementwise the same
    float32 arithmetic as one call per step, in one pass."""
    sched = getattr(KS, name)(**kwargs)
    padded = np.zeros(KERAS_STEPS, np.int32)
    padded[: len(steps)] = steps
    values = np.asarray(jax.vmap(sched)(jnp.asarray(padded)), np.float64)
    return values[: len(steps)]


def _reference(name, kwargs, steps):
    kwargs = dict(kwargs)
    kwargs.pop("name", None)
    return REFERENCES[name](np.asarray(steps, np.float64), **kwargs)


def _peak(name, kwargs):
    if name == "PiecewiseConstantDecay":
        return max(abs(v) for v in kwargs["values"])
    return max(abs(kwargs["initial_learning_rate"]), abs(kwargs.get("warmup_target") or 0.0))


def _split_keras_errors(keras_values, exact, tol):
    """Mask of steps where Keras' own float32 value is wrong (far from exact)."""
    with np.errstate(invalid="ignore"):
        return ~(np.abs(keras_values - exact) <= tol)


@pytest.fixture(scope="module", params=CASES, ids=[_id(c) for c in CASES])
def case(request):
    name, kwargs, marks = request.param
    special = _special_steps(marks)
    dense = list(range(0, 3 * max(marks) + 5))
    steps = sorted(set(special) | set(dense))
    keras_values = _keras_values(name, kwargs, steps)
    exact = _reference(name, kwargs, steps)
    return name, kwargs, np.asarray(steps), keras_values, exact


def _check(name, kwargs, steps, got, keras_values, exact):
    peak = _peak(name, kwargs)
    tol_abs = 1e-6 * peak
    keras_wrong = _split_keras_errors(keras_values, exact, 1e-5 * peak)
    if name != "CosineDecayRestarts":
        assert not keras_wrong.any(), (
            f"Keras disagrees with the docstring formula at {steps[keras_wrong]}"
        )
    # Everywhere: jaxsched is exact to float32 rounding.
    np.testing.assert_allclose(got, exact, rtol=1e-5, atol=tol_abs)
    # Where Keras is right, jaxsched equals Keras to float32 rounding.
    np.testing.assert_allclose(
        got[~keras_wrong], keras_values[~keras_wrong], rtol=1e-5, atol=tol_abs
    )


def test_array_of_steps_matches_keras(case, call):
    # Keras' float32 semantics (float64, against the exact values at 1e-14:
    # test_precision.py, every config of every class).
    name, kwargs, steps, keras_values, exact = case
    sched = getattr(jaxsched, name)(**kwargs)
    with jax.enable_x64(False):
        got = call(sched, np.asarray(steps, np.int32))  # (shapes: test_pytree.py)
    assert got.dtype == jnp.float32
    _check(name, kwargs, steps, np.asarray(got, np.float64), keras_values, exact)


@pytest.mark.parametrize("make", [int, np.int32, np.int64, float, np.float32, jnp.float32])
def test_scalar_steps_match_keras(case, make):
    """One scalar step at a time, of every type, on the steps where something
    happens (boundaries and their neighbours, far past the end)."""
    name, kwargs, steps, keras_values, exact = case
    sched = getattr(jaxsched, name)(**kwargs)
    marks = next(c[2] for c in CASES if c[0] == name and c[1] is kwargs)
    idx = np.flatnonzero(np.isin(steps, _special_steps(marks)))
    got = np.array([float(sched(make(steps[i]))) for i in idx])
    _check(name, kwargs, steps[idx], got, keras_values[idx], exact[idx])


def test_keras_is_the_one_off_at_restarts():
    """The cases above include restart steps where Keras' float32 restart
    index is wrong or NaN: show that this is Keras' error, so that the
    exclusion in _check is not hiding one of ours."""
    kwargs = dict(initial_learning_rate=1.0, first_decay_steps=8, t_mul=0.75, m_mul=0.9)
    steps = np.array([14, 40])  # a restart boundary; past the horizon 8/(1-0.75)=32
    with jax.enable_x64(False):  # Keras' float32 arithmetic (x64 would widen it)
        keras_values = _keras_values("CosineDecayRestarts", kwargs, steps)
    exact = _reference("CosineDecayRestarts", kwargs, steps)
    # Periods 8, 6, 4.5, ...: step 14 = 8 + 6 starts period 2, value m_mul ** 2.
    assert exact[0] == pytest.approx(0.81)
    assert abs(keras_values[0] - exact[0]) > 0.05  # Keras is one period off
    assert math.isnan(keras_values[1])  # Keras: NaN past the horizon
    ours = np.asarray(jaxsched.CosineDecayRestarts(**kwargs)(steps))
    np.testing.assert_allclose(ours, [0.81, 0.0], atol=1e-6)


@pytest.mark.parametrize(
    "name, kwargs",
    [(c[0], c[1]) for c in CASES if c[0] != "PiecewiseConstantDecay"][:6]
    + [("PiecewiseConstantDecay", CASES[3][1])],
)
def test_keras_reads_our_serialized_config(name, kwargs):
    """JSON configs go both ways: Keras 3 rebuilds our serialize() output."""
    ours = getattr(jaxsched, name)(**kwargs)
    theirs = KS.deserialize(jaxsched.serialize(ours))
    assert type(theirs).__name__ == name
    steps = np.array([0, 5, 10, 25, 100])
    np.testing.assert_allclose(
        np.asarray(jax.vmap(theirs)(jnp.asarray(steps, jnp.int32))),
        batch(ours, steps),
        rtol=1e-6,
    )


@pytest.mark.parametrize("name, kwargs, marks", CASES, ids=[_id(c) for c in CASES])
def test_keras_serialized_configs_load(name, kwargs, marks):
    """Every Keras 3 class, serialized by Keras itself, loads with the same values."""
    theirs = getattr(KS, name)(**kwargs)
    ours = jaxsched.deserialize(KS.serialize(theirs))
    assert type(ours) is getattr(jaxsched, name)
    steps = np.asarray(_special_steps(marks)[:-1])
    keras_values = _keras_values(name, kwargs, steps)
    exact = _reference(name, kwargs, steps)
    _check(name, kwargs, steps, np.asarray(batch(ours, steps), np.float64), keras_values,
           exact)
