"""optax's schedules that no Keras class covers: WarmupCosineDecay and
PiecewiseScales (optax's argument names). ``jaxsched.optax`` builds on them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from . import _numerics as nx
from ._checks import check, check_increasing, fail, to_vector
from ._core import LearningRateSchedule, static_field

_INTERPOLATIONS = ("constant", "linear", "cosine")


class WarmupCosineDecay(LearningRateSchedule):
    """Linear warmup, then cosine decay, stated by the TOTAL number of steps.

    optax's ``warmup_cosine_decay_schedule`` as a pytree, also HF
    transformers' ``get_cosine_with_min_lr_schedule_with_warmup`` (with
    ``init_value=0``, ``peak_value`` the optimizer's rate and ``end_value``
    its ``min_lr``, or ``min_lr_rate * peak_value``). ``decay_steps`` counts
    from step 0, warmup included, as both of them do (Keras' ``CosineDecay``
    counts its ``decay_steps`` after the warmup)::

        lr(step) = init_value + (peak_value - init_value) * step / warmup_steps
                                                       if step < warmup_steps
        t = min(step - warmup_steps, decay_steps - warmup_steps)
        c = 0.5 * (1 + cos(pi * t / (decay_steps - warmup_steps)))
        lr(step) = peak_value * ((1 - alpha) * c ** exponent + alpha)
                                                       otherwise
        alpha = end_value / peak_value   (0 when peak_value == 0, as optax)

    The warmup step ``warmup_steps`` already belongs to the decay (its value
    is ``peak_value``); from ``decay_steps`` on the rate holds
    ``end_value``, as optax (HF's cosine rises again past
    ``num_training_steps``). Before step 0 the rate holds ``init_value``.

    Args:
        init_value: Value at step 0.
        peak_value: Value at the end of the warmup. Sets the result dtype.
        warmup_steps: Length of the warmup, >= 0.
        decay_steps: Total length of the schedule, warmup included; must be
            > ``warmup_steps``.
        end_value: Value from ``decay_steps`` on.
        exponent: Power of the cosine factor (optax's ``exponent``), > 0.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.WarmupCosineDecay(0.0, 0.1, 10, 110, end_value=0.01)
        >>> print(" ".join(f"{float(sched(s)):.4f}" for s in (0, 5, 10, 60, 110)))
        0.0000 0.0500 0.1000 0.0550 0.0100
    """

    init_value: ArrayLike
    peak_value: ArrayLike
    warmup_steps: ArrayLike
    decay_steps: ArrayLike
    end_value: ArrayLike = 0.0
    exponent: ArrayLike = 1.0
    name: str | None = static_field(default=None)

    _dtype_from = "peak_value"

    def __post_init__(self):
        super().__post_init__()
        check(self, "warmup_steps", lambda v: v >= 0, "must be >= 0")
        check(self, "exponent", lambda v: v > 0, "must be > 0")
        w = self.warmup_steps
        if nx.is_concrete(w) and nx.is_concrete(self.decay_steps):
            check(
                self,
                "decay_steps",
                lambda v: v > w,
                f"must be > warmup_steps={w!r} (it counts the warmup too)",
            )

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        init, peak, w, k, end, exponent = nx.cast(
            dtype,
            self.init_value,
            self.peak_value,
            self.warmup_steps,
            self.decay_steps,
            self.end_value,
            self.exponent,
        )
        fraction = jnp.clip(s, 0, w) / nx.safe_divisor(w)
        warm = (init - peak) * (1 - fraction) + peak
        length = k - w
        t = jnp.clip(s - w, 0, length)
        c = nx.half_cosine((length - t) / nx.safe_divisor(length))
        alpha = nx.where(peak == 0, 0, end / nx.safe_divisor(peak))
        decayed = peak * ((1 - alpha) * nx.safe_pow(c, exponent) + alpha)
        return nx.where(s < w, warm, decayed)


class PiecewiseScales(LearningRateSchedule):
    """optax's piecewise schedules: a rate multiplied by scales at boundaries.

    ``optax.piecewise_constant_schedule`` (``interpolate_type="constant"``)
    and ``optax.piecewise_interpolate_schedule`` (``"linear"``, ``"cosine"``)
    as a pytree, with the ``boundaries_and_scales`` dict split into two
    leaves. The rate after boundary ``i`` is ``v[i+1] = init_value *
    scales[0] * ... * scales[i]`` (``v[0] = init_value``)::

        constant:  lr(step) = v[number of boundaries <= step]
        linear:    lr(step) = v[i] + (v[i+1] - v[i]) * pct
        cosine:    lr(step) = v[i+1] + (v[i] - v[i+1]) * 0.5 * (1 + cos(pi * pct))
                   for b[i] <= step < b[i+1], with b = [0] + boundaries and
                   pct = (step - b[i]) / max(b[i+1] - b[i], 1);
                   v[-1] from the last boundary on.

    A boundary step already has the new value (``step >= boundary``; Keras'
    ``PiecewiseConstantDecay`` switches one step later, at ``step >
    boundary``). Before step 0 the interpolating kinds hold ``init_value``
    (optax returns 0 there).

    Args:
        init_value: Value at step 0. Sets the result dtype.
        boundaries: Strictly increasing steps (>= 0 when interpolating).
        scales: One factor >= 0 per boundary.
        interpolate_type: ``"constant"``, ``"linear"`` or ``"cosine"``.
        name: Optional name, kept in the config.

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.PiecewiseScales(1.0, [10, 20], [0.5, 0.1])
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (9, 10, 19, 20)))
        1.00 0.50 0.50 0.05
        >>> sched = jaxsched.PiecewiseScales(1.0, [10], [0.5], "linear")
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (0, 5, 10, 30)))
        1.00 0.75 0.50 0.50
    """

    init_value: ArrayLike
    boundaries: ArrayLike
    scales: ArrayLike
    interpolate_type: str = static_field(default="constant")
    name: str | None = static_field(default=None)

    _dtype_from = "init_value"
    _list_fields = ("boundaries", "scales")

    def __post_init__(self):
        if self.interpolate_type not in _INTERPOLATIONS:
            fail(
                self,
                "interpolate_type",
                f"must be one of {list(_INTERPOLATIONS)}",
                self.interpolate_type,
            )
        to_vector(self, "boundaries")
        to_vector(self, "scales")
        super().__post_init__()
        nb, ns = self.boundaries.shape[-1], self.scales.shape[-1]
        if nb != ns:
            fail(
                self,
                "scales",
                f"must have one factor per boundary: len(scales)={ns}"
                f" must equal len(boundaries) = {nb}",
                self.scales,
            )
        check_increasing(self, "boundaries")
        check(self, "scales", lambda v: v >= 0, "must be >= 0")
        if self.interpolate_type != "constant":
            check(
                self,
                "boundaries",
                lambda v: v >= 0,
                "must be >= 0 (interpolation starts at step 0)",
            )

    def _table(self, dtype):
        """(numpy or jax.numpy, boundaries, the value of each segment)."""
        init, b, scales = nx.cast(dtype, self.init_value, self.boundaries, self.scales)
        # (Tables of a captured schedule: on the host. NumPy's cumulative
        # product multiplies in order, as XLA's reduce window does.)
        xp = np if nx.on_host(init, b, scales) else jnp
        factors = xp.concatenate(
            [xp.broadcast_to(init[..., None], scales.shape[:-1] + (1,)), scales],
            axis=-1,
        )
        with np.errstate(over="ignore"):  # (as in XLA: inf, saturated later)
            return xp, b, xp.cumprod(factors, axis=-1)  # optax's order of products

    def _finite_rate(self, dtype) -> bool:
        # Every rate is a value of the table or between two of them: finite
        # when the table is well inside the range (known while tracing; the
        # difference of two values too), no final clamp. Constant pieces:
        # _rate saturates the table itself (once per configuration, not
        # once per step: a sweep's tables are traced).
        return (self.interpolate_type == "constant"
                or nx.well_inside(dtype, self._table(dtype)[2]))

    def _rate(self, s: jax.Array, dtype) -> jax.Array:
        xp, b, v = self._table(dtype)
        if self.interpolate_type == "constant" and not nx.well_inside(dtype, v):
            v = nx.saturate(v, dtype)  # (every rate is one of its values, or NaN)
        if self.interpolate_type == "constant" and v.ndim == 1 and v.shape[0] <= 16:
            # A few values: a chain of selects on the comparisons (``v[j]``
            # once ``boundaries[j-1] <= step``), no index and no gather. A NaN
            # step compares False everywhere and then gets NaN.
            value = jnp.broadcast_to(v[0], s.shape)
            for j in range(1, v.shape[0]):
                value = nx.where(s >= b[j - 1], v[j], value)
            return nx.where(jnp.isnan(s), jnp.nan, value)
        i = nx.count_below(b, s, strict=False)
        if self.interpolate_type == "constant":
            return nx.where(jnp.isnan(s), jnp.nan, nx.take(v, i))  # NaN step: NaN
        n = b.shape[-1]
        starts = xp.concatenate([xp.zeros_like(b[..., :1]), b], axis=-1)
        nxt = jnp.minimum(i + 1, n)
        start, end = nx.take(starts, i), nx.take(starts, nxt)
        v0, v1 = nx.take(v, i), nx.take(v, nxt)
        pct = jnp.clip((s - start) / jnp.maximum(end - start, 1), 0, 1)
        if self.interpolate_type == "linear":
            return (v1 - v0) * pct + v0
        return v1 + (v0 - v1) * nx.half_cosine(1 - pct)
