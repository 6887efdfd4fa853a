"""Max relative error of jaxsched against Keras 3 (JAX backend), per class.

The configurations and steps are those of tests/test_keras_parity.py (every
boundary and its neighbours, far past the end, and a dense range). Errors are
relative to the larger of |Keras| and 1e-3 of the schedule's peak, so that
values near zero do not dominate; points where Keras' own float32 value is
wrong (CosineDecayRestarts off by a period or NaN past a t_mul < 1 horizon,
judged by tests/reference.py's exact walk) are counted separately. Run:

    KERAS_BACKEND=jax python benchmarks/keras_parity.py
"""

from __future__ import annotations

import collections
import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import jaxsched  # noqa: E402
import test_keras_parity as parity  # noqa: E402


def main():
    worst = collections.defaultdict(float)
    keras_wrong = collections.Counter()
    points = collections.Counter()
    for name, kwargs, marks in parity.CASES:
        steps = np.asarray(sorted(set(parity._special_steps(marks)) | set(range(3 * max(marks) + 5))))
        keras_values = parity._keras_values(name, kwargs, steps)
        exact = parity._reference(name, kwargs, steps)
        peak = parity._peak(name, kwargs)
        wrong = parity._split_keras_errors(keras_values, exact, 1e-5 * peak)
        sched = getattr(jaxsched, name)(**kwargs)
        for x64 in (False, True):
            with jax.enable_x64(x64):
                ours = np.asarray(jax.jit(lambda t: sched(t))(jnp.asarray(steps, jnp.int32)), np.float64)
            scale = np.maximum(np.abs(keras_values), 1e-3 * peak)
            rel = np.abs(ours - keras_values)[~wrong] / scale[~wrong]
            key = (name, "float64" if x64 else "float32")
            worst[key] = max(worst[key], float(rel.max()))
            exact_scale = np.maximum(np.abs(exact), 1e-3 * peak)
            worst[key + ("exact",)] = max(
                worst[key + ("exact",)], float((np.abs(ours - exact) / exact_scale).max()))
        keras_vs_exact = (np.abs(keras_values - exact) / np.maximum(np.abs(exact), 1e-3 * peak))[~wrong]
        worst[(name, "keras", "exact")] = max(worst[(name, "keras", "exact")], float(keras_vs_exact.max()))
        keras_wrong[name] += int(wrong.sum())
        points[name] += len(steps)
    print("max relative error; 'exact' is tests/reference.py in float64 / exact rationals")
    print(f"{'class':<24}{'points':>7}{'f32 vs Keras':>14}{'f64 vs Keras':>14}"
          f"{'Keras vs exact':>16}{'f32 vs exact':>14}{'f64 vs exact':>14}{'Keras wrong':>13}")
    for name in dict.fromkeys(c[0] for c in parity.CASES):
        print(f"{name:<24}{points[name]:>7}{worst[(name, 'float32')]:>14.2e}"
              f"{worst[(name, 'float64')]:>14.2e}{worst[(name, 'keras', 'exact')]:>16.2e}"
              f"{worst[(name, 'float32', 'exact')]:>14.2e}{worst[(name, 'float64', 'exact')]:>14.2e}"
              f"{keras_wrong[name]:>13}")


if __name__ == "__main__":
    main()
