"""ExponentialDecay and InverseTimeDecay."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from . import _numerics as nx
from ._checks import check
from ._core import LearningRateSchedule, static_field


def _progress(s, decay_steps, staircase, dtype):
    """step / decay_steps in `dtype`, floored (exactly) when `staircase`."""
    k = nx.as_float(decay_steps, dtype)
    return nx.floor_div(s, k) if staircase else s / k


class ExponentialDecay(LearningRateSchedule):
    """Exponential decay of the learning rate (Keras' ``ExponentialDecay``).

    ::

        lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps)

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``: the
    rate drops at ``step == n * decay_steps`` exactly (also under ``jit``).

    Growth (``decay_rate > 1``, or steps before 0) saturates: where the rate
    would pass the dtype's largest finite value it holds that value (with
    zero gradients), whatever ``initial_learning_rate`` is.

    Args:
        initial_learning_rate: Value at step 0. Sets the result dtype.
        decay_steps: Steps over which the rate is multiplied by ``decay_rate``.
            Must be > 0.
        decay_rate: Factor per ``decay_steps``. Must be > 0 (above 1 the rate
            grows).
        staircase: Decay at discrete intervals.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
        >>> print(f"{float(sched(0)):.4f} {float(sched(100)):.4f} {float(sched(150)):.4f}")
        0.1000 0.0500 0.0354
    """

    initial_learning_rate: ArrayLike
    decay_steps: ArrayLike
    decay_rate: ArrayLike
    staircase: bool = static_field(default=False)
    name: str | None = static_field(default=None)

    def __post_init__(self):
        super().__post_init__()
        check(self, "decay_steps", lambda v: v > 0, "must be > 0")
        check(self, "decay_rate", lambda v: v > 0, "must be > 0")

    @property
    def _plain(self) -> tuple[str, ...] | None:
        # The staircase's exact floor of a traced decay_steps (a sweep)
        # corrects its estimate both ways; steps in [0, 2**mantissa) by an
        # integral decay_steps >= 2 need one correction (nx.floor_div).
        return ("decay_steps",) if self.staircase else None

    _plain_at_least = 2

    def _needs_plain_branch(self, step: jax.Array) -> bool:
        # A decay_steps known while tracing whose quotients floor_div takes
        # with one correction already (integer steps): no second formula.
        dtype = nx.compute_dtype(self._result_dtype())
        with nx.step_floor(step):
            return nx._reciprocals_away(nx.as_float(self.decay_steps, dtype), dtype) is None

    def _rate(self, step: jax.Array, dtype) -> jax.Array:
        lr, rate = nx.cast(dtype, self.initial_learning_rate, self.decay_rate)
        p = _progress(step, self.decay_steps, self.staircase, dtype)
        return nx.scaled_power(lr, rate, p, constant_p=self.staircase)

    def _bound(self, dtype, low):
        # From step 0 on, a rate <= 1 only decays from lr.
        lr, rate = nx.cast(dtype, self.initial_learning_rate, self.decay_rate)
        if low < 0 or not nx.on_host(lr, rate) or np.ndim(lr) or np.ndim(rate) or rate > 1:
            return None
        return abs(float(lr))

    def _finite_rate(self, dtype) -> bool:
        # The power holds the largest finite value where it would overflow:
        # finite for a finite initial_learning_rate (known while tracing).
        return nx.well_inside(dtype, nx.as_float(self.initial_learning_rate, dtype))


class InverseTimeDecay(LearningRateSchedule):
    """Inverse-time decay of the learning rate (Keras' ``InverseTimeDecay``).

    ::

        lr(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps)

    With ``staircase=True``, ``step / decay_steps`` is floored: the rate drops
    at ``step == n * decay_steps`` exactly.

    Negative steps give ``initial_learning_rate``. (Keras extrapolates: the
    rate grows to a pole at ``step = -decay_steps / decay_rate`` and is
    negative beyond it.)

    Args:
        initial_learning_rate: Value at step 0. Sets the result dtype.
        decay_steps: Must be > 0.
        decay_rate: Must be >= 0.
        staircase: Decay at discrete intervals.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)
        >>> print(f"{float(sched(10)):.4f}")
        0.0667
    """

    initial_learning_rate: ArrayLike
    decay_steps: ArrayLike
    decay_rate: ArrayLike
    staircase: bool = static_field(default=False)
    name: str | None = static_field(default=None)

    def __post_init__(self):
        super().__post_init__()
        check(self, "decay_steps", lambda v: v > 0, "must be > 0")
        check(self, "decay_rate", lambda v: v >= 0, "must be >= 0")

    _saturated = True  # |rate| <= |initial_learning_rate|

    def _rate(self, step: jax.Array, dtype) -> jax.Array:
        lr, rate = nx.cast(dtype, self.initial_learning_rate, self.decay_rate)
        # Clipped below: no pole before step 0; above: finite, so that
        # decay_rate = 0 at an infinite step is 0 * max, not 0 * inf = NaN.
        p = jnp.clip(_progress(step, self.decay_steps, self.staircase, dtype), 0,
                     jnp.finfo(dtype).max)
        return lr / (1 + rate * p)
