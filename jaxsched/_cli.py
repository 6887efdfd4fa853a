"""The ``jaxsched`` command: show, plot and convert learning-rate schedules.

::

    jaxsched show  SPEC --at 0,100,1000          # a table of step and rate
    jaxsched show  SPEC --every 500 --steps 5000 [--json]
    jaxsched plot  SPEC [SPEC ...] --steps N [--log] [--out FILE.png]
    jaxsched convert SPEC --to keras|jaxsched    # a config Keras 3 reads, or ours

(also ``python -m jaxsched``). A SPEC is a call such as
``"CosineDecay(0.1, 10000, warmup_target=1.0, warmup_steps=500)"`` (parsed,
never evaluated), inline JSON, or a JSON file (or Keras ``.keras`` archive)
holding a serialized schedule or a config with one inside (a Keras optimizer
or model config, a Model Garden optimization config): see
:mod:`jaxsched._spec`.

Exit status: 0 on success, 2 for a bad SPEC or bad arguments, 1 when the
output cannot be written or matplotlib is missing; the error is one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any, Sequence

import numpy as np

from ._spec import SpecError, load

__all__ = ["main"]

_PROG = "jaxsched"
_MAX_ROWS = 100_000
# The largest --steps / --every (steps are int64, exact as float64 too).
_MAX_STEP = 10**18
_EPILOG = """\
SPEC is one of:
  a call         "CosineDecay(0.1, 10000, warmup_target=1.0, warmup_steps=500)"
                 (literals and jaxsched classes only; parsed, never evaluated)
  inline JSON    '{"class_name": "ExponentialDecay", "config": {...}}'
  a JSON file    a serialized schedule (jaxsched, Keras 3, tf.keras), or a
                 Keras optimizer/model config or Model Garden optimization
                 config with the schedule inside (found automatically); a
                 Keras .keras archive works too.
Exit status: 0 ok, 2 bad SPEC or arguments, 1 output not written."""


class _Fail(Exception):
    """An error for the user: one line on stderr, then exit `code`."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line too."""

    def error(self, message: str):
        raise _Fail(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog=_PROG,
        description="Show, plot and convert learning-rate schedules "
        "(jaxsched, Keras, TF Model Garden).",
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"jaxsched {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{show,plot,convert}",
                                parser_class=_Parser)

    show = sub.add_parser(
        "show", help="print the learning rate at some steps",
        description="Print a table of step and learning rate (or JSON).",
        epilog=_EPILOG + "\n\nExamples:\n"
        '  jaxsched show "ExponentialDecay(0.1, 1000, 0.5)" --at 0,1000,2500\n'
        "  jaxsched show config.json --every 1000 --steps 10000 --json",
        formatter_class=formatter,
    )
    show.add_argument("spec", metavar="SPEC", help="the schedule (see below)")
    show.add_argument("--at", metavar="STEPS",
                      help="comma-separated steps, e.g. 0,100,1000 "
                      "(with a negative one first: --at=-10,0,10)")
    show.add_argument("--every", metavar="K", type=_positive_int,
                      help="every K-th step from 0 to --steps (inclusive)")
    show.add_argument("--steps", metavar="N", type=_natural,
                      help="the last step (alone: 11 evenly spaced steps)")
    show.add_argument("--json", action="store_true",
                      help="machine-readable output: schedule, config, steps, rates")
    show.set_defaults(run=_show)

    plot = sub.add_parser(
        "plot", help="draw the curves into a PNG",
        description="Draw one PNG with a curve per SPEC (labelled), with markers "
        "at warmup ends, decay ends, boundaries, restarts and offsets.",
        epilog=_EPILOG + "\n\nExample:\n"
        '  jaxsched plot "CosineDecay(0.1, 9000, warmup_target=1.0, warmup_steps=1000)"'
        ' \\\n      "CosineDecayRestarts(1.0, 1000)" --steps 10000 --out lr.png',
        formatter_class=formatter,
    )
    plot.add_argument("specs", metavar="SPEC", nargs="+", help="the schedules")
    plot.add_argument("--steps", metavar="N", type=_positive_int, required=True,
                      help="plot the steps 0 to N")
    plot.add_argument("--log", action="store_true", help="logarithmic rate axis")
    plot.add_argument("--out", metavar="FILE.png", default="schedule.png",
                      help="the PNG to write (default: schedule.png)")
    plot.add_argument("--size", metavar="WxH", type=_size, default=(800, 500),
                      help="image size in pixels (default: 800x500)")
    plot.add_argument("--title", help="a title (default: the schedule, if one)")
    plot.set_defaults(run=_plot)

    convert = sub.add_parser(
        "convert", help="print a schedule's config as Keras 3 or jaxsched JSON",
        description="Print the schedule's serialized config: `keras` is what "
        "keras.optimizers.schedules.deserialize reads (Keras 3's classes only); "
        "`jaxsched` is jaxsched.serialize's output.",
        epilog=_EPILOG + "\n\nExample:\n"
        "  jaxsched convert model_config.json --to jaxsched --out schedule.json",
        formatter_class=formatter,
    )
    convert.add_argument("spec", metavar="SPEC", help="the schedule (see below)")
    convert.add_argument("--to", required=True, choices=("keras", "jaxsched"),
                         help="the format to write")
    convert.add_argument("--out", metavar="FILE.json",
                         help="write to a file instead of stdout")
    convert.set_defaults(run=_convert)
    return parser


