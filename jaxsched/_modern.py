"""The modern family: warmup-stable-decay, inverse square root, one-cycle,
cyclic. Each names the peer whose numbers it matches."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from . import _numerics as nx
from ._checks import check, fail
from ._core import LearningRateSchedule, static_field

_SHAPES = ("linear", "cosine", "1-sqrt")


def _check_choice(obj, arg: str, choices: tuple[str, ...]) -> None:
    value = getattr(obj, arg)
    if value not in choices:
        fail(obj, arg, f"must be one of {list(choices)}", value)


def _rise(shape: str, p: jax.Array) -> jax.Array:
    """A warmup factor from 0 (p = 0) to 1 (p = 1) of the given shape."""
    if shape == "linear":
        return p
    if shape == "cosine":
        return nx.half_cosine(p)  # 0.5 * (1 - cos(pi * p))
    return 1 - nx.safe_pow(1 - p, 0.5)  # 1-sqrt: finite grads at p == 1


def _fall(shape: str, p: jax.Array) -> jax.Array:
    """A decay factor from 1 (p = 0) to 0 (p = 1) of the given shape."""
    if shape == "linear":
        return 1 - p
    if shape == "cosine":
        return nx.half_cosine(1 - p)  # 0.5 * (1 + cos(pi * p))
    return 1 - nx.safe_pow(p, 0.5)  # 1-sqrt (Hägele et al. 2024)


def _fraction_or_steps(value, total, arg: str) -> int:
    """Levanter's rule: a value <= 1 is a fraction of `total` (floored), a
    larger one a whole number of steps."""
    if value < 0 or (value > 1 and value % 1 != 0):
        raise ValueError(
            f"WarmupStableDecay.from_total: argument `{arg}` must be a fraction in "
            f"[0, 1] or a whole number of steps. Received: {arg}={value!r}"
        )
    return int(value * total) if value <= 1 else int(value)


def _power(base, p: float):
    """``base(xp) ** p``, in float64 NumPy on the host (a Python float for a
    scalar) when the inputs are concrete, else in jnp (traced)."""
    try:
        value = base(np) ** p
    except jax.errors.TracerArrayConversionError:
        return base(jnp) ** p
    return value.item() if value.ndim == 0 else value


class WarmupStableDecay(LearningRateSchedule):
    """Warmup-stable-decay (WSD, "trapezoid"): HF ``get_wsd_schedule``'s numbers.

    ::

        m = min_lr_ratio
        lr(step) = learning_rate * (m + (1 - m) * rise(step / max(1, warmup_steps)))
                                            if step < warmup_steps
        lr(step) = learning_rate           if step < warmup_steps + stable_steps
        lr(step) = learning_rate * (m + (1 - m) * fall(p)),
                   p = (step - warmup_steps - stable_steps) / max(1, decay_steps)
                                            if step < warmup_steps + stable_steps
                                                      + decay_steps
        lr(step) = learning_rate * m       from then on

    with ``rise(p)`` = ``p`` (linear), ``0.5 * (1 - cos(pi p))`` (cosine) or
    ``1 - sqrt(1 - p)``, and ``fall(p)`` = ``1 - p``, ``0.5 * (1 + cos(pi
    p))`` or ``1 - sqrt(p)`` (the "1-sqrt" cooldown that Hägele et al. 2024,
    *Scaling Laws and Compute-Optimal Training Beyond Fixed Training
    Durations*, recommend). Each phase starts at its first step (``<``), as
    in HF transformers' ``get_wsd_schedule`` (``num_cycles=0.5``, its
    default: a single half cosine). MiniCPM and Levanter configure the same
    shape by fractions of the total: see :meth:`from_total`. Before step 0
    the rate holds its step-0 value.

    Args:
        learning_rate: The peak rate (HF: the optimizer's rate). Sets the
            result dtype.
        warmup_steps: Length of the warmup, >= 0.
        stable_steps: Length of the constant phase, >= 0.
        decay_steps: Length of the decay, >= 0.
        warmup_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        decay_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        min_lr_ratio: Start of the warmup and end of the decay, as a fraction
            of ``learning_rate``.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.WarmupStableDecay(0.1, 10, 70, 20, decay_type="linear")
        >>> print(" ".join(f"{float(sched(s)):.3f}" for s in (0, 5, 10, 79, 90, 100)))
        0.000 0.050 0.100 0.100 0.050 0.000
    """

    learning_rate: ArrayLike
    warmup_steps: ArrayLike
    stable_steps: ArrayLike
    decay_steps: ArrayLike
    warmup_type: str = static_field(default="linear")
    decay_type: str = static_field(default="cosine")
    min_lr_ratio: ArrayLike = 0.0
    name: str | None = static_field(default=None)

    _dtype_from = "learning_rate"

    def __post_init__(self):
        super().__post_init__()
        _check_choice(self, "warmup_type", _SHAPES)
        _check_choice(self, "decay_type", _SHAPES)
        for arg in ("warmup_steps", "stable_steps", "decay_steps", "min_lr_ratio"):
            check(self, arg, lambda v: v >= 0, "must be >= 0")

    @classmethod
    def from_total(
        cls,
        learning_rate: ArrayLike,
        total_steps: int,
        warmup=0.0,
        decay=0.2,
        **options,
    ) -> WarmupStableDecay:
        """WSD by fractions of the total, as Levanter and MiniCPM configure it.

        ``warmup`` and ``decay`` are each a fraction of ``total_steps`` (a
        value <= 1, floored to whole steps: ``int(fraction * total_steps)``)
        or a whole number of steps (a value > 1), Levanter's rule; the stable
        phase is what is left: ``total_steps - warmup_steps - decay_steps``.

        Args:
            learning_rate: The peak rate.
            total_steps: The length of training.
            warmup: Fraction or steps of warmup.
            decay: Fraction or steps of decay (the "cooldown").
            **options: ``warmup_type``, ``decay_type``, ``min_lr_ratio``,
                ``name``.

        Raises:
            ValueError: if a fraction is negative or a step count not whole,
                or warmup and decay exceed ``total_steps``.

        Example:
            >>> sched = jaxsched.WarmupStableDecay.from_total(1.0, 1000, 0.01, 0.2)
            >>> sched.warmup_steps, sched.stable_steps, sched.decay_steps
            (10, 790, 200)
        """
        w = _fraction_or_steps(warmup, total_steps, "warmup")
        d = _fraction_or_steps(decay, total_steps, "decay")
        if w + d > total_steps:
            raise ValueError(
                "WarmupStableDecay.from_total: warmup and decay exceed `total_steps`: "
                f"{w} + {d} > {total_steps}. Received: total_steps={total_steps!r}"
            )
        return cls(learning_rate, w, total_steps - w - d, d, **options)

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        lr, w, st, d, m = nx.cast(
            dtype,
            self.learning_rate,
            self.warmup_steps,
            self.stable_steps,
            self.decay_steps,
            self.min_lr_ratio,
        )
        s = jnp.maximum(s, 0)  # (NaN stays NaN)
        warm = _rise(self.warmup_type, jnp.clip(s / jnp.maximum(w, 1), 0, 1))
        decay_start = w + st
        p = jnp.clip((s - decay_start) / jnp.maximum(d, 1), 0, 1)
        cool = _fall(self.decay_type, p)
        # A NaN step fails every test and takes the warmup, NaN.
        factor = nx.where(
            s >= decay_start + d,
            m,
            nx.where(s >= decay_start, m + (1 - m) * cool,
                     nx.where(s >= w, 1, m + (1 - m) * warm)),
        )
        return lr * factor


class InverseSqrtDecay(LearningRateSchedule):
    """Inverse square root decay after a warmup (HF, Transformer, T5 rsqrt).

    ::

        lr(step) = learning_rate * step / max(1, warmup_steps)
                                          if step < warmup_steps  (linear)
        lr(step) = learning_rate          if step < warmup_steps  (constant)
        lr(step) = learning_rate / sqrt((step + timescale - warmup_steps)
                                        / timescale)   otherwise

    ``timescale=None`` means ``warmup_steps``, or 10 000 without warmup. This
    is HF transformers' ``get_inverse_sqrt_schedule`` (``learning_rate`` the
    optimizer's rate; ``warmup_type="linear"``). With ``timescale ==
    warmup_steps`` the decay is ``learning_rate * sqrt(warmup_steps /
    step)``: :meth:`transformer` gives the schedule of *Attention Is All
    You Need* (``d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)``)
    and :meth:`t5` T5's ``rsqrt`` schedule (``1 / sqrt(max(step,
    warmup))``). Before step 0 the rate holds its step-0 value.

    Args:
        learning_rate: The rate at the end of the warmup. Sets the result
            dtype.
        warmup_steps: Length of the warmup, >= 0.
        timescale: Steps over which the rate falls by ``sqrt(2)`` after the
            warmup, > 0; None for HF's default.
        warmup_type: ``"linear"`` (from 0) or ``"constant"`` (T5).
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.InverseSqrtDecay(0.1, warmup_steps=100)
        >>> print(" ".join(f"{float(sched(s)):.4f}" for s in (0, 50, 100, 400)))
        0.0000 0.0500 0.1000 0.0500
    """

    learning_rate: ArrayLike
    warmup_steps: ArrayLike
    timescale: ArrayLike | None = None
    warmup_type: str = static_field(default="linear")
    name: str | None = static_field(default=None)

    _dtype_from = "learning_rate"
    _saturated = True  # |rate| <= |learning_rate|

    def __post_init__(self):
        super().__post_init__()
        _check_choice(self, "warmup_type", ("linear", "constant"))
        check(self, "warmup_steps", lambda v: v >= 0, "must be >= 0")
        check(self, "timescale", lambda v: v > 0, "must be > 0")

    @classmethod
    def transformer(
        cls, d_model: ArrayLike, warmup_steps: ArrayLike = 4000, name: str | None = None
    ) -> InverseSqrtDecay:
        """The Transformer's schedule (Vaswani et al. 2017, eq. 3)::

            lr(step) = d_model ** -0.5 * min(step ** -0.5, step * warmup_steps ** -1.5)

        Example:
            >>> sched = jaxsched.InverseSqrtDecay.transformer(512, 4000)
            >>> print(f"{float(sched(4000)):.6f} {float(sched(16000)):.6f}")
            0.000699 0.000349
        """
        peak = _power(lambda xp: xp.asarray(d_model, float) * warmup_steps, -0.5)
        return cls(peak, warmup_steps, warmup_steps, "linear", name)

    @classmethod
    def t5(
        cls,
        warmup_steps: ArrayLike = 10_000,
        scale: ArrayLike = 1.0,
        name: str | None = None,
    ) -> InverseSqrtDecay:
        """T5's (T5X's ``constant * rsqrt_decay``) schedule::

            lr(step) = scale / sqrt(max(step, warmup_steps))

        Example:
            >>> sched = jaxsched.InverseSqrtDecay.t5(10_000)
            >>> print(f"{float(sched(0)):.4f} {float(sched(40_000)):.4f}")
            0.0100 0.0050
        """
        peak = scale * _power(lambda xp: xp.asarray(warmup_steps, float), -0.5)
        return cls(peak, warmup_steps, warmup_steps, "constant", name)

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        lr, w = nx.cast(dtype, self.learning_rate, self.warmup_steps)
        if self.timescale is None and nx.on_host(w) and np.ndim(w) == 0:
            ts = np.asarray(w if w > 0 else 10_000, w.dtype)[()]  # (on the host)
        elif self.timescale is None:
            ts = nx.where(w > 0, w, 10_000)
        else:
            ts = nx.as_float(self.timescale, dtype)
        s = jnp.maximum(s, 0)
        if self.warmup_type == "linear":
            warm = s / jnp.maximum(w, 1)
        else:
            warm = jnp.ones_like(s)
        # max(step - w, 0): the branch not taken stays finite (no NaN grads).
        # With the timescale known while tracing (a captured schedule), a
        # multiplication by its reciprocal and XLA's rsqrt instead of a
        # division and a square root (the curve 1.7x -> 1.2x the limit's
        # time); with a traced one (a sweep), the division, whose rsqrt
        # form measured 0.9x -> 1.25x there. Both are 1 at the warmup's end
        # and within 2 float32 roundings of each other elsewhere.
        if nx.on_host(ts, w) and np.ndim(ts) == np.ndim(w) == 0 and w <= ts:
            # Folded further where w <= ts: (s - w) / ts + 1 as
            # s / ts + (1 - w / ts), one op less, both terms >= 0 (no
            # cancellation), exactly 1 at s == w (the constant is 1 minus
            # the product the step makes there, exact or rounding the sum
            # back to 1), and below it held at 1 by the max (the branch not
            # taken: XLA's rsqrt is slower below 1). Curve 1.12-1.23x ->
            # 1.01-1.12x the limit's time in one process (four runs).
            inv = 1 / ts
            decayed = jax.lax.rsqrt(jnp.maximum(s * inv + (1 - w * inv), 1))
        elif nx.on_host(ts):
            decayed = jax.lax.rsqrt(1 + jnp.maximum(s - w, 0) * (1 / ts))
        else:
            decayed = jnp.sqrt(ts / (jnp.maximum(s - w, 0) + ts))
        return lr * nx.where(s < w, warm, decayed)


class OneCycle(LearningRateSchedule):
    """The one-cycle policy, PyTorch ``OneCycleLR``'s learning rates.

    With ``initial = max_lr / div_factor`` and ``min_lr = initial /
    final_div_factor``, the phases end at steps (PyTorch's ``end_step``)::

        two phases:   e1 = pct_start * total_steps - 1,  e2 = total_steps - 1
                      initial -> max_lr -> min_lr
        three_phase:  e1 = pct_start * total_steps - 1,
                      e2 = 2 * pct_start * total_steps - 2, e3 = total_steps - 1
                      initial -> max_lr -> initial -> min_lr

    A step belongs to the first phase ``i`` with ``step <= e_i``; with
    ``pct = (step - e_(i-1)) / (e_i - e_(i-1))`` (``e_0 = 0``) it anneals
    from the phase's start to its end value::

        cos:     end + (start - end) * 0.5 * (1 + cos(pi * pct))
        linear:  start + (end - start) * pct

    Each phase ends exactly on its end value. Past ``total_steps - 1`` the
    rate holds ``min_lr`` (PyTorch raises past ``total_steps`` and
    extrapolates the last phase at ``total_steps``); at ``total_steps - 1``
    itself it is ``min_lr`` unless an earlier phase ends there too (as with
    ``pct_start=1``, where that step is the peak, as in PyTorch). With
    ``three_phase`` and ``pct_start > 1/2`` the second phase ends after
    ``total_steps - 1`` (``e2 > e3``): as in PyTorch, the steps up to
    ``e2`` are in it, and the rate holds ``min_lr`` only past ``e2``.
    Before step 0 it holds ``initial``. Momentum cycling is an optimizer's
    business: not included.

    Args:
        max_lr: The peak rate. Sets the result dtype.
        total_steps: Length of the cycle, > 0.
        pct_start: Fraction of the cycle spent rising, in [0, 1].
        anneal_strategy: ``"cos"`` or ``"linear"``.
        div_factor: ``initial = max_lr / div_factor``, > 0.
        final_div_factor: ``min_lr = initial / final_div_factor``, > 0.
        three_phase: Rise, fall back to ``initial``, then anneal to ``min_lr``.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.OneCycle(1.0, 101, pct_start=0.5, div_factor=10.0,
        ...                           anneal_strategy="linear")
        >>> print(" ".join(f"{float(sched(s)):.4f}" for s in (0, 49.5, 100)))
        0.1000 1.0000 0.0000
    """

    max_lr: ArrayLike
    total_steps: ArrayLike
    pct_start: ArrayLike = 0.3
    anneal_strategy: str = static_field(default="cos")
    div_factor: ArrayLike = 25.0
    final_div_factor: ArrayLike = 1e4
    three_phase: bool = static_field(default=False)
    name: str | None = static_field(default=None)

    _dtype_from = "max_lr"

    def __post_init__(self):
        super().__post_init__()
        _check_choice(self, "anneal_strategy", ("cos", "linear"))
        check(self, "total_steps", lambda v: v > 0, "must be > 0")
        check(self, "pct_start", lambda v: (v >= 0) & (v <= 1), "must be in [0, 1]")
        check(self, "div_factor", lambda v: v > 0, "must be > 0")
        check(self, "final_div_factor", lambda v: v > 0, "must be > 0")

    def _finite_rate(self, dtype) -> bool:
        # Every phase anneals between two of max_lr, its initial and its
        # lowest value: finite where they are well inside the range.
        top, div, final_div = nx.cast(dtype, self.max_lr, self.div_factor,
                                      self.final_div_factor)
        if not nx.on_host(top, div, final_div):
            return False
        initial = top / div
        return nx.well_inside(dtype, top, initial, initial / final_div)

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        top, total, pct_start, div, final_div = nx.cast(
            dtype,
            self.max_lr,
            self.total_steps,
            self.pct_start,
            self.div_factor,
            self.final_div_factor,
        )
        initial = top / div
        low = initial / final_div
        # The rounded product, as on the host (where a captured schedule
        # computes it): a multiply-add would make a phase that should be
        # empty (pct_start * total_steps == 1) one of 1e-8 steps.
        rise = nx.rounded(pct_start * total)
        e1 = rise - 1
        if self.three_phase:
            ends = [e1, 2 * rise - 2, total - 1]
            values = [initial, top, initial, low]
        else:
            ends = [e1, total - 1]
            values = [initial, top, low]
        s = jnp.maximum(s, 0)
        out = jnp.zeros_like(s)  # every step lands in one phase below
        start = jnp.zeros_like(e1)
        taken = jnp.zeros(s.shape, bool)
        for i, end in enumerate(ends):
            last = i == len(ends) - 1
            here = ~taken & ((s <= end) | last)
            length = end - start
            pct = jnp.clip((s - start) / nx.safe_divisor(length), 0, 1)
            pct = nx.where(length > 0, pct, 1)  # an empty phase is over
            # On and past the phase's end exactly 1 (XLA may divide by
            # multiplying with the reciprocal, which can land just below 1).
            pct = nx.where(s >= end, 1, pct)
            a, b = values[i], values[i + 1]
            if self.anneal_strategy == "cos":
                v = b + (a - b) * nx.half_cosine(1 - pct)
            else:  # exact at both ends (no cancellation against a large start)
                v = a * (1 - pct) + b * pct
            out = nx.where(here, v, out)
            taken = taken | here
            start = end
        return out


class Cyclic(LearningRateSchedule):
    """Cyclical learning rates, PyTorch ``CyclicLR``'s learning rates.

    A cycle of ``step_size_up + step_size_down`` steps rises linearly from
    ``base_lr`` to ``max_lr`` over ``step_size_up`` steps and falls back over
    ``step_size_down``; with ``cycle = 1 + floor(step / cycle_length)`` and
    ``q = step - (cycle - 1) * cycle_length``::

        f = q / step_size_up                          if q <= step_size_up
        f = (cycle_length - q) / step_size_down       otherwise
        lr(step) = base_lr + (max_lr - base_lr) * f * scale
        scale = 1                     (triangular)
              = 1 / 2 ** (cycle - 1)  (triangular2: the amplitude halves)
              = gamma ** step         (exp_range)

    (Smith 2017, *Cyclical Learning Rates for Training Neural Networks*.)
    The cycle index is exact at cycle boundaries. Before step 0 the rate
    holds ``base_lr``. Momentum cycling is an optimizer's business: not
    included.

    Args:
        base_lr: The low end of the cycle.
        max_lr: The high end. Sets the result dtype.
        step_size_up: Steps of the rising half, > 0.
        step_size_down: Steps of the falling half, > 0; None for
            ``step_size_up``.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: Factor per step of ``exp_range``, > 0.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.Cyclic(0.1, 1.0, step_size_up=10, mode="triangular2")
        >>> print(" ".join(f"{float(sched(s)):.3f}" for s in (0, 5, 10, 20, 30)))
        0.100 0.550 1.000 0.100 0.550
    """

    base_lr: ArrayLike
    max_lr: ArrayLike
    step_size_up: ArrayLike = 2000
    step_size_down: ArrayLike | None = None
    mode: str = static_field(default="triangular")
    gamma: ArrayLike = 1.0
    name: str | None = static_field(default=None)

    _plain = ("step_size_up", "step_size_down")  # nx.remainder
    _plain_min_steps = 2  # (its fmod is on every step, not only before 0)

    _dtype_from = "max_lr"

    def __post_init__(self):
        super().__post_init__()
        _check_choice(self, "mode", ("triangular", "triangular2", "exp_range"))
        check(self, "step_size_up", lambda v: v > 0, "must be > 0")
        check(self, "step_size_down", lambda v: v > 0, "must be > 0")
        check(self, "gamma", lambda v: v > 0, "must be > 0")

    def _needs_plain_branch(self, step: jax.Array) -> bool:
        # Integer steps by a cycle known while tracing: nx.floor_divmod's
        # split product, exact at every step, without fmod and without the
        # test of every step (a whole curve: 2.4x the limit's time with the
        # test and the branch, 1.3x without).
        dtype = nx.compute_dtype(self._result_dtype())
        _, _, length = self._halves(dtype)
        if not nx.on_host(length):
            return True
        with nx.step_floor(step):
            return nx.exact_pieces(length, dtype) is None

    def _halves(self, dtype) -> tuple:
        """(step_size_up, step_size_down, their sum) in `dtype`."""
        up = nx.as_float(self.step_size_up, dtype)
        down = up if self.step_size_down is None else nx.as_float(self.step_size_down, dtype)
        return up, down, up + down

    def _finite_rate(self, dtype) -> bool:
        # Between base_lr and max_lr (triangular2 halves, exp_range with
        # gamma <= 1 shrinks the amplitude): finite where both are well
        # inside the range (known while tracing).
        base, top, gamma = nx.cast(dtype, self.base_lr, self.max_lr, self.gamma)
        shrinks = self.mode != "exp_range" or (nx.on_host(gamma) and bool(np.all(gamma <= 1)))
        return shrinks and nx.well_inside(dtype, base, top)

    def _finite_test(self) -> jax.Array | None:
        # Swept: base_lr and max_lr within a quarter of the range, and gamma
        # at most 1 for exp_range (a sweep without the clamp: 1.0x the
        # limit's time where the cycle's arithmetic fits in the cache, 1.2x
        # with it).
        dtype = nx.compute_dtype(self._result_dtype())
        base, top, gamma = nx.cast(dtype, self.base_lr, self.max_lr, self.gamma)
        if nx.on_host(base, top, gamma):
            return None  # (_finite_rate decides)
        ok = nx.inside_test(dtype, base, top)
        return ok & jnp.all(gamma <= 1) if self.mode == "exp_range" else ok

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        base, top, gamma = nx.cast(dtype, self.base_lr, self.max_lr, self.gamma)
        up, down, length = self._halves(dtype)
        if not nx.known_nonnegative():  # (the fmod-free branch's steps are)
            s = jnp.maximum(s, 0)
        # cycle - 1, and the position in the cycle as the exact remainder
        # (fmod, or s - done * length where that is exact), not always as
        # the difference, which float32 loses for large steps; an infinite
        # step is at the start of a cycle.
        done, q = nx.floor_divmod(s, length)
        f = nx.where(q <= up, q / up, (length - q) / down)
        if self.mode == "triangular":
            scale = 1
        elif self.mode == "triangular2":
            scale = jnp.exp2(-done)
        else:
            scale = nx.scaled_power(jnp.ones((), dtype), gamma, s,  # gamma ** s, held
                                    nonnegative=True)
        return base + (top - base) * f * scale
