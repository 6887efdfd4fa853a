"""``jaxsched.plot``: learning-rate curves with matplotlib (an optional extra).

matplotlib is imported when :func:`plot` is called, never when jaxsched is:
without it, ``plot`` raises an ImportError naming the ``plot`` extra.

The markers come from the hyperparameters, by name, for every class (a new
class gets them by naming its fields as the others do): the end of a warmup
(``warmup_steps``), the end of a decay (``decay_steps``,
``total_decay_steps``, kept only where the curve really turns flat there),
``boundaries``, staircase steps and cycles (multiples of ``decay_steps``
with ``staircase`` / ``cycle``), restarts (``first_decay_steps`` and
``t_mul``) and offsets (``offset``); nested schedules contribute theirs,
shifted where their parent shifts them.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import jax
import numpy as np

__all__ = ["plot"]

# Dense integer steps up to this many; beyond, this many samples plus the
# marked steps and their neighbours.
_SAMPLES = 4001
# A kind with more markers than this in range is not marked (dense stairs
# are visible without them).
_MAX_MARKS = 40
# kind -> matplotlib marker, in priority order (one marker per step).
MARKERS = {
    "warmup end": "^",
    "restart": "o",
    "boundary": "s",
    "decay end": "v",
    "offset": "D",
}
_LABEL_CHARS = 100


def _matplotlib():
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            "jaxsched.plot needs matplotlib, which is an optional extra: "
            'pip install "jaxsched[plot]" (or pip install matplotlib).'
        ) from exc
    return matplotlib


def plot(
    schedule_or_list: Any,
    steps: int | Sequence[float] | np.ndarray,
    ax: Any = None,
    *,
    labels: Sequence[str] | None = None,
    log: bool = False,
    marks: bool = True,
) -> Any:
    """Plots learning-rate curves on matplotlib axes and returns the axes.

    Args:
        schedule_or_list: A schedule, or a list of schedules (one curve
            each). A stacked (batched) schedule draws one curve per member.
        steps: ``N`` for the steps 0 to N (every integer step up to 4000
            of them, else 4001 samples plus the marked steps), or the steps
            themselves (an array).
        ax: matplotlib axes to draw on; None for a new figure
            (``matplotlib.pyplot.subplots()``).
        labels: One legend label per schedule; default: the schedule's
            ``repr``, shortened.
        log: Logarithmic learning-rate axis (non-positive values are left
            out).
        marks: Markers at the end of warmup, the end of decay, boundaries,
            restarts and offsets, where the schedule has them.

    Returns:
        The matplotlib axes.

    Raises:
        ImportError: without matplotlib (``pip install "jaxsched[plot]"``).
        ValueError: for ``steps`` that are not a non-negative integer or a
            non-empty array of finite steps, or labels of the wrong length.
        TypeError: for something that is not a schedule.

    Example:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> sched = jaxsched.CosineDecay(0.0, 900, warmup_target=0.1, warmup_steps=100)
        >>> ax = jaxsched.plot(sched, 1000)
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('step', 'learning rate')
    """
    from ._core import LearningRateSchedule

    schedules = (
        list(schedule_or_list)
        if isinstance(schedule_or_list, (list, tuple))
        else [schedule_or_list]
    )
    if not schedules:
        raise ValueError("plot: `schedule_or_list` must hold at least one schedule.")
    for i, s in enumerate(schedules):
        if not isinstance(s, LearningRateSchedule):
            raise TypeError(
                "plot: expected jaxsched schedules. "
                f"Received: schedule_or_list[{i}]={s!r}"
            )
    if labels is None:
        labels = [_label(s) for s in schedules]
    elif len(labels) != len(schedules):
        raise ValueError(
            f"plot: `labels` must have one label per schedule: len(labels)="
            f"{len(labels)} must equal {len(schedules)}. Received: labels={labels!r}"
        )
    base, horizon = _steps(steps)
    _matplotlib()
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    used_kinds = []
    for sched, label in zip(schedules, labels):
        batch = tuple(jax.eval_shape(lambda s: s(0), sched).shape)
        events = _checked(sched, _events(sched, horizon), horizon) if (
            marks and not batch) else []
        x = base
        if np.ndim(steps) == 0:  # add the marked steps and their neighbours
            x = np.union1d(base, _around([t for t, _ in events], horizon))
        y = _evaluate(sched, x, batch)
        if batch:
            for j in range(y.shape[1]):
                ax.plot(x, y[:, j], lw=1.2, label=f"{label}[{j}]")
            continue
        (line,) = ax.plot(x, y, lw=1.6, label=label)
        for kind in MARKERS:
            at = np.array([t for t, k in events if k == kind], dtype=float)
            value = _evaluate(sched, at, ())
            if log:  # (a log axis leaves out rates <= 0)
                at, value = at[value > 0], value[value > 0]
            if at.size:
                ax.plot(at, value, linestyle="none", color=line.get_color(),
                        marker=MARKERS[kind], markersize=6, markerfacecolor="none",
                        markeredgecolor=line.get_color(), markeredgewidth=1.3)
                if kind not in used_kinds:
                    used_kinds.append(kind)
    _decorate(ax, schedules, labels, used_kinds, log)
    return ax


def _label(schedule: Any) -> str:
    text = repr(schedule)
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 3] + "..."


def _steps(steps: Any) -> tuple[np.ndarray, float]:
    """(the steps to sample, the last step)."""
    if np.ndim(steps) == 0:
        n = steps
        if isinstance(n, (bool, np.bool_)) or not float(n).is_integer() or n < 1:
            raise ValueError(
                f"plot: `steps` must be a positive integer (the last step) or an "
                f"array of steps. Received: steps={steps!r}"
            )
        n = int(n)
        if n + 1 <= _SAMPLES:
            return np.arange(n + 1, dtype=np.int64), float(n)
        return np.unique(np.round(np.linspace(0, n, _SAMPLES))).astype(np.int64), float(n)
    array = np.asarray(steps)
    if array.size == 0 or array.ndim != 1 or not np.all(np.isfinite(array)):
        raise ValueError(
            "plot: `steps` must be a non-empty 1-D array of finite steps. "
            f"Received: steps of shape {array.shape}"
        )
    array = np.sort(array)
    return array, float(array[-1])


def _around(marked: list[float], horizon: float) -> np.ndarray:
    """Marked steps and the integer steps next to them (so jumps are sharp)."""
    if not marked:
        return np.zeros(0, dtype=np.int64)
    t = np.asarray(marked, dtype=np.float64)
    near = np.concatenate([t - 1, t, t + 1])
    return np.unique(np.clip(np.round(near), 0, horizon)).astype(np.int64)


def _evaluate(schedule: Any, x: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
    if not batch:
        return np.asarray(schedule(x), dtype=np.float64)
    column = x.reshape((-1,) + (1,) * len(batch))
    return np.asarray(schedule(column), dtype=np.float64).reshape(len(x), -1)


# --------------------------------------------------------------------------
# Markers


def _number(value: Any) -> float | None:
    """A concrete scalar hyperparameter as a float, else None."""
    if value is None or isinstance(value, (bool, np.bool_, jax.core.Tracer)):
        return None
    if isinstance(value, jax.Array) and jax.dtypes.issubdtype(
        value.dtype, jax.dtypes.prng_key
    ):
        return None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return float(array) if array.ndim == 0 and np.isfinite(array) else None


def _vector(value: Any) -> np.ndarray | None:
    if isinstance(value, jax.core.Tracer) or value is None:
        return None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if array.ndim == 1 else None


def _is_schedule(value: Any) -> bool:
    from ._core import LearningRateSchedule

    return isinstance(value, LearningRateSchedule)


def _multiples(k: float, horizon: float, kind: str) -> list[tuple[float, str]]:
    count = int(horizon // k) if k > 0 else 0
    if not 0 < count <= _MAX_MARKS:
        return []
    return [(k * i, kind) for i in range(1, count + 1)]


def _restarts(k: float, t: float, horizon: float) -> list[tuple[float, str]]:
    out, start, period = [], 0.0, k
    while len(out) < _MAX_MARKS and period >= 1:
        start += period
        period *= t
        if start > horizon:
            break
        out.append((start, "restart"))
    return out if len(out) < _MAX_MARKS else []


def _events(schedule: Any, horizon: float) -> list[tuple[float, str]]:
    """Candidate (step, kind) markers from a schedule's hyperparameter names."""
    if not dataclasses.is_dataclass(schedule):
        return []
    fields = {f.name: getattr(schedule, f.name) for f in dataclasses.fields(schedule)}
    own: list[tuple[float, str]] = []
    warmup = _number(fields.get("warmup_steps"))
    if "warmup_target" in fields and fields["warmup_target"] is None:
        warmup = None  # (CosineDecay ignores warmup_steps without a target)
    if warmup:
        own.append((warmup, "warmup end"))
    decay = _number(fields.get("decay_steps"))
    if decay:
        own.append((decay, "decay end"))
        if warmup:
            own.append((warmup + decay, "decay end"))
        if fields.get("staircase") is True:
            own += _multiples(decay, horizon, "boundary")
        if fields.get("cycle") is True:
            own += _multiples(decay, horizon, "restart")
    total = _number(fields.get("total_decay_steps"))
    if total:
        own.append((total, "decay end"))
    first = _number(fields.get("first_decay_steps"))
    if first:
        own += _restarts(first, _number(fields.get("t_mul")) or 1.0, horizon)
    boundaries = _vector(fields.get("boundaries"))
    nested = [v for v in fields.values() if _is_schedule(v)]
    joined = [
        v for v in fields.values()
        if isinstance(v, (list, tuple)) and v and all(_is_schedule(s) for s in v)
    ]
    if boundaries is not None:
        own += [(float(b), "boundary") for b in boundaries if b > 0]
    for inner in nested:
        own += _events(inner, horizon)
    for group in joined:  # schedules one after the other (JoinSchedules)
        starts = [0.0] + (list(boundaries) if boundaries is not None else [])
        for i, inner in enumerate(group):
            start = starts[i] if i < len(starts) else 0.0
            end = starts[i + 1] if i + 1 < len(starts) else np.inf
            own += [(start + t, k) for t, k in _events(inner, horizon)
                    if start + t < end]
    offset = _number(fields.get("offset"))
    if offset and getattr(type(schedule), "_shifted", False):
        own = [(t + offset, k) for t, k in own] + [(offset, "offset")]
    return own