# --------------------------------------------------------------------------
# Argument types (argparse turns their ValueError into a usage error)


def _positive_int(text: str) -> int:
    value = _natural(text)
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer, got {_clip(text)}")
    return value


def _natural(text: str) -> int:
    shown = _clip(text)
    digits = text.strip()
    try:  # exact for plain digits; a float (inf for any length) otherwise
        value = int(digits) if digits.isdigit() and len(digits) <= 19 else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {shown}") from None
    if value > _MAX_STEP:  # (inf too)
        raise argparse.ArgumentTypeError(
            f"must be at most 10**18 (steps are 64-bit integers), got {shown}"
        )
    if not (value >= 0 and value == int(value)):  # (NaN fails >= 0)
        raise argparse.ArgumentTypeError(
            f"must be a non-negative integer, got {shown}"
        )
    return int(value)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be WIDTHxHEIGHT in pixels, e.g. 800x500, got {_clip(text)}"
        ) from None
    if not (50 <= w <= 10_000 and 50 <= h <= 10_000):
        raise argparse.ArgumentTypeError(
            f"width and height must be 50 to 10000 pixels, got {_clip(text)}"
        )
    return w, h


def _step_list(text: str) -> list[int | float]:
    steps = []
    for item in text.split(","):
        item = item.strip()
        try:
            value = float(item)
        except ValueError:
            raise _Fail(f"--at: {item!r} is not a step (give e.g. --at 0,100,1000)")
        if not math.isfinite(value):
            raise _Fail(f"--at: {item!r} is not a finite step")
        steps.append(int(value) if value.is_integer() and abs(value) < 2**63 else value)
    return steps


# --------------------------------------------------------------------------
# Subcommands


