"""Independent float64 references for the Keras schedules.

Each function is a plain transcription of the formula in the Keras (or
tf.keras) docstring, evaluated per step in NumPy float64 / Python floats. They
share no code with jaxsched. ``CosineDecayRestarts`` walks the periods one by
one with exact rational arithmetic, instead of inverting the geometric sum
with a logarithm as Keras and jaxsched do, so the restart index it finds is
exact by construction.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np


def _vectorize(fn):
    def wrapped(step, *args, **kwargs):
        steps = np.asarray(step, dtype=np.float64)
        out = [fn(float(s), *args, **kwargs) for s in steps.reshape(-1)]
        return np.asarray(out, dtype=np.float64).reshape(steps.shape)

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


@_vectorize
def exponential_decay(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    p = step / decay_steps
    if staircase:
        p = math.floor(p)
    return initial_learning_rate * decay_rate**p


@_vectorize
def inverse_time_decay(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    p = step / decay_steps
    if staircase:
        p = math.floor(p)
    return initial_learning_rate / (1 + decay_rate * p)


@_vectorize
def piecewise_constant_decay(step, boundaries, values):
    # values[0] for step <= b[0]; values[i] for b[i-1] < step <= b[i]; values[-1] after.
    for b, v in zip(boundaries, values):
        if step <= b:
            return v
    return values[-1]


@_vectorize
def polynomial_decay(
    step, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False
):
    if cycle:
        multiplier = 1.0 if step == 0 else math.ceil(step / decay_steps)
        decay_steps = decay_steps * multiplier
    else:
        step = min(step, decay_steps)
    return (initial_learning_rate - end_learning_rate) * (
        1 - step / decay_steps
    ) ** power + end_learning_rate


@_vectorize
def cosine_decay(
    step, initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0
):
    def decay(s, start_lr):
        s = min(s, decay_steps)
        cosine = 0.5 * (1 + math.cos(math.pi * s / decay_steps))
        return start_lr * ((1 - alpha) * cosine + alpha)

    if warmup_target is None:
        return decay(step, initial_learning_rate)
    step = min(step, decay_steps + warmup_steps)
    if step < warmup_steps:
        return initial_learning_rate + (warmup_target - initial_learning_rate) * (
            step / warmup_steps
        )
    return decay(step - warmup_steps, warmup_target)


def restart_period(step, first_decay_steps, t_mul):
    """(index, start, length) of the SGDR period holding `step`, found by
    walking the periods with exact rationals. None past a t_mul < 1 horizon."""
    s = Fraction(step)
    t = Fraction(t_mul)
    length = Fraction(first_decay_steps)
    start = Fraction(0)
    i = 0
    if t < 1 and s >= Fraction(first_decay_steps) / (1 - t):
        return None
    if t == 1:  # equal periods: the index is an exact integer division
        i = math.floor(s / length)
        return i, i * length, length
    while start + length <= s:
        start += length
        length *= t
        i += 1
    return i, start, length


@_vectorize
def cosine_decay_restarts(
    step, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0
):
    period = restart_period(step, first_decay_steps, t_mul)
    if period is None:  # jaxsched's documented choice past the horizon
        return alpha * initial_learning_rate
    i, start, length = period
    fraction = float((Fraction(step) - start) / length)
    cosine = 0.5 * m_mul**i * (1 + math.cos(math.pi * fraction))
    return initial_learning_rate * ((1 - alpha) * cosine + alpha)


@_vectorize
def linear_cosine_decay(
    step, initial_learning_rate, decay_steps, num_periods=0.5, alpha=0.0, beta=0.001
):
    step = min(step, decay_steps)
    linear = (decay_steps - step) / decay_steps
    cosine = 0.5 * (1 + math.cos(math.pi * 2 * num_periods * step / decay_steps))
    return initial_learning_rate * ((alpha + linear) * cosine + beta)


def noisy_linear_cosine_decay_moments(
    step,
    initial_learning_rate,
    decay_steps,
    initial_variance=1.0,
    variance_decay=0.55,
    num_periods=0.5,
    alpha=0.0,
    beta=0.001,
):
    """(mean, standard deviation) of the noisy schedule's value at `step`.

    decayed = (alpha + linear + eps) * cosine + beta with
    eps ~ N(0, initial_variance / (1 + step) ** variance_decay), step clamped
    to decay_steps, so the value is Gaussian with these two moments.
    """
    s = min(float(step), decay_steps)
    linear = (decay_steps - s) / decay_steps
    cosine = 0.5 * (1 + math.cos(math.pi * 2 * num_periods * s / decay_steps))
    mean = initial_learning_rate * ((alpha + linear) * cosine + beta)
    std = math.sqrt(initial_variance / (1 + s) ** variance_decay)
    return mean, abs(initial_learning_rate * cosine) * std