def _checked(schedule: Any, events: list[tuple[float, str]], horizon: float):
    """In range, one per step (by kind priority), and "decay end" only where
    the curve is flat after the step and not just before it."""
    priority = list(MARKERS)
    best: dict[float, str] = {}
    for t, kind in events:
        if 0 < t <= horizon and (t not in best or
                                 priority.index(kind) < priority.index(best[t])):
            best[t] = kind
    ends = sorted(t for t, k in best.items() if k == "decay end")
    if ends:
        span = max(1.0, 0.05 * horizon)
        probe = np.array([[t - 1, t, t + 1, t + span] for t in ends])
        v = np.asarray(schedule(probe), dtype=np.float64)
        tol = 1e-6 * max(1e-30, float(np.nanmax(np.abs(v))))
        for t, (before, at, after, later) in zip(ends, v):
            flat = abs(after - at) <= tol and abs(later - at) <= tol
            if not (flat and abs(at - before) > tol):
                del best[t]
    return sorted(best.items())


def _decorate(ax, schedules, labels, kinds, log):
    from matplotlib.lines import Line2D

    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if log:
        ax.set_yscale("log", nonpositive="mask")
    ax.grid(True, alpha=0.3)
    handles, names = ax.get_legend_handles_labels()
    single = len(schedules) == 1 and len(handles) == 1
    if single:
        ax.set_title(labels[0], fontsize="medium")
        handles, names = [], []
    for kind in kinds:
        handles.append(Line2D([], [], linestyle="none", marker=MARKERS[kind],
                              markerfacecolor="none", markeredgecolor="0.3"))
        names.append(kind)
    if handles:
        ax.legend(handles, names, loc="best", fontsize="small", framealpha=0.8)
