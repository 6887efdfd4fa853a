"""Sweeps over every schedule class, with their float64 reference functions.

Shared by test_sweep.py, test_sharding.py, test_grad.py and
test_integration.py. Each sweep is a list of keyword dicts (plain Python
values) that build both the jaxsched schedules and, through
``tests/reference.py``, the expected values: the oracle never sees jaxsched.
"""

from __future__ import annotations

import numpy as np

import jaxsched
import reference

# Class name -> the reference function taking the constructor's keywords.
REFERENCE = {
    "ExponentialDecay": reference.exponential_decay,
    "InverseTimeDecay": reference.inverse_time_decay,
    "PiecewiseConstantDecay": reference.piecewise_constant_decay,
    "PolynomialDecay": reference.polynomial_decay,
    "CosineDecay": reference.cosine_decay,
    "CosineDecayRestarts": reference.cosine_decay_restarts,
    "LinearCosineDecay": reference.linear_cosine_decay,
}

# Class name -> (static options, one dict of hyperparameters per member). The
# members differ in several hyperparameters, not only the initial rate, and
# share some (decay_steps, boundaries) so that stack() keeps those unstacked.
SWEEPS = {
    "ExponentialDecay": (
        {"staircase": True},
        [
            dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
            dict(initial_learning_rate=0.2, decay_steps=10, decay_rate=0.9),
            dict(initial_learning_rate=0.05, decay_steps=10, decay_rate=0.3),
        ],
    ),
    "InverseTimeDecay": (
        {},
        [
            dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
            dict(initial_learning_rate=0.3, decay_steps=7, decay_rate=2.0),
            dict(initial_learning_rate=0.01, decay_steps=100, decay_rate=0.0),
        ],
    ),
    "PiecewiseConstantDecay": (
        {},
        [
            dict(boundaries=[10, 25], values=[1.0, 0.5, 0.1]),
            dict(boundaries=[10, 25], values=[0.3, 0.2, 0.01]),
            dict(boundaries=[10, 25], values=[0.1, 0.1, 0.1]),
        ],
    ),
    "PolynomialDecay": (
        {"cycle": True},
        [
            dict(
                initial_learning_rate=0.1,
                decay_steps=20,
                end_learning_rate=0.01,
                power=1.0,
            ),
            dict(
                initial_learning_rate=0.2,
                decay_steps=20,
                end_learning_rate=0.0,
                power=0.5,
            ),
            dict(
                initial_learning_rate=0.3,
                decay_steps=20,
                end_learning_rate=0.05,
                power=2.0,
            ),
        ],
    ),
    "CosineDecay": (
        {},
        [
            dict(
                initial_learning_rate=0.0,
                decay_steps=30,
                alpha=0.1,
                warmup_target=0.1,
                warmup_steps=0,
            ),
            dict(
                initial_learning_rate=0.0,
                decay_steps=30,
                alpha=0.0,
                warmup_target=0.2,
                warmup_steps=5,
            ),
            dict(
                initial_learning_rate=0.01,
                decay_steps=30,
                alpha=0.5,
                warmup_target=0.05,
                warmup_steps=10,
            ),
        ],
    ),
    "CosineDecayRestarts": (
        {},
        [
            dict(
                initial_learning_rate=0.1,
                first_decay_steps=10,
                t_mul=2.0,
                m_mul=1.0,
                alpha=0.0,
            ),
            dict(
                initial_learning_rate=0.1,
                first_decay_steps=10,
                t_mul=1.0,
                m_mul=0.5,
                alpha=0.1,
            ),
            dict(
                initial_learning_rate=0.2,
                first_decay_steps=10,
                t_mul=0.5,
                m_mul=0.9,
                alpha=0.0,
            ),
            dict(
                initial_learning_rate=0.2,
                first_decay_steps=10,
                t_mul=1.5,
                m_mul=0.0,
                alpha=0.2,
            ),
        ],
    ),
    "LinearCosineDecay": (
        {},
        [
            dict(
                initial_learning_rate=0.1,
                decay_steps=40,
                num_periods=0.5,
                alpha=0.0,
                beta=0.001,
            ),
            dict(
                initial_learning_rate=0.2,
                decay_steps=40,
                num_periods=2.0,
                alpha=0.1,
                beta=0.01,
            ),
            dict(
                initial_learning_rate=0.05,
                decay_steps=40,
                num_periods=1.0,
                alpha=0.0,
                beta=0.0,
            ),
        ],
    ),
}

CLASSES = sorted(SWEEPS)

# Steps that cross staircase, warmup, restart and piecewise boundaries and go
# past the end of every decay.
STEPS = np.array(
    [0, 1, 4, 5, 9, 10, 11, 15, 19.5, 20, 24, 25, 26, 30, 35, 40, 70, 1000]
)


def build(name: str) -> list:
    """The jaxsched schedules of the sweep `name`."""
    static, members = SWEEPS[name]
    cls = getattr(jaxsched, name)
    return [cls(**hp, **static) for hp in members]


def expected(name: str, steps) -> np.ndarray:
    """Reference values, shape (len(members),) + np.shape(steps), float64."""
    static, members = SWEEPS[name]
    return np.stack([REFERENCE[name](steps, **hp, **static) for hp in members])


def tolerance(dtype) -> dict:
    """assert_allclose tolerances for a result of `dtype` against float64."""
    if np.dtype(dtype) == np.float64:
        return dict(rtol=1e-12, atol=1e-15)
    return dict(rtol=2e-6, atol=1e-7)
