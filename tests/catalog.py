"""Every public schedule class with example arguments, for tests that run
over all of them (pytree behaviour, serialization, optax, dtypes).

`STEPS` are the steps worth looking at for each example: 0, the boundaries
and their neighbours, and far past the end. ``test_catalog_covers_every_class``
fails when a public class is added without a row here.
"""

from __future__ import annotations

import jaxsched

EXAMPLES = {
    "ExponentialDecay": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
    "InverseTimeDecay": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5, staircase=True),
    "PiecewiseConstantDecay": dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1]),
    "PolynomialDecay": dict(initial_learning_rate=0.1, decay_steps=30, end_learning_rate=0.01, power=0.5),
    "CosineDecay": dict(initial_learning_rate=0.0, decay_steps=30, alpha=0.1, warmup_target=0.1, warmup_steps=10),
    "CosineDecayRestarts": dict(initial_learning_rate=0.1, first_decay_steps=10, t_mul=1.5, m_mul=0.8, alpha=0.05),
    "LinearCosineDecay": dict(initial_learning_rate=0.1, decay_steps=30, num_periods=2.0, alpha=0.1, beta=0.01),
    "NoisyLinearCosineDecay": dict(initial_learning_rate=0.1, decay_steps=30, initial_variance=0.1, seed=3),
    "ExponentialDecayWithOffset": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5, offset=5),
    "PiecewiseConstantDecayWithOffset": dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1], offset=5),
    "PolynomialDecayWithOffset": dict(initial_learning_rate=0.1, decay_steps=30, end_learning_rate=0.01, offset=5),
    "CosineDecayWithOffset": dict(initial_learning_rate=0.1, decay_steps=30, alpha=0.1, offset=5),
    "LinearWarmup": dict(
        after_warmup_lr_sched=jaxsched.PolynomialDecay(0.1, 40, 0.01),
        warmup_steps=10,
        warmup_learning_rate=0.0,
    ),
    "PolynomialWarmUp": dict(
        after_warmup_lr_sched=jaxsched.CosineDecay(0.1, 40), warmup_steps=10, power=2.0
    ),
    "DirectPowerDecay": dict(initial_learning_rate=0.1, power=-0.5),
    "PowerAndLinearDecay": dict(initial_learning_rate=0.1, total_decay_steps=40, power=-0.5, linear_decay_fraction=0.25),
    "PowerDecayWithOffset": dict(initial_learning_rate=0.1, power=-0.5, offset=10, pre_offset_learning_rate=0.05),
    "StepCosineDecayWithOffset": dict(boundaries=[0, 10, 30], values=[0.1, 0.05, 0.01], offset=0),
    "WithOffset": dict(schedule=jaxsched.ExponentialDecay(0.1, 10, 0.5), offset=5),
    "JoinSchedules": dict(
        schedules=[jaxsched.PolynomialDecay(0.0, 10, 0.1), jaxsched.CosineDecay(0.1, 30)],
        boundaries=[10],
    ),
    "Constant": dict(value=0.1),
    "Scaled": dict(schedule=jaxsched.CosineDecay(0.1, 30), factor=0.5),
    "Quotient": dict(schedule=jaxsched.ExponentialDecay(0.1, 10, 0.5), divisor=4.0),
    "Product": dict(
        schedules=[jaxsched.PolynomialDecay(0.0, 10, 1.0), jaxsched.ExponentialDecay(0.1, 10, 0.5)],
    ),
    "Minimum": dict(
        schedules=[jaxsched.PolynomialDecay(0.0, 20, 0.2), jaxsched.CosineDecay(0.1, 40)],
    ),
    "Maximum": dict(
        schedules=[jaxsched.ExponentialDecay(0.1, 10, 0.5), jaxsched.Constant(0.01)],
    ),
    "WarmupCosineDecay": dict(init_value=0.0, peak_value=0.1, warmup_steps=10, decay_steps=40, end_value=0.01, exponent=1.5),
    "PiecewiseScales": dict(init_value=0.1, boundaries=[10, 20], scales=[0.5, 0.2], interpolate_type="cosine"),
    "WarmupStableDecay": dict(learning_rate=0.1, warmup_steps=10, stable_steps=10, decay_steps=20, warmup_type="cosine", decay_type="1-sqrt", min_lr_ratio=0.1),
    "InverseSqrtDecay": dict(learning_rate=0.1, warmup_steps=10, timescale=5.0),
    "OneCycle": dict(max_lr=0.1, total_steps=40, pct_start=0.25, three_phase=True),
    "Cyclic": dict(base_lr=0.01, max_lr=0.1, step_size_up=5, step_size_down=15, mode="exp_range", gamma=0.99),
}

STEPS = [0, 1, 4, 5, 6, 9, 10, 11, 19, 20, 21, 29, 30, 31, 39, 40, 41, 1000, 10**6]


def build(name, **overrides):
    return getattr(jaxsched, name)(**{**EXAMPLES[name], **overrides})


def public_classes():
    return sorted(
        n
        for n in jaxsched.__all__
        if isinstance(getattr(jaxsched, n), type)
        and issubclass(getattr(jaxsched, n), jaxsched.LearningRateSchedule)
        and getattr(jaxsched, n) is not jaxsched.LearningRateSchedule
    )
