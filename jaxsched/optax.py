"""optax's schedule functions, returning jaxsched schedules.

Every schedule function of ``optax.schedules``, under optax's name,
signature and defaults, with optax's values (to float32 rounding), but
returning a jaxsched schedule: a frozen pytree whose hyperparameters are
leaves (``vmap`` over them, ``jax.grad`` through them), that serializes to
JSON and prints its hyperparameters. In a training script::

    import jaxsched.optax as schedules

    sched = schedules.warmup_cosine_decay_schedule(0.0, 3e-4, 500, 10_000)
    opt = optax.adamw(sched)   # unchanged

Where the results differ from optax's, optax is the one that is off, or the
step is outside training (before step 0); each function says where:

* ``exponential_decay(staircase=True)``: optax floors ``count /
  transition_steps`` in float32, which lands one step late at some
  boundaries under ``jit`` (XLA multiplies by the reciprocal); jaxsched
  drops exactly at every multiple.
* ``polynomial_schedule`` with ``power < 1`` (e.g. a square root): under
  ``jit`` optax's ``1 - count / transition_steps`` lands just below 0 at and
  after the end, and its power is NaN; jaxsched ends exactly on
  ``end_value``.
* Before step 0, ``piecewise_interpolate_schedule`` and the one-cycle
  schedules hold ``init_value`` (optax returns 0: the step-0 value too,
  unless a boundary is at step 0), and ``cosine_decay_schedule`` holds
  ``init_value`` (optax extrapolates the cosine).
* ``exponential_decay`` with ``decay_rate > 1`` (growth): where the rate
  would overflow, jaxsched holds float32's largest finite value (0 with
  ``init_value = 0``); optax gives inf, or NaN for
  ``0 * inf``.

Invalid arguments raise a ``ValueError`` naming them where optax would
silently build something else: boundaries out of order, a negative
``decay_rate``, more boundaries than ``join_schedules`` can use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from jax.typing import ArrayLike

from ._arith import Constant, Maximum, Minimum, from_callable
from ._compose import JoinSchedules, WithOffset
from ._core import LearningRateSchedule
from ._exponential import ExponentialDecay
from ._numerics import is_concrete
from ._optax_family import PiecewiseScales, WarmupCosineDecay
from ._polynomial import PolynomialDecay

__all__ = [
    "constant_schedule",
    "cosine_decay_schedule",
    "cosine_onecycle_schedule",
    "exponential_decay",
    "join_schedules",
    "linear_onecycle_schedule",
    "linear_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "polynomial_schedule",
    "sgdr_schedule",
    "warmup_constant_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
]


def _known(*values: Any) -> bool:
    return all(is_concrete(v) for v in values)


def constant_schedule(value: ArrayLike) -> LearningRateSchedule:
    """A constant schedule: :class:`jaxsched.Constant`.

    Args:
        value: The rate.

    Returns:
        ``Constant(value)``: ``value`` at every step, in the step's shape.

    Example:
        >>> import jaxsched.optax as schedules
        >>> print(f"{float(schedules.constant_schedule(0.1)(7)):.2f}")
        0.10
    """
    return Constant(value)


def polynomial_schedule(
    init_value: ArrayLike,
    end_value: ArrayLike,
    power: ArrayLike,
    transition_steps: int,
    transition_begin: int = 0,
) -> LearningRateSchedule:
    """Polynomial from ``init_value`` to ``end_value`` (optax's formula).

    ::

        t = clip(step - transition_begin, 0, transition_steps)
        lr(step) = (init_value - end_value) * (1 - t / transition_steps) ** power
                   + end_value

    As optax: ``transition_steps <= 0`` gives the constant ``init_value``, a
    negative ``transition_begin`` counts as 0. Unlike optax under ``jit``
    (NaN from the end on for ``power < 1``), the end is exactly
    ``end_value``.

    Returns:
        ``WithOffset(PolynomialDecay(init_value, transition_steps, end_value,
        power), transition_begin, hold_before_offset=True)``.

    Example:
        >>> import jaxsched.optax as schedules
        >>> sched = schedules.polynomial_schedule(1.0, 0.0, 2, 10, transition_begin=5)
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (0, 5, 10, 15, 99)))
        1.00 1.00 0.25 0.00 0.00
    """
    if _known(transition_steps) and transition_steps <= 0:
        return Constant(init_value)
    if _known(transition_begin) and transition_begin < 0:
        transition_begin = 0
    decay = PolynomialDecay(init_value, transition_steps, end_value, power)
    return WithOffset(decay, transition_begin, hold_before_offset=True)


def linear_schedule(
    init_value: ArrayLike,
    end_value: ArrayLike,
    transition_steps: int,
    transition_begin: int = 0,
) -> LearningRateSchedule:
    """Linear from ``init_value`` to ``end_value``: :func:`polynomial_schedule`
    with ``power=1``.

    Example:
        >>> import jaxsched.optax as schedules
        >>> sched = schedules.linear_schedule(0.0, 0.1, 10)
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (0, 5, 10, 20)))
        0.00 0.05 0.10 0.10
    """
    return polynomial_schedule(
        init_value, end_value, 1, transition_steps, transition_begin
    )


def exponential_decay(
    init_value: ArrayLike,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: ArrayLike | None = None,
) -> LearningRateSchedule:
    """Exponential decay after ``transition_begin`` steps (optax's formula).

    ::

        lr(step) = init_value                  if step <= transition_begin
        lr(step) = init_value * decay_rate ** ((step - transition_begin)
                                               / transition_steps)   otherwise

    with the exponent floored when ``staircase``, and then bounded by
    ``end_value`` (a floor when ``decay_rate < 1``, a ceiling otherwise).
    As optax: ``transition_steps <= 0`` or ``decay_rate == 0`` give the
    constant ``init_value``, a negative ``transition_begin`` counts as 0.

    Unlike optax, the staircase drops exactly at every multiple of
    ``transition_steps`` (optax's float32 ``floor(count / transition_steps)``
    lands one step late at some of them under ``jit``), and a negative
    ``decay_rate`` raises a ``ValueError`` (optax gives NaN). With
    ``end_value``, ``decay_rate`` must be concrete (it picks floor or
    ceiling), as in optax.

    Returns:
        ``WithOffset(ExponentialDecay(...), transition_begin,
        hold_before_offset=True)``, inside ``Maximum``/``Minimum`` with
        ``Constant(end_value)`` when ``end_value`` is given.

    Example:
        >>> import jaxsched.optax as schedules
        >>> sched = schedules.exponential_decay(1.0, 10, 0.5, end_value=0.2)
        >>> print(" ".join(f"{float(sched(s)):.3f}" for s in (0, 10, 20, 30)))
        1.000 0.500 0.250 0.200
    """
    if _known(transition_steps) and transition_steps <= 0:
        return Constant(init_value)
    if _known(decay_rate) and decay_rate == 0:
        return Constant(init_value)
    if _known(transition_begin) and transition_begin < 0:
        transition_begin = 0
    decay = ExponentialDecay(init_value, transition_steps, decay_rate, staircase)
    sched = WithOffset(decay, transition_begin, hold_before_offset=True)
    if end_value is None:
        return sched
    if not _known(decay_rate):
        raise TypeError(
            "exponential_decay: with `end_value`, argument `decay_rate` must be "
            "concrete (it decides whether end_value is a floor or a ceiling), as "
            f"in optax. Received: decay_rate={decay_rate!r}"
        )
    bound = Maximum if decay_rate < 1 else Minimum
    return bound((sched, Constant(end_value)))


def cosine_decay_schedule(
    init_value: ArrayLike,
    decay_steps: int,
    alpha: ArrayLike = 0.0,
    exponent: ArrayLike = 1.0,
) -> LearningRateSchedule:
    """Cosine decay over ``decay_steps`` (optax's formula, with ``exponent``).

    ::

        t = min(step, decay_steps)
        lr(step) = init_value * ((1 - alpha) * (0.5 * (1 + cos(pi * t / decay_steps)))
                   ** exponent + alpha)

    Before step 0 the rate holds ``init_value`` (optax extrapolates the
    cosine).

    Returns:
        ``WarmupCosineDecay(init_value, init_value, 0, decay_steps,
        alpha * init_value, exponent)``.

    Raises:
        ValueError: for ``decay_steps <= 0``, as optax.

    Example:
        >>> import jaxsched.optax as schedules
        >>> sched = schedules.cosine_decay_schedule(1.0, 100, alpha=0.1)
        >>> print(" ".join(f"{float(sched(s)):.3f}" for s in (0, 50, 100, 200)))
        1.000 0.550 0.100 0.100
    """
    return WarmupCosineDecay(
        init_value, init_value, 0, decay_steps, alpha * init_value, exponent
    )


def warmup_constant_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: int,
) -> LearningRateSchedule:
    """Linear warmup to ``peak_value``, then constant: :func:`linear_schedule`.

    Example:
        >>> import jaxsched.optax as schedules
        >>> sched = schedules.warmup_constant_schedule(0.0, 1.0, 4)
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (0, 2, 4, 400)))
        0.00 0.50 1.00 1.00
    """
    return linear_schedule(init_value, peak_value, warmup_steps)


def warmup_cosine_decay_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: int,
    decay_steps: int,
    end_value: ArrayLike = 0.0,
    exponent: ArrayLike = 1.0,
) -> LearningRateSchedule:
    """Linear warmup, then cosine decay; ``decay_steps`` is the TOTAL length.

    Returns:
        :class:`jaxsched.WarmupCosineDecay` with the same arguments (its
        docstring has the formula).

    Raises:
        ValueError: for ``decay_steps <= warmup_steps``, as optax.

    Example:
        >>> import jaxsched.optax as schedules
        >>> sched = schedules.warmup_cosine_decay_schedule(0.0, 1.0, 10, 110)
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (0, 5, 10, 60, 110)))
        0.00 0.50 1.00 0.50 0.00
    """
    return WarmupCosineDecay(
        init_value, peak_value, warmup_steps, decay_steps, end_value, exponent
    )


def warmup_exponential_decay_schedule(
    init_value: ArrayLike,
    peak_value: ArrayLike,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: ArrayLike,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: ArrayLike | None = None,
) -> LearningRateSchedule:
    """Linear warmup, then :func:`exponential_decay` from ``peak_value``.

    Returns:
        ``JoinSchedules([linear_schedule(init_value, peak_value,
        warmup_steps), exponential_decay(peak_value, ...)], [warmup_steps])``.

    Example:
        >>> import jaxsched.optax as schedules
        >>> sched = schedules.warmup_exponential_decay_schedule(0.0, 1.0, 10, 10, 0.5)
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (0, 5, 10, 20, 30)))
        0.00 0.50 1.00 0.50 0.25
    """
    return JoinSchedules(
        [
            linear_schedule(init_value, peak_value, warmup_steps),
            exponential_decay(
                peak_value,
                transition_steps,
                decay_rate,
                transition_begin,
                staircase,
                end_value,
            ),
        ],
        [warmup_steps],
    )


def _split(boundaries_and_scales: dict | None, caller: str):
    """(boundaries, scales) in order of the boundaries, or None if empty."""
    if boundaries_and_scales is None or len(boundaries_and_scales) == 0:
        return None
    if not isinstance(boundaries_and_scales, dict):
        raise TypeError(
            f"{caller}: argument `boundaries_and_scales` must be a dict from steps "
            f"to scales. Received: boundaries_and_scales={boundaries_and_scales!r}"
        )
    items = sorted(boundaries_and_scales.items())
    return [b for b, _ in items], [s for _, s in items]


def piecewise_constant_schedule(
    init_value: ArrayLike,
    boundaries_and_scales: dict[int, float] | None = None,
) -> LearningRateSchedule:
    """``init_value`` multiplied by each scale from its boundary on.

    ``lr(step) = init_value * product of the scales whose boundary <= step``
    (a boundary step has the new value; Keras' ``PiecewiseConstantDecay``
    switches one step later).

    Returns:
        :class:`jaxsched.PiecewiseScales`, or ``Constant(init_value)``
        without boundaries.

    Raises:
        ValueError: for a negative scale, as optax.

    Example:
        >>> import jaxsched.optax as schedules
        >>> sched = schedules.piecewise_constant_schedule(1.0, {10: 0.5, 20: 0.5})
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (9, 10, 20)))
        1.00 0.50 0.25
    """
    split = _split(boundaries_and_scales, "piecewise_constant_schedule")
    if split is None:
        return Constant(init_value)
    return PiecewiseScales(init_value, *split)


def piecewise_interpolate_schedule(
    interpolate_type: str,
    init_value: ArrayLike,
    boundaries_and_scales: dict[int, float] | None = None,
) -> LearningRateSchedule:
    """Interpolates (``"linear"`` or ``"cosine"``) between the values of
    :func:`piecewise_constant_schedule`, reaching each at its boundary.

    Before step 0 the rate holds ``init_value`` (optax returns 0).

    Returns:
        :class:`jaxsched.PiecewiseScales` with ``interpolate_type``, or
        ``Constant(init_value)`` without boundaries.

    Raises:
        ValueError: for another ``interpolate_type`` or a negative scale, as
            optax, and for a negative boundary.

    Example:
        >>> import jaxsched.optax as schedules
        >>> sched = schedules.piecewise_interpolate_schedule("linear", 1.0, {10: 0.5})
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (0, 5, 10, 20)))
        1.00 0.75 0.50 0.50
    """
    if interpolate_type not in ("linear", "cosine"):
        raise ValueError(
            "piecewise_interpolate_schedule: argument `interpolate_type` must be "
            f"'linear' or 'cosine'. Received: interpolate_type={interpolate_type!r}"
        )
    split = _split(boundaries_and_scales, "piecewise_interpolate_schedule")
    if split is None:
        return Constant(init_value)
    return PiecewiseScales(init_value, *split, interpolate_type=interpolate_type)


def _onecycle(
    caller: str,
    transition_steps: int,
    points: dict,
    interpolate: str,
    peak_value: ArrayLike,
    div_factor: float,
) -> LearningRateSchedule:
    if transition_steps <= 0:
        raise ValueError(
            f"{caller}: argument `transition_steps` must be > 0. "
            f"Received: transition_steps={transition_steps!r}"
        )
    return piecewise_interpolate_schedule(interpolate, peak_value / div_factor, points)


def linear_onecycle_schedule(
    transition_steps: int,
    peak_value: ArrayLike,
    pct_start: float = 0.3,
    pct_final: float = 0.85,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> LearningRateSchedule:
    """optax's linear one-cycle: up to ``peak_value``, back down, then to
    ``peak_value / (div_factor * final_div_factor)``, linearly.

    The boundaries are optax's: ``int(pct_start * transition_steps)``,
    ``int(pct_final * transition_steps)`` and ``transition_steps``
    (``transition_steps`` must be concrete). For PyTorch's ``OneCycleLR``
    use :class:`jaxsched.OneCycle`.

    Returns:
        :class:`jaxsched.PiecewiseScales` (``"linear"``).

    Example:
        >>> import jaxsched.optax as schedules
        >>> sched = schedules.linear_onecycle_schedule(100, 1.0)
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (0, 30, 85, 100)))
        0.04 1.00 0.04 0.00
    """
    points = {
        int(pct_start * transition_steps): div_factor,
        int(pct_final * transition_steps): 1.0 / div_factor,
        transition_steps: 1.0 / final_div_factor,
    }
    return _onecycle(
        "linear_onecycle_schedule",
        transition_steps,
        points,
        "linear",
        peak_value,
        div_factor,
    )


def cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: ArrayLike,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> LearningRateSchedule:
    """optax's cosine one-cycle: up to ``peak_value``, then down to
    ``peak_value / (div_factor * final_div_factor)``, by half cosines.

    The boundaries are optax's: ``int(pct_start * transition_steps)`` and
    ``transition_steps`` (which must be concrete). For PyTorch's
    ``OneCycleLR`` use :class:`jaxsched.OneCycle`.

    Returns:
        :class:`jaxsched.PiecewiseScales` (``"cosine"``).

    Example:
        >>> import jaxsched.optax as schedules
        >>> sched = schedules.cosine_onecycle_schedule(100, 1.0)
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (0, 30, 65, 100)))
        0.04 1.00 0.50 0.00
    """
    points = {
        int(pct_start * transition_steps): div_factor,
        int(transition_steps): 1.0 / (div_factor * final_div_factor),
    }
    return _onecycle(
        "cosine_onecycle_schedule",
        transition_steps,
        points,
        "cosine",
        peak_value,
        div_factor,
    )


def join_schedules(
    schedules: Sequence[Callable[[ArrayLike], ArrayLike]],
    boundaries: Sequence[int],
) -> LearningRateSchedule:
    """Schedules one after the other, each from its own step 0 at its boundary.

    Plain functions (optax closures) are wrapped by
    :func:`jaxsched.from_callable`: the join then works under ``jit`` and in
    optax but cannot be serialized.

    Returns:
        :class:`jaxsched.JoinSchedules`, or the only schedule when there is
        one and no boundary.

    Raises:
        ValueError: unless ``len(boundaries) == len(schedules) - 1`` and the
            boundaries increase (optax silently drops the extra schedules).

    Example:
        >>> import jaxsched.optax as schedules
        >>> warmup = schedules.linear_schedule(0.0, 1.0, 10)
        >>> sched = schedules.join_schedules(
        ...     [warmup, schedules.constant_schedule(0.5)], [10])
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (0, 5, 9, 10)))
        0.00 0.50 0.90 0.50
    """
    schedules = [from_callable(s) for s in schedules]
    if len(schedules) == 1 and len(boundaries) == 0:
        return schedules[0]
    return JoinSchedules(schedules, list(boundaries))


def sgdr_schedule(
    cosine_kwargs: Iterable[dict[str, ArrayLike]],
) -> LearningRateSchedule:
    """Warm restarts: :func:`warmup_cosine_decay_schedule` runs, one after the
    other (each runs its own ``decay_steps``).

    Returns:
        :class:`jaxsched.JoinSchedules` of :class:`jaxsched.WarmupCosineDecay`
        (or the one schedule).

    Example:
        >>> import jaxsched.optax as schedules
        >>> run = dict(init_value=0.0, peak_value=1.0, warmup_steps=2, decay_steps=10)
        >>> sched = schedules.sgdr_schedule([run, run])
        >>> print(" ".join(f"{float(sched(s)):.2f}" for s in (0, 2, 10, 12)))
        0.00 1.00 0.00 1.00
    """
    parts, boundaries, step = [], [], 0
    for kwargs in cosine_kwargs:
        parts.append(warmup_cosine_decay_schedule(**kwargs))
        step = step + kwargs["decay_steps"]
        boundaries.append(step)
    return join_schedules(parts, boundaries[:-1])