def _schedule(spec: str) -> Any:
    """The SPEC's schedule; any failure becomes one line (never a traceback)."""
    try:
        return load(spec)
    except SpecError as exc:
        raise _Fail(str(exc)) from None
    except (ValueError, TypeError) as exc:
        raise _Fail(f"bad SPEC {_clip(spec)}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a bad SPEC never gives a traceback
        raise _Fail(f"bad SPEC {_clip(spec)}: {type(exc).__name__}: {exc}") from None


def _clip(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _show(args: argparse.Namespace) -> int:
    if args.at is not None and (args.every is not None or args.steps is not None):
        raise _Fail("show: give either --at or --every/--steps, not both")
    if args.at is not None:
        steps = _step_list(args.at)
    elif args.steps is None:
        raise _Fail("show: give the steps: --at 0,100,1000, or --every K --steps N")
    elif args.every is not None:
        rows = args.steps // args.every + 1
        if rows > _MAX_ROWS:
            raise _Fail(f"show: --every {args.every} --steps {args.steps} gives "
                        f"{rows} rows (at most {_MAX_ROWS}); use a larger --every")
        steps = list(range(0, args.steps + 1, args.every))
    else:
        steps = sorted({int(round(v)) for v in np.linspace(0, args.steps, 11)})
    schedule = _schedule(args.spec)
    rates = _rates(schedule, steps)
    if args.json:
        print(json.dumps({
            "schedule": repr(schedule),
            "config": _serialize(schedule, "jaxsched"),
            "dtype": str(rates.dtype),
            "steps": steps,
            "learning_rate": [float(str(v)) for v in rates],
        }, indent=2))
        return 0
    shown = [str(s) for s in steps]
    width = max(4, *(len(s) for s in shown))
    print(f"# {schedule!r}")
    print(f"{'step':>{width}}  learning_rate")
    for s, v in zip(shown, rates):
        print(f"{s:>{width}}  {v!s}")  # NumPy's shortest repr in the dtype
    return 0


def _rates(schedule: Any, steps: list) -> np.ndarray:
    """One rate per step (numpy scalars print as their shortest repr)."""
    import jax

    if jax.eval_shape(lambda s: s(0), schedule).shape:
        raise _Fail("show: the schedule is stacked (batched); show one member")
    as_float = any(isinstance(s, float) for s in steps)
    array = np.asarray(steps, dtype=np.float64 if as_float else np.int64)
    return np.asarray(schedule(array))


def _serialize(schedule: Any, format: str) -> dict:
    from ._config import serialize

    try:
        return serialize(schedule, format=format)
    except ValueError as exc:
        raise _Fail(str(exc)) from None


def _plot(args: argparse.Namespace) -> int:
    schedules = [_schedule(spec) for spec in args.specs]
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise _Fail('plot needs matplotlib: pip install "jaxsched[plot]"', 1) from None
    from ._plot import plot

    dpi = 100
    width, height = args.size
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
    ax = figure.add_subplot()
    plot(schedules, args.steps, ax=ax, log=args.log)
    if args.title:
        ax.set_title(args.title)
    try:
        figure.savefig(args.out, dpi=dpi)
    except (OSError, ValueError) as exc:
        raise _Fail(f"plot: cannot write {args.out!r}: {exc}", 1) from None
    curves = len(schedules)
    print(f"wrote {args.out} ({width}x{height} px, {curves} "
          f"curve{'s' if curves > 1 else ''})")
    return 0


def _convert(args: argparse.Namespace) -> int:
    schedule = _schedule(args.spec)
    text = json.dumps(_serialize(schedule, args.to), indent=2)
    if args.out is None:
        print(text)
        return 0
    try:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    except OSError as exc:
        raise _Fail(f"convert: cannot write {args.out!r}: {exc.strerror or exc}",
                    1) from None
    print(f"wrote {args.out}")
    return 0


# --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the ``jaxsched`` command with `argv` (default: ``sys.argv[1:]``).

    Returns the exit status: 0 on success, 2 for a bad SPEC or bad arguments
    and 1 when the output cannot be written, after one line on stderr.

    Example:
        >>> main(["show", "ExponentialDecay(0.1, 100, 0.5)", "--at", "0,100,200"])
        # ExponentialDecay(0.1, 100, 0.5)
        step  learning_rate
           0  0.1
         100  0.05
         200  0.025
        0
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise _Fail("give a command: show, plot or convert (see jaxsched --help)")
        return args.run(args)
    except _Fail as exc:
        command = getattr(locals().get("args"), "command", None)
        prefix = f"{_PROG} {command}" if command else _PROG
        message = " ".join(str(exc).split())
        print(f"{prefix}: error: {message}", file=sys.stderr)
        return exc.code
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
