"""TF Model Garden's ``*WithOffset`` variants of four Keras schedules.

Each is a subclass of its Keras-named base class with the base's signature
plus ``offset=0`` (and ``hold_before_offset=False``): the formula, validation
and config are the base's, evaluated at ``step - offset``.
"""

from __future__ import annotations

from jax.typing import ArrayLike

from . import _numerics as nx
from ._core import LearningRateSchedule, static_field
from ._cosine import CosineDecay
from ._exponential import ExponentialDecay
from ._piecewise import PiecewiseConstantDecay
from ._polynomial import PolynomialDecay


class _Offset(LearningRateSchedule):
    """The two fields shared by the ``*WithOffset`` classes; the base class'
    call harness shifts the step (see ``_numerics.shift``).

    Listed before the base class in the bases, so its fields come after the
    base's (Keras' signature, then ``offset``, then ``hold_before_offset``).
    """

    offset: ArrayLike = 0
    hold_before_offset: bool = static_field(default=False)

    _shifted = True


_OFFSET_ARGS = """
        offset: Steps to shift the schedule by: the value at ``step`` is the
            base value at ``step - offset``. A leaf: it can be traced, swept
            with ``vmap`` and differentiated. Kept in the config (Model
            Garden's ``get_config`` loses it).
        hold_before_offset: Before ``offset``, hold the value at ``offset``
            instead of extrapolating the base formula (the default, as Model
            Garden)."""


class ExponentialDecayWithOffset(_Offset, ExponentialDecay):
    __doc__ = f"""``ExponentialDecay`` shifted by ``offset`` steps (TF Model Garden).

    ::

        lr(step) = initial_learning_rate * decay_rate ** ((step - offset) / decay_steps)

    (floored exponent with ``staircase=True``). Before ``offset`` the formula
    is extrapolated, as in Model Garden: the rate is above
    ``initial_learning_rate`` there (for ``decay_rate < 1``). ``staircase=None``
    (Model Garden's config default) is read as ``False``.

    Args:
        initial_learning_rate: Value at ``step == offset``. Sets the result dtype.
        decay_steps: Must be > 0.
        decay_rate: Factor per ``decay_steps``. Must be > 0.
        staircase: Decay at discrete intervals.
        name: Optional name, kept in the config.{_OFFSET_ARGS}

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.ExponentialDecayWithOffset(0.1, 100, 0.5, offset=100)
        >>> print(" ".join(f"{{float(sched(s)):.4f}}" for s in (0, 100, 200)))
        0.2000 0.1000 0.0500
    """

    base_lr_class = ExponentialDecay
    # (No fmod-free staircase branch: the shifted steps reach below 0.)
    _plain = None

    def __post_init__(self):
        if self.staircase is None:
            object.__setattr__(self, "staircase", False)
        super().__post_init__()


class PiecewiseConstantDecayWithOffset(_Offset, PiecewiseConstantDecay):
    __doc__ = f"""``PiecewiseConstantDecay`` shifted by ``offset`` steps (Model Garden).

    ::

        lr(step) = values[0]   if step - offset <= boundaries[0]
                   values[i]   if boundaries[i-1] < step - offset <= boundaries[i]
                   values[-1]  if step - offset > boundaries[-1]

    Keras' convention: a boundary step still gets the value before it.
    Integer steps and offsets shift in integers, so the comparison is exact
    for integer steps of any size.

    Args:
        boundaries: Strictly increasing steps, at least one.
        values: ``len(boundaries) + 1`` learning rates. Their dtype sets the
            result dtype.
        name: Optional name, kept in the config.{_OFFSET_ARGS}

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.PiecewiseConstantDecayWithOffset(
        ...     [100], [1.0, 0.5], offset=50)
        >>> print(" ".join(f"{{float(sched(s)):.1f}}" for s in (0, 150, 151)))
        1.0 1.0 0.5
    """

    base_lr_class = PiecewiseConstantDecay


class PolynomialDecayWithOffset(_Offset, PolynomialDecay):
    __doc__ = f"""``PolynomialDecay`` shifted by ``offset`` steps (TF Model Garden).

    ::

        s = min(step - offset, decay_steps)
        lr(step) = (initial_learning_rate - end_learning_rate)
                   * (1 - s / decay_steps) ** power + end_learning_rate

    Before ``offset`` the formula is extrapolated, as in Model Garden
    (``1 - s / decay_steps > 1``: the rate is above ``initial_learning_rate``).
    With ``cycle=True`` the first cycle is extrapolated there, where Model
    Garden's (Keras') cycle multiplier ``ceil(s / decay_steps)`` is 0 or
    negative and gives inf or NaN.

    Args:
        initial_learning_rate: Value at ``step == offset``. Sets the result dtype.
        decay_steps: Must be > 0.
        end_learning_rate: Value from ``offset + decay_steps`` on.
        power: Exponent of the polynomial, >= 0.
        cycle: Restart the decay every ``decay_steps``.
        name: Optional name, kept in the config.{_OFFSET_ARGS}

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.PolynomialDecayWithOffset(
        ...     0.1, 100, end_learning_rate=0.0, offset=100)
        >>> steps = (50, 100, 150, 200, 900)
        >>> print(" ".join(f"{{float(sched(s)):.3f}}" for s in steps))
        0.150 0.100 0.050 0.000 0.000
    """

    base_lr_class = PolynomialDecay


class CosineDecayWithOffset(_Offset, CosineDecay):
    __doc__ = f"""``CosineDecay`` shifted by ``offset`` steps (TF Model Garden).

    ::

        s = min(step - offset, decay_steps)
        lr(step) = initial_learning_rate * (alpha + (1 - alpha)
                   * 0.5 * (1 + cos(pi * s / decay_steps)))

    With ``warmup_target``, the warmup and decay of ``CosineDecay`` start at
    ``offset``. Before ``offset`` the formula is extrapolated, as in Model
    Garden: the cosine is mirrored (values between the start and the end
    value); a warmup line is continued below ``initial_learning_rate`` (it
    can go negative: use ``hold_before_offset=True`` there).

    Args:
        initial_learning_rate: Value at ``step == offset``. Sets the result dtype.
        decay_steps: Length of the decay. Must be > 0.
        alpha: Final value as a fraction of the decay's start value.
        name: Optional name, kept in the config.
        warmup_target: Value reached at the end of warmup; None for no warmup.
        warmup_steps: Length of the warmup, >= 0.{_OFFSET_ARGS}

    Returns:
        For a scalar or array ``step``, an array of the same shape.

    Example:
        >>> sched = jaxsched.CosineDecayWithOffset(0.1, 100, offset=100)
        >>> print(" ".join(f"{{float(sched(s)):.3f}}" for s in (75, 100, 150, 200)))
        0.085 0.100 0.050 0.000
    """

    base_lr_class = CosineDecay

    def _wrapped_period(self, dtype):
        return nx.as_float(self.decay_steps, dtype)  # (the warmup's line has no wrap)
