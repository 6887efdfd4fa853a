"""Test-session set-up shared by tests/ and the doctests in jaxsched/.

Environment variables must be set before JAX or Keras are imported:
Keras runs on its JAX backend (it is a test oracle, never a dependency), the
CPU exposes 8 virtual devices for the sharding tests, and XLA compiles with
the suite's setting (below).
"""

import os

# The suite's XLA CPU compiler setting: the older fusion emitters, LLVM's
# optimization level 0 and none of its expensive passes. The suite compiles
# about 3,700 small programs, and compiling them is most of its time: for a
# small program XLA's default CPU pipeline spends most of its time setting
# up its MLIR fusion emitters (the older ones take about 40% less), and then
# LLVM's optimizations (level 0 takes the suite from about 175 s to 120-140 s
# on 2 cores). The values differ from XLA's defaults by at most 4 float32
# units in the last place (a few roundings differ), with the same NaNs: test_precision.py compiles every config of every class both ways
# and bounds the difference, in CI's second pass, which runs the precision
# and Keras parity files again with XLA's defaults; the few tests that
# compare the bits of two programs compile those with XLA's defaults
# (cases.XLA_DEFAULT_OPTIONS) in either pass. JAXSCHED_XLA_DEFAULTS=1 leaves
# XLA's settings alone.
SUITE_XLA_FLAG = ("--xla_cpu_use_fusion_emitters=false --xla_backend_optimization_level=0 "
                  "--xla_llvm_disable_expensive_passes=true")
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
