"""PolynomialDecay."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from . import _numerics as nx
from ._checks import check
from ._core import LearningRateSchedule, static_field


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay to ``end_learning_rate`` (Keras' ``PolynomialDecay``).

    ::

        step = min(step, decay_steps)
        lr(step) = (initial_learning_rate - end_learning_rate)
                   * (1 - step / decay_steps) ** power + end_learning_rate

    With ``cycle=True``, ``decay_steps`` is replaced by its first multiple not
    below ``step`` (``decay_steps * ceil(step / decay_steps)``, multiplier 1
    at step 0 and before): right after the n-th multiple the rate jumps back
    up to ``end + (initial - end) * (1 / (n + 1)) ** power``, and it reaches
    ``end_learning_rate`` on each multiple (Keras' semantics: not back to
    ``initial_learning_rate``).

    ``1 - step / decay_steps`` is computed as
    ``(decay_steps - step) / decay_steps``, which is exactly 0 at the end also
    under ``jit`` (``power=0.5`` lands on ``end_learning_rate``).

    Args:
        initial_learning_rate: Value at step 0. Sets the result dtype.
        decay_steps: Must be > 0.
        end_learning_rate: Value from ``decay_steps`` on.
        power: Exponent of the polynomial, >= 0.
        cycle: Restart the decay every ``decay_steps``.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.PolynomialDecay(0.1, 100, end_learning_rate=0.01, power=0.5)
        >>> print(f"{float(sched(0)):.4f} {float(sched(75)):.4f} {float(sched(500)):.4f}")
        0.1000 0.0550 0.0100
    """

    initial_learning_rate: ArrayLike
    decay_steps: ArrayLike
    end_learning_rate: ArrayLike = 0.0001
    power: ArrayLike = 1.0
    cycle: bool = static_field(default=False)
    name: str | None = static_field(default=None)

    _nonnegative_form = True  # (no saturation when no step is before 0)

    def _span_bound(self, dtype, low: float | None = None) -> tuple[float, float] | None:
        """Bounds on ``|rate - end_learning_rate|``, well inside the finite
        range, and on ``remaining``, over the steps this call can see (from
        `low` on, by default ``nx.lowest_step()``), where the hyperparameters
        and the lowest step are known while tracing (a captured schedule on
        integer steps); None otherwise."""
        lr, k, end, power = nx.cast(dtype, self.initial_learning_rate, self.decay_steps,
                                    self.end_learning_rate, self.power)
        low = nx.lowest_step() if low is None else low
        if (self.cycle or low is None or not nx.on_host(lr, k, end, power)
                or any(np.ndim(v) for v in (lr, k, end, power)) or power > 64):
            return None  # (a larger power would magnify the roundings past the margin)
        with np.errstate(all="ignore"):  # (float64: the float32 values, exactly)
            k, power = np.float64(k), np.float64(power)
            top = (k - min(low, k)) / k
            bound = abs(np.float64(lr) - np.float64(end)) * top**power  # (inf: None)
        limit = float(np.finfo(dtype).max) / 4  # (margin: float32 rounding)
        return ((float(bound), float(top))
                if bound + abs(float(end)) < limit and top < limit else None)

    def _finite_rate(self, dtype) -> bool:
        return self._span_bound(dtype) is not None

    def _float_step_dtype(self):
        # Without cycles (whose ceil_div may use the integer dtype's range)
        # and without an offset (PolynomialDecayWithOffset's integer shift is
        # exact at any step), the step only as a float; its lowest value
        # through the hint.
        if (self.cycle or self._shifted or not type(self)._own
                or self._result_dtype() is None):
            return None
        return nx.compute_dtype(self._result_dtype())

    def _bound(self, dtype, low):
        span = self._span_bound(dtype, low)
        return None if span is None else span[0] + abs(float(nx.as_float(
            self.end_learning_rate, dtype)))

    def __post_init__(self):
        super().__post_init__()
        check(self, "decay_steps", lambda v: v > 0, "must be > 0")
        check(self, "power", lambda v: v >= 0, "must be >= 0")

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        lr, k, end, power = nx.cast(
            dtype, self.initial_learning_rate, self.decay_steps,
            self.end_learning_rate, self.power,
        )
        if self.cycle:
            cycles = jnp.maximum(nx.ceil_div(s, k), 1)
            # cycles * k - s, the distance to the end of the cycle, from the
            # exact remainder (fmod) rather than as the difference of two
            # large numbers, which float32 loses past 2**24 steps.
            m = jnp.fmod(s, k)
            to_end = nx.where((m == 0) | jnp.isinf(s), 0, k - m)
            remaining = nx.where(s > 0, to_end, k - s) / (cycles * k)
        else:
            s = jnp.minimum(s, k)
            remaining = (k - s) / k
            bounded = self._span_bound(dtype)
            if nx.known_nonnegative() or bounded is not None:
                # remaining in [0, 1], or no step can make it overflow: a
                # plain power, no saturation (two operations per step less).
                # The min (a no-op: twice remaining's largest value) keeps
                # XLA from reassociating the products of the step by
                # constants around a power of 1 (as in nx.scaled_power).
                top = 1.0 if bounded is None else bounded[1]
                remaining = jnp.minimum(remaining, np.asarray(2 * top, remaining.dtype))
                return (lr - end) * nx.safe_pow(remaining, power) + end
        # remaining > 1 before step 0: the extrapolation holds the largest
        # finite value where it would overflow (finite gradients there).
        return nx.scaled_power(lr - end, remaining, power, nx.safe_pow, per_step="base") + end
