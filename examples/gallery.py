"""Render every jaxsched schedule class to a small PNG under docs/.

Each picture is one entry of ``GALLERY``, grouped as the README's tables
(Keras, TF Model Garden, optax, modern, composition): a few schedules of a
class (with warmup, staircase, cycle, restarts with ``t_mul``/``m_mul``,
noise with two seeds, offsets, interpolation, warmup-stable-decay's warmup
and decay shapes, one-cycle's anneals and three phases, cyclic modes, joins,
products, floors and caps) drawn by ``jaxsched.plot`` over 500 steps, with
markers at warmup ends, decay ends, boundaries, restarts and offsets.
``--markdown`` prints the README's gallery table (each image beside the
lines that make it). ``missing_classes()`` names the public classes without
a picture; the tests keep it empty.

Run:
    python examples/gallery.py [--out docs] [--markdown] [--only NAME ...]

Needs matplotlib (``pip install -e ".[plot]"``). The PNGs are 480x300 px,
palette-compressed to about 4-12 KB each.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import pathlib

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

import jaxsched  # noqa: E402
from jaxsched import (  # noqa: E402
    CosineDecay,
    CosineDecayRestarts,
    CosineDecayWithOffset,
    Cyclic,
    DirectPowerDecay,
    ExponentialDecay,
    ExponentialDecayWithOffset,
    InverseSqrtDecay,
    InverseTimeDecay,
    JoinSchedules,
    LinearCosineDecay,
    LinearWarmup,
    NoisyLinearCosineDecay,
    OneCycle,
    PiecewiseConstantDecay,
    PiecewiseConstantDecayWithOffset,
    PiecewiseScales,
    PolynomialDecay,
    PolynomialDecayWithOffset,
    PolynomialWarmUp,
    PowerAndLinearDecay,
    PowerDecayWithOffset,
    StepCosineDecayWithOffset,
    WarmupCosineDecay,
    WarmupStableDecay,
    WithOffset,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
STEPS = 500
SIZE = (480, 300)  # pixels
DPI = 80


@dataclasses.dataclass(frozen=True)
class Entry:
    """One picture: a file name, a title and (legend label, schedule) pairs."""

    file: str
    title: str
    curves: tuple[tuple[str, jaxsched.LearningRateSchedule], ...]
    log: bool = False
    headroom: float = 0.0  # extra space above the curves (for the legend)


def _entry(file, title, *curves, log=False, headroom=0.0):
    return Entry(file, title, tuple(curves), log, headroom)


# A warmup factor from 0 to 1 over 100 steps, to multiply a decay by.
_WARMUP = PolynomialDecay(0.0, 100, end_learning_rate=1.0)

GALLERY = [
    # Keras
    _entry("exponential_decay", "ExponentialDecay",
           ("smooth", ExponentialDecay(1.0, 100, 0.5)),
           ("staircase", ExponentialDecay(1.0, 100, 0.5, staircase=True))),
    _entry("inverse_time_decay", "InverseTimeDecay",
           ("smooth", InverseTimeDecay(1.0, 50, 1.0)),
           ("staircase", InverseTimeDecay(1.0, 50, 1.0, staircase=True))),
    _entry("piecewise_constant_decay", "PiecewiseConstantDecay",
           ("", PiecewiseConstantDecay([150, 300, 400], [1.0, 0.5, 0.2, 0.05]))),
    _entry("polynomial_decay", "PolynomialDecay",
           ("power=0.5", PolynomialDecay(1.0, 400, end_learning_rate=0.1, power=0.5)),
           ("power=1", PolynomialDecay(1.0, 400, end_learning_rate=0.1)),
           ("power=2", PolynomialDecay(1.0, 400, end_learning_rate=0.1, power=2.0))),
    _entry("polynomial_decay_cycle", "PolynomialDecay, cycle=True",
           ("", PolynomialDecay(1.0, 100, end_learning_rate=0.0, power=2.0, cycle=True))),
    _entry("cosine_decay", "CosineDecay",
           ("warmup", CosineDecay(0.0, 400, warmup_target=1.0, warmup_steps=100)),
           ("alpha=0.2", CosineDecay(1.0, 400, alpha=0.2))),
    _entry("cosine_decay_restarts", "CosineDecayRestarts",
           ("t_mul=2, m_mul=0.7", CosineDecayRestarts(1.0, 50, t_mul=2.0, m_mul=0.7)),
           ("t_mul=1, alpha=0.2", CosineDecayRestarts(1.0, 100, t_mul=1.0, alpha=0.2))),
    _entry("linear_cosine_decay", "LinearCosineDecay",
           ("num_periods=0.5", LinearCosineDecay(1.0, 400)),
           ("num_periods=3", LinearCosineDecay(1.0, 400, num_periods=3.0))),
    _entry("noisy_linear_cosine_decay", "NoisyLinearCosineDecay",
           ("seed=0", NoisyLinearCosineDecay(1.0, 400, initial_variance=0.01, seed=0)),
           ("seed=1", NoisyLinearCosineDecay(1.0, 400, initial_variance=0.01, seed=1))),
    # TF Model Garden
    _entry("exponential_decay_with_offset", "ExponentialDecayWithOffset",
           ("offset=100", ExponentialDecayWithOffset(1.0, 100, 0.5, offset=100)),
           ("hold_before_offset", ExponentialDecayWithOffset(
               1.0, 100, 0.5, offset=100, hold_before_offset=True))),
    _entry("piecewise_constant_decay_with_offset", "PiecewiseConstantDecayWithOffset",
           ("", PiecewiseConstantDecayWithOffset([100, 250], [1.0, 0.5, 0.1], offset=100))),
    _entry("polynomial_decay_with_offset", "PolynomialDecayWithOffset",
           ("", PolynomialDecayWithOffset(1.0, 300, end_learning_rate=0.1, offset=100,
                                          hold_before_offset=True))),
    _entry("cosine_decay_with_offset", "CosineDecayWithOffset",
           ("offset=100", CosineDecayWithOffset(1.0, 300, offset=100)),
           ("hold_before_offset", CosineDecayWithOffset(
               1.0, 300, alpha=0.1, offset=100, hold_before_offset=True))),
    _entry("linear_warmup", "LinearWarmup",
           ("", LinearWarmup(CosineDecay(1.0, 500), 100, 0.0))),
    _entry("polynomial_warmup", "PolynomialWarmUp",
           ("power=2", PolynomialWarmUp(CosineDecay(1.0, 500), 100, power=2.0))),
    _entry("direct_power_decay", "DirectPowerDecay",
           ("power=-0.5", DirectPowerDecay(1.0, power=-0.5)), log=True),
    _entry("power_and_linear_decay", "PowerAndLinearDecay",
           ("", PowerAndLinearDecay(1.0, 450, power=-0.5, linear_decay_fraction=0.3)),
           log=True),
    _entry("power_decay_with_offset", "PowerDecayWithOffset",
           ("", PowerDecayWithOffset(1.0, power=-0.5, offset=100,
                                     pre_offset_learning_rate=0.5))),
    _entry("step_cosine_decay_with_offset", "StepCosineDecayWithOffset",
           ("", StepCosineDecayWithOffset([0, 150, 350], [1.0, 0.5, 0.1]))),
    # optax's family
    _entry("warmup_cosine_decay", "WarmupCosineDecay (decay_steps: the total)",
           ("end_value=0.1", WarmupCosineDecay(0.0, 1.0, 100, 450, end_value=0.1)),
           ("exponent=2", WarmupCosineDecay(0.0, 1.0, 50, 450, exponent=2.0))),
    _entry("piecewise_scales", "PiecewiseScales",
           ("constant", PiecewiseScales(1.0, [100, 250, 400], [0.5, 0.4, 0.5])),
           ("linear", PiecewiseScales(1.0, [100, 250, 400], [0.5, 0.4, 0.5],
                                      interpolate_type="linear")),
           ("cosine", PiecewiseScales(1.0, [100, 250, 400], [0.5, 0.4, 0.5],
                                      interpolate_type="cosine"))),
    # the modern family
    _entry("warmup_stable_decay", "WarmupStableDecay: decay shapes",
           ("cosine", WarmupStableDecay(1.0, 50, 200, 200)),
           ("linear", WarmupStableDecay(1.0, 50, 200, 200, decay_type="linear")),
           ("1-sqrt", WarmupStableDecay(1.0, 50, 200, 200, decay_type="1-sqrt"))),
    _entry("warmup_stable_decay_warmup",
           "WarmupStableDecay: warmup shapes, min_lr_ratio",
           ("linear", WarmupStableDecay(1.0, 200, 100, 150, min_lr_ratio=0.1)),
           ("cosine", WarmupStableDecay(1.0, 200, 100, 150, warmup_type="cosine",
                                        min_lr_ratio=0.1)),
           ("1-sqrt", WarmupStableDecay(1.0, 200, 100, 150, warmup_type="1-sqrt",
                                        min_lr_ratio=0.1))),
    _entry("inverse_sqrt_decay", "InverseSqrtDecay",
           ("warmup 50", InverseSqrtDecay(1.0, 50)),
           ("timescale=200", InverseSqrtDecay(1.0, 50, timescale=200)),
           ("constant warmup", InverseSqrtDecay(1.0, 100, warmup_type="constant"))),
    _entry("one_cycle", "OneCycle",
           ("cos", OneCycle(1.0, 450)),
           ("linear", OneCycle(1.0, 450, anneal_strategy="linear")),
           ("three_phase", OneCycle(1.0, 450, three_phase=True))),
    _entry("cyclic", "Cyclic",
           ("triangular, down=100", Cyclic(0.1, 1.0, step_size_up=50,
                                           step_size_down=100)),
           ("triangular2", Cyclic(0.1, 1.0, step_size_up=50, mode="triangular2")),
           ("exp_range", Cyclic(0.1, 1.0, step_size_up=50, mode="exp_range",
                                gamma=0.996)),
           headroom=0.3),
    # composition
    _entry("with_offset", "WithOffset",
           ("", WithOffset(CosineDecayRestarts(1.0, 100, t_mul=1.5), 100,
                           hold_before_offset=True))),
    _entry("join_schedules", "JoinSchedules (warmup, stable, decay)",
           ("", JoinSchedules([PolynomialDecay(0.0, 50, end_learning_rate=1.0),
                               PolynomialDecay(1.0, 1, end_learning_rate=1.0),
                               CosineDecay(1.0, 150)], [50, 350]))),
    _entry("maximum", "maximum(warmup * cosine, 1e-4)",
           ("warmup * cosine", _WARMUP * CosineDecay(1.0, 400)),
           ("maximum(..., 1e-4)", jaxsched.maximum(_WARMUP * CosineDecay(1.0, 400),
                                                   1e-4)),
           log=True),
    _entry("minimum", "minimum(line, cosine)",
           ("line", PolynomialDecay(0.0, 200, end_learning_rate=1.5)),
           ("cosine", CosineDecay(1.0, 500)),
           ("minimum", jaxsched.minimum(
               PolynomialDecay(0.0, 200, end_learning_rate=1.5), CosineDecay(1.0, 500)))),
    _entry("scaled_quotient", "Scaled, Quotient: s * k, s / k",
           ("s", ExponentialDecay(1.0, 100, 0.5)),
           ("0.5 * s", 0.5 * ExponentialDecay(1.0, 100, 0.5)),
           ("s / 4", ExponentialDecay(1.0, 100, 0.5) / 4)),
]


def _classes_in(schedule) -> set[str]:
    """The class of `schedule` and of every schedule nested in it."""
    found = {type(schedule).__name__}
    for f in dataclasses.fields(schedule):
        value = getattr(schedule, f.name)
        for inner in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(inner, jaxsched.LearningRateSchedule):
                found |= _classes_in(inner)
    return found


def public_classes() -> set[str]:
    return {
        n for n in jaxsched.__all__
        if isinstance(getattr(jaxsched, n), type)
        and issubclass(getattr(jaxsched, n), jaxsched.LearningRateSchedule)
        and getattr(jaxsched, n) is not jaxsched.LearningRateSchedule
    }


def missing_classes() -> list[str]:
    """Public schedule classes that no picture shows."""
    shown = set()
    for entry in GALLERY:
        for _, schedule in entry.curves:
            shown |= _classes_in(schedule)
    return sorted(public_classes() - shown)


def render(entry: Entry, out: pathlib.Path) -> pathlib.Path:
    """Draws `entry` into ``out / (entry.file + ".png")``, palette-compressed."""
    from PIL import Image

    width, height = SIZE
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")
    ax = figure.add_subplot()
    labels = [label for label, _ in entry.curves]
    jaxsched.plot([s for _, s in entry.curves], STEPS, ax=ax, log=entry.log,
                  labels=labels)
    ax.set_title(entry.title, fontsize="medium", fontweight="bold")
    if entry.headroom:
        low, high = ax.get_ylim()
        ax.set_ylim(low, high + entry.headroom * (high - low))
    buffer = io.BytesIO()
    figure.savefig(buffer, dpi=DPI, format="png")
    buffer.seek(0)
    image = Image.open(buffer).convert("RGB").quantize(colors=48)
    path = out / f"{entry.file}.png"
    image.save(path, optimize=True)
    return path


def markdown(folder: str = "docs") -> str:
    """The README's gallery: two pictures per row, each beside its code."""

    def cell(entry):
        code = "<br>".join(f"`{s!r}`" for _, s in entry.curves)
        return f'<img src="{folder}/{entry.file}.png" width="240">', code

    rows = ["| | | | |", "| --- | --- | --- | --- |"]
    for i in range(0, len(GALLERY), 2):
        pair = [cell(e) for e in GALLERY[i:i + 2]]
        while len(pair) < 2:
            pair.append(("", ""))
        rows.append("| " + " | ".join(part for c in pair for part in c) + " |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"), help="the folder")
    parser.add_argument("--markdown", action="store_true",
                        help="print the README table instead of drawing")
    parser.add_argument("--only", nargs="*", help="file names to draw")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown())
        return []
    missing = missing_classes()
    if missing:
        print(f"warning: no picture for {', '.join(missing)}: add a GALLERY entry")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in GALLERY:
        if args.only and entry.file not in args.only:
            continue
        path = render(entry, out)
        written.append(path)
        print(f"{path} ({path.stat().st_size // 1024} KB)")
    return written


if __name__ == "__main__":
    main()
