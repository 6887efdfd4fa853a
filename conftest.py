"""Test-session set-up shared by tests/ and the doctests in jaxsched/.

Environment variables must be set before JAX or Keras are imported:
Keras runs on its JAX backend (it is a test oracle, never a dependency), the
CPU exposes 8 virtual devices for the sharding tests, and XLA compiles with
the suite's setting (below).
"""

import os

# The suite's XLA CPU compiler setting: the older fusion emitters, and
# LLVM's optimization level 1 instead of 3. The suite compiles about 3,500
# small programs, and for a small program XLA's default CPU pipeline spends
# most of its time setting up its MLIR fusion emitters (contexts, dialects)
# rather than compiling the program; the older emitters take about 40% less,
# and the suite about 30% less wall time. Level 1 takes another 5% off the
# suite's CPU time (3% of its wall time, measured side by side; level 0
# changes bits). They give the same bits: test_precision.py compiles every
# config of every class both ways and compares them, in CI's second pass,
# which runs the precision and Keras parity files again with XLA's defaults.
# JAXSCHED_XLA_DEFAULTS=1 leaves XLA's settings alone.
SUITE_XLA_FLAG = "--xla_cpu_use_fusion_emitters=false --xla_backend_optimization_level=1"
XLA_DEFAULTS = os.environ.get("JAXSCHED_XLA_DEFAULTS") == "1"

os.environ.setdefault("KERAS_BACKEND", "jax")
_flags = os.environ.get("XLA_FLAGS", "")
if "xla_force_host_platform_device_count" not in _flags:
    _flags += " --xla_force_host_platform_device_count=8"
if not XLA_DEFAULTS:
    for _flag in SUITE_XLA_FLAG.split():
        if _flag.split("=")[0] not in _flags:  # (a setting of the caller's stays)
            _flags += " " + _flag
os.environ["XLA_FLAGS"] = _flags.strip()

import gc  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import jaxsched  # noqa: E402


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    doctest_namespace.update(jax=jax, jnp=jnp, np=np, jaxsched=jaxsched)


def pytest_configure(config):
    # The suite keeps over a million objects alive per worker (JAX's caches
    # of traced, lowered and compiled programs), which Python's collector
    # scans at every full collection: with its default thresholds, about 20
    # full collections and 9 s per worker. A larger young generation, and
    # full collections less often: 3 s. (Garbage is still collected; only
    # less often.)
    gc.set_threshold(10_000, 50, 100)
    # At its end each worker runs pytest's check for exceptions raised in
    # finalizers after five full collections in a row (0.7 s each over those
    # caches); one finds the same garbage here (nothing creates more in
    # between). The setting is pytest's own stash key, where it has one.
    try:
        from _pytest.unraisableexception import gc_collect_iterations_key
    except ImportError:
        return
    config.stash[gc_collect_iterations_key] = 1
