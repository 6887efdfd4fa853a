"""PiecewiseConstantDecay compile time against the number of boundaries.

jaxsched finds the segment with one broadcast compare (up to 32 boundaries)
or one ``jnp.searchsorted``, and picks the value with a chain of at most 16
selects (up to 15 boundaries) or one gather: the traced program has a bounded
size.
Keras 3 builds a Python loop of ``where``-like terms, one per boundary, and
optax's ``piecewise_constant_schedule`` one multiply per boundary. For each
count the script lowers and compiles ``jit(lambda steps: sched(steps))`` on
1,000 int32 steps (the schedule captured in the closure, as a training step
captures it), then runs it, and prints the times and the ratio to 10
boundaries. Run:

    KERAS_BACKEND=jax python benchmarks/bench_piecewise.py [--max 10000]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

import jaxsched  # noqa: E402

try:
    import keras  # noqa: E402
except ImportError:
    keras = None


def _compile_and_run(fn, steps):
    start = time.perf_counter()
    compiled = jax.jit(fn).lower(steps).compile()
    compile_s = time.perf_counter() - start
    compiled(steps).block_until_ready()
    start = time.perf_counter()
    for _ in range(20):
        out = compiled(steps)
    out.block_until_ready()
    return compile_s, (time.perf_counter() - start) / 20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=10_000, help="largest boundary count")
    parser.add_argument("--keras-max", type=int, default=1_000,
                        help="largest count for Keras and optax (their compile grows)")
    args = parser.parse_args(argv)
    counts = [n for n in (10, 100, 1_000, 10_000, 100_000) if n <= args.max]
    steps = jnp.arange(0, 10 * 1_000, 10, dtype=jnp.int32)
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}")
    print(f"{'boundaries':>10} {'library':<9} {'compile':>10} {'vs 10':>7} {'run':>10}")
    base = {}
    for n in counts:
        boundaries = list(range(10, 10 * (n + 1), 10))
        values = [1.0 / (i + 1) for i in range(n + 1)]
        libs = [("jaxsched", jaxsched.PiecewiseConstantDecay(boundaries, values))]
        if n <= args.keras_max:
            libs.append(("optax", optax.piecewise_constant_schedule(
                1.0, {b: values[i + 1] / values[i] for i, b in enumerate(boundaries)})))
            if keras is not None:
                libs.append(("keras", keras.optimizers.schedules.PiecewiseConstantDecay(
                    boundaries, values)))
        for name, sched in libs:
            compile_s, run_s = _compile_and_run(lambda t, sched=sched: sched(t), steps)
            base.setdefault(name, compile_s)
            print(f"{n:>10} {name:<9} {compile_s * 1e3:>8.1f}ms "
                  f"{compile_s / base[name]:>6.1f}x {run_s * 1e6:>8.1f}us")


if __name__ == "__main__":
    main()
