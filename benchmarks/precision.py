"""float32 precision of every class, against two references. Run:

    python benchmarks/precision.py

For every config of the case table (tests/cases.py, tests/cases_modern.py;
noisy classes left out), float32 results at integer steps (every boundary
and its neighbours, a dense range, and a geometric grid up to 2**24) are
compared with the float64 reference (tests/reference*.py) evaluated

* "as given": with the hyperparameters as written (0.99999, 3.3, ...);
* "f32 hp": with the hyperparameters rounded to float32 first, what a
  float32 schedule actually holds.

The error is |ours - exact| / (|exact| + 0.1 * peak): at most 1e-6 means
within 1e-6 relative plus 1e-7 of the peak, the README's (and the tests')
measure.
The first column shows what a user gets; the second what the arithmetic
adds. Where they differ, the rounding of a hyperparameter is amplified by
the formula (a per-step exponential raises it to the step's power): keep
such hyperparameters as float64 leaves under x64 (``jax.enable_x64`` and
``jnp.float64`` rates), which the last column measures (float64 leaves,
x64, against "as given").
"""

from __future__ import annotations

import collections
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from cases import ROWS, Inner  # noqa: E402

GRID = np.unique(np.round(np.geomspace(1, 2**24, 200))).astype(np.int64)


def _rounded(value):
    """`value` with every float rounded to float32 (nested configs too)."""
    if isinstance(value, Inner):
        return Inner(value.name, _rounded(value.kw))
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return float(np.float32(value))
    return value


def _steps(marks):
    near = [int(np.floor(float(m))) + d for m in marks for d in (-1, 0, 1, 2)]
    top = int(max([float(m) for m in marks] + [10])) * 3 + 5
    steps = np.unique(np.concatenate([near, np.arange(0, top), GRID]))
    return steps[(steps >= 0) & (steps <= 2**24)]


def _error(ours, exact):
    peak = max(float(np.max(np.abs(exact))), 1e-30)
    return float(np.max(np.abs(ours - exact) / (np.abs(exact) + 0.1 * peak)))


def main():
    worst = collections.defaultdict(lambda: [0.0, 0.0, 0.0])
    for row in ROWS:
        if row.noisy or row.reference is None:
            continue
        for kw, marks in row.all_cases:
            steps = _steps(marks)
            ours = np.asarray(jax.jit(lambda t, s=row.build(kw): s(t))(
                jnp.asarray(steps, jnp.int32)), np.float64)
            given = np.asarray(row.reference(steps, kw), np.float64)
            held = np.asarray(row.reference(steps, _rounded(kw)), np.float64)
            with jax.enable_x64(True):
                ours64 = np.asarray(row.build(kw)(jnp.asarray(steps)), np.float64)
            w = worst[row.id]
            w[0] = max(w[0], _error(ours, given))
            w[1] = max(w[1], _error(ours, held))
            w[2] = max(w[2], _error(ours64, given))
    print(f"{'class':<34}{'f32 vs as given':>16}{'f32 vs f32 hp':>15}{'x64 vs as given':>17}")
    for name, (a, b, c) in worst.items():
        print(f"{name:<34}{a:>16.1e}{b:>15.1e}{c:>17.1e}")
    # The amplified case the README names.
    from jaxsched import ExponentialDecay

    exact = 0.99999 ** 200_000
    f32 = float(ExponentialDecay(1.0, 1, 0.99999)(200_000))
    with jax.enable_x64(True):
        f64 = float(ExponentialDecay(1.0, 1, jnp.float64(0.99999))(200_000))
    print(f"\nExponentialDecay(1.0, 1, 0.99999) at step 200,000: exact {exact:.9g}, "
          f"float32 {f32:.9g} ({f32 / exact - 1:+.2e}), float64 leaves under x64 "
          f"{f64:.15g} ({f64 / exact - 1:+.1e})")


if __name__ == "__main__":
    main()
