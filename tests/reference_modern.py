"""NumPy float64 transcriptions of the modern family's peers.

HF transformers (``transformers/optimization.py``) and PyTorch
(``torch/optim/lr_scheduler.py``) cannot be test dependencies, so their
formulas are written out here, plainly, one step at a time, from their
published source. Each function returns the learning rate (the HF lambdas
times the optimizer's rate) at each step of ``steps``; none of them is
jaxsched code. Used by ``tests/test_modern.py``.
"""

from __future__ import annotations

import math

import numpy as np


def _each(fn):
    """Applies a scalar function of the step to every step (float64)."""

    def curve(steps, *args, **kwargs):
        flat = [fn(float(t), *args, **kwargs) for t in np.ravel(steps)]
        return np.asarray(flat, np.float64).reshape(np.shape(steps))

    return curve


@_each
def hf_wsd(
    step,
    lr,
    num_warmup_steps,
    num_decay_steps,
    num_training_steps=None,
    num_stable_steps=None,
    warmup_type="linear",
    decay_type="cosine",
    min_lr_ratio=0.0,
    num_cycles=0.5,
):
    """HF ``get_wsd_schedule`` (its ``_get_wsd_scheduler_lambda``) times lr."""
    if num_stable_steps is None:
        num_stable_steps = num_training_steps - num_warmup_steps - num_decay_steps
    if step < num_warmup_steps:
        progress = step / max(1, num_warmup_steps)
        if warmup_type == "linear":
            factor = progress
        elif warmup_type == "cosine":
            factor = 0.5 * (1.0 - math.cos(math.pi * progress))
        else:  # "1-sqrt"
            factor = 1.0 - math.sqrt(1.0 - progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return lr * max(0.0, factor)
    if step < num_warmup_steps + num_stable_steps:
        return lr * 1.0
    if step < num_warmup_steps + num_stable_steps + num_decay_steps:
        progress = (step - num_warmup_steps - num_stable_steps) / max(
            1, num_decay_steps
        )
        if decay_type == "linear":
            factor = 1.0 - progress
        elif decay_type == "cosine":
            factor = 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * progress))
        else:  # "1-sqrt"
            factor = 1.0 - math.sqrt(progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return lr * max(0.0, factor)
    return lr * min_lr_ratio


@_each
def hf_inverse_sqrt(step, lr, num_warmup_steps, timescale=None):
    """HF ``get_inverse_sqrt_schedule`` times lr."""
    if timescale is None:
        timescale = num_warmup_steps or 10_000
    if step < num_warmup_steps:
        return lr * step / max(1, num_warmup_steps)
    shift = timescale - num_warmup_steps
    return lr * 1.0 / math.sqrt((step + shift) / timescale)


@_each
def transformer(step, d_model, warmup_steps):
    """Vaswani et al. 2017, eq. 3: d^-0.5 * min(step^-0.5, step * warmup^-1.5)."""
    if step == 0:
        return 0.0  # min(inf, 0)
    return d_model**-0.5 * min(step**-0.5, step * warmup_steps**-1.5)


@_each
def t5_rsqrt(step, warmup_steps, scale=1.0):
    """T5X ``constant * rsqrt_decay``: scale / sqrt(max(step, warmup_steps))."""
    return scale / math.sqrt(max(step, warmup_steps))


@_each
def hf_cosine_with_min_lr(
    step,
    lr,
    num_warmup_steps,
    num_training_steps,
    num_cycles=0.5,
    min_lr=None,
    min_lr_rate=None,
):
    """HF ``get_cosine_with_min_lr_schedule_with_warmup`` times lr."""
    if min_lr is not None:
        min_lr_rate = min_lr / lr
    if step < num_warmup_steps:
        return lr * step / max(1, num_warmup_steps)
    progress = (step - num_warmup_steps) / max(1, num_training_steps - num_warmup_steps)
    factor = 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * progress))
    factor = factor * (1 - min_lr_rate) + min_lr_rate
    return lr * max(0, factor)


@_each
def torch_one_cycle(
    step,
    max_lr,
    total_steps,
    pct_start=0.3,
    anneal_strategy="cos",
    div_factor=25.0,
    final_div_factor=1e4,
    three_phase=False,
):
    """PyTorch ``OneCycleLR.get_lr`` at ``last_epoch = step``."""
    if step > total_steps:
        raise ValueError("PyTorch raises past total_steps")
    initial_lr = max_lr / div_factor
    min_lr = initial_lr / final_div_factor
    if three_phase:
        phases = [
            (float(pct_start * total_steps) - 1, initial_lr, max_lr),
            (float(2 * pct_start * total_steps) - 2, max_lr, initial_lr),
            (total_steps - 1, initial_lr, min_lr),
        ]
    else:
        phases = [
            (float(pct_start * total_steps) - 1, initial_lr, max_lr),
            (total_steps - 1, max_lr, min_lr),
        ]
    start_step = 0
    for i, (end_step, start, end) in enumerate(phases):
        if step <= end_step or i == len(phases) - 1:
            pct = (step - start_step) / (end_step - start_step)
            if anneal_strategy == "cos":
                return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
            return (end - start) * pct + start
        start_step = end_step
    raise AssertionError("unreachable")


@_each
def torch_cyclic(
    step,
    base_lr,
    max_lr,
    step_size_up=2000,
    step_size_down=None,
    mode="triangular",
    gamma=1.0,
):
    """PyTorch ``CyclicLR.get_lr`` at ``last_epoch = step``."""
    up = float(step_size_up)
    down = float(step_size_down) if step_size_down is not None else up
    total_size = up + down
    step_ratio = up / total_size
    cycle = math.floor(1 + step / total_size)
    x = 1.0 + step / total_size - cycle
    if x <= step_ratio:
        scale_factor = x / step_ratio
    else:
        scale_factor = (x - 1) / (step_ratio - 1)
    base_height = (max_lr - base_lr) * scale_factor
    if mode == "triangular":
        return base_lr + base_height * 1.0
    if mode == "triangular2":
        return base_lr + base_height * (1 / (2.0 ** (cycle - 1)))
    return base_lr + base_height * gamma**step  # exp_range: per iteration
