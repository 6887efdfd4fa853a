"""jaxsched against optax and Keras 3 (JAX backend), side by side in one run.

For each schedule family, three measurements, each the median over rounds in
which jaxsched, optax and Keras run in turn (interleaved, so that the noisy
machine's drift hits all three alike):

* curve:  a jitted call on an array of 100,000 steps (a whole curve);
* scan:   a jitted ``lax.scan`` of 10,000 steps evaluating the rate at each
          step, as an optimizer does inside a training loop;
* eager:  one Python call on a Python int step (dispatch overhead).

Reported as times and as ratios ours / optax and ours / Keras, each the
median of the per-round ratios (below 1: jaxsched is faster). Keras' and
optax's schedules are plain jnp code; jaxsched compiles each call. Run:

    KERAS_BACKEND=jax python benchmarks/bench_schedules.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

import jaxsched  # noqa: E402

try:
    import keras  # noqa: E402

    KS = keras.optimizers.schedules
except ImportError:  # Keras is a test extra: benchmark without it
    KS = None


def families():
    """(name, jaxsched, optax or None, keras or None): the same schedule."""
    rows = [
        (
            "ExponentialDecay",
            jaxsched.ExponentialDecay(0.1, 1000, 0.5, staircase=True),
            optax.exponential_decay(0.1, 1000, 0.5, staircase=True),
            KS and KS.ExponentialDecay(0.1, 1000, 0.5, staircase=True),
        ),
        (
            "PolynomialDecay",
            jaxsched.PolynomialDecay(0.1, 5000, 0.001, power=2.0),
            optax.polynomial_schedule(0.1, 0.001, 2.0, 5000),
            KS and KS.PolynomialDecay(0.1, 5000, 0.001, power=2.0),
        ),
        (
            "CosineDecay+warmup",
            jaxsched.CosineDecay(0.0, 9000, alpha=0.1, warmup_target=0.1, warmup_steps=1000),
            optax.warmup_cosine_decay_schedule(0.0, 0.1, 1000, 10000, end_value=0.01),
            KS and KS.CosineDecay(0.0, 9000, alpha=0.1, warmup_target=0.1, warmup_steps=1000),
        ),
        (
            "PiecewiseConstant(3)",
            jaxsched.PiecewiseConstantDecay([1000, 5000, 8000], [0.1, 0.05, 0.01, 0.001]),
            # optax multiplies scales and switches at >=; same cost class.
            optax.piecewise_constant_schedule(0.1, {1000: 0.5, 5000: 0.2, 8000: 0.1}),
            KS and KS.PiecewiseConstantDecay([1000, 5000, 8000], [0.1, 0.05, 0.01, 0.001]),
        ),
        (
            "CosineDecayRestarts",
            jaxsched.CosineDecayRestarts(0.1, 1000, t_mul=2.0, m_mul=0.9),
            None,  # optax has no t_mul/m_mul restarts
            KS and KS.CosineDecayRestarts(0.1, 1000, t_mul=2.0, m_mul=0.9),
        ),
    ]
    return rows


def _timer(fn, target_s=0.02):
    """A function that times one call of `fn`, averaged over enough calls to
    take about `target_s` (after a warm-up call that also sets that count)."""
    jax.block_until_ready(fn())  # compile
    start = time.perf_counter()
    jax.block_until_ready(fn())
    single = time.perf_counter() - start
    number = max(1, min(1000, round(target_s / max(single, 1e-7))))

    def once():
        start = time.perf_counter()
        for _ in range(number):
            out = fn()
        jax.block_until_ready(out)
        return (time.perf_counter() - start) / number

    return once


def timers(schedule, *, vmapped=False):
    """{"curve", "scan", "eager"}: timers of one schedule.

    `vmapped`: the schedule takes scalar steps only (Keras' CosineDecay
    branches with ops.cond), so the curve maps it over the steps.
    """
    steps = jnp.arange(100_000, dtype=jnp.int32)
    curve = jax.jit(jax.vmap(schedule) if vmapped else (lambda t: schedule(t)))

    @jax.jit
    def scan():
        def body(total, count):
            return total + schedule(count), None

        return jax.lax.scan(body, jnp.float32(0), jnp.arange(10_000, dtype=jnp.int32))[0]

    return {
        "curve": _timer(lambda: curve(steps)),
        "scan": _timer(scan),
        "eager": _timer(lambda: schedule(1234)),
    }


def interleaved(timers_by_library, rounds):
    """Times every library's timer once per round, in turn, so that drift in
    the machine's speed (frequency, other load) hits all of them alike.
    Returns {library: [seconds per round]}."""
    times = {lib: [] for lib in timers_by_library}
    for _ in range(rounds):
        for lib, timer in timers_by_library.items():
            times[lib].append(timer())
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args(argv)
    rounds = 7 if args.quick else 31
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, optax {optax.__version__}"
          + (f", keras {keras.__version__}" if KS else ", no keras")
          + f"; medians of {rounds} interleaved rounds")
    header = f"{'schedule':<22}{'what':<7}{'jaxsched':>11}{'optax':>11}{'keras':>11}{'/optax':>8}{'/keras':>8}"
    print(header)
    print("-" * len(header))
    for name, ours, theirs_optax, theirs_keras in families():
        libs = {"jaxsched": timers(ours)}
        if theirs_optax:
            libs["optax"] = timers(theirs_optax)
        if theirs_keras:
            libs["keras"] = timers(theirs_keras, vmapped=True)
        for what in ("curve", "scan", "eager"):
            times = interleaved({lib: t[what] for lib, t in libs.items()}, rounds)
            cells = [
                f"{statistics.median(times[lib]) * 1e6:>9.1f}us" if lib in times else f"{'-':>11}"
                for lib in ("jaxsched", "optax", "keras")
            ]
            # The ratio is the median of per-round ratios: robust to drift.
            cells += [
                f"{statistics.median(a / b for a, b in zip(times['jaxsched'], times[lib])):>8.2f}"
                if lib in times else f"{'-':>8}"
                for lib in ("optax", "keras")
            ]
            print(f"{name:<22}{what:<7}" + "".join(cells))


if __name__ == "__main__":
    main()
