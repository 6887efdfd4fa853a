"""Property-based tests over every row of the schedule table.

For random valid hyperparameters and random steps:

* the curve: finite everywhere (negative and huge steps included), within the
  documented bounds for steps >= 0, monotone on the documented segments,
  holding its end value, continuous at the documented points;
* the call paths: one array call = scalar calls = a jitted call (schedule as
  argument), and the result dtype follows the rate;
* serialization: ``serialize`` -> JSON -> ``deserialize`` gives a schedule with
  the same values, bit for bit.

A new class joins by adding one row to ``tests/cases.py``.
"""

import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jaxsched
from cases import ROW_IDS, ROWS, jit_apply, on_batch

# The suite draws a fixed set of examples (derandomized: CI is reproducible),
# half of each row's number (most examples compile programs of their own: a
# config's structure and leaf types are drawn too). JAXSCHED_STRESS=N draws N
# times the row's number, at random, to hunt for new cases:
#   JAXSCHED_STRESS=10 python -m pytest -n 2 tests/test_properties.py
STRESS = int(os.environ.get("JAXSCHED_STRESS", "0"))

SETTINGS = settings(
    deadline=None,
    max_examples=4,
    derandomize=not STRESS,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def per_row_examples(test, share=1.0, least=2):
    """The hypothesis test, with the row's ``max_examples`` (default 4), times
    `share` for the costlier tests, halved in the suite (see STRESS); at least
    `least`."""
    if not callable(test):
        return lambda t: per_row_examples(t, share=test, least=least)

    def run(row):
        examples = (row.max_examples or SETTINGS.max_examples) * share
        examples = max(least, round(examples * STRESS if STRESS else examples / 2))
        inner = given(data=st.data())(lambda data: test(row, data))
        settings(SETTINGS, max_examples=examples)(inner)()

    run.__name__ = test.__name__
    run.__doc__ = test.__doc__
    return run


N_STEPS = 24
INT32_MAX = 2**31 - 1


def _jit_apply(sched, steps):
    """The user's jit, the schedule an argument, on a padded batch (one
    program per class, static options and step dtype for every test)."""
    return on_batch(jit_apply, sched, steps)


def _scale(row, kw):
    """A step scale covering the interesting part of the curve."""
    end = row.end(kw) if row.end else None
    for key in ("decay_steps", "first_decay_steps", "total_decay_steps"):
        if end is None and key in kw:
            end = kw[key] * 4 + max(kw.get("offset", 0), 0)
    if end is None and "boundaries" in kw:
        end = kw["boundaries"][-1] + max(kw.get("offset", 0), 0)
    if end is None and "warmup_steps" in kw:
        end = kw["warmup_steps"] * 2
    if end is None and "offset" in kw:
        end = max(kw["offset"], 0) + 100
    return max(float(end or 100) * 1.5, 10.0)


@st.composite
def steps_for(draw, row, kw, negative=False, huge_negative=False):
    """N_STEPS sorted steps: random ints and floats up to a few times the
    schedule's length (and as far before 0 with `negative`), the documented
    special points, and huge steps."""
    scale = _scale(row, kw)
    lo = -scale if negative else 0
    ints = draw(st.lists(st.integers(int(lo), int(scale)), min_size=12, max_size=12))
    # No subnormal steps: XLA flushes float32 subnormals to zero where NumPy
    # keeps them, so a step of -1e-45 is 0 on one path and -1e-45 on another
    # (with staircase=True, floor gives 0 or -1).
    tiny_to_zero = st.floats(lo, scale).map(lambda x: 0.0 if abs(x) < 1e-30 else x)
    floats = draw(st.lists(tiny_to_zero, min_size=6, max_size=6))
    special = [0.0, float(INT32_MAX), 1e30]
    if row.end and row.end(kw) is not None:
        special.append(float(np.ceil(row.end(kw))))
    if huge_negative:
        special += [-float(INT32_MAX), -1e30]
    steps = sorted([*map(float, ints), *floats, *special])
    steps = (steps + [scale] * N_STEPS)[:N_STEPS]
    return np.array(sorted(steps), np.float32)


def _peak(values):
    return max(float(np.max(np.abs(values))), 1e-30)


def _draw_schedule(row, data):
    kw = data.draw(row.kwargs, label="kwargs")
    return kw, row.build(kw)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
@per_row_examples
def test_curve_is_finite_bounded_monotone_and_holds_its_end(row, data):
    kw, sched = _draw_schedule(row, data)
    steps = data.draw(steps_for(row, kw), label="steps")
    values = np.asarray(_jit_apply(sched, steps), np.float64)
    assert np.all(np.isfinite(values)), values
    peak = _peak(values)
    if row.bounds:
        lo, hi = row.bounds(kw)
        peak = max(peak, abs(lo), abs(hi))
    # float32 rounding, relative to the largest value the schedule can take
    # (PolynomialDecay(1e-7, ..., end_learning_rate=1.0) computes its first
    # value as 1.0 - 0.9999999, within 1e-7 of 1.0, but not of 1e-7).
    tol = 1e-6 * peak + 1e-30
    if row.bounds:
        assert np.all(values >= lo - 1e-6 * abs(lo) - tol), (lo, values.min())
        assert np.all(values <= hi + 1e-6 * abs(hi) + tol), (hi, values.max())
    for first, last, sign in (row.monotone(kw) or []) if row.monotone else []:
        inside = (steps >= first) & ((steps <= last) if last is not None else True)
        diffs = np.diff(values[inside]) * sign
        assert np.all(diffs >= -tol), (first, last, sign, values[inside])
    if row.end and row.end(kw) is not None:
        end = np.float32(np.ceil(row.end(kw)))
        held = values[steps >= end]
        assert np.all(held == values[np.argmax(steps >= end)]), held
    if not row.noisy:
        negative = data.draw(
            steps_for(row, kw, negative=True, huge_negative=True), label="negative steps"
        )
        assert np.all(np.isfinite(np.asarray(_jit_apply(sched, negative))))


CONTINUOUS = [row for row in ROWS if row.continuous_at]


@pytest.mark.parametrize("row", CONTINUOUS, ids=[row.id for row in CONTINUOUS])
@per_row_examples
def test_curve_is_continuous_at_the_documented_points(row, data):
    # |v(p - d) - v(p)| <= slope * d for shrinking d: no jump at the end of
    # warmup (the line reaches warmup_target there) or at the end of a decay.
    kw = data.draw(row.kwargs, label="kwargs")
    points = row.continuous_at(kw)
    if not points:
        return
    with jax.enable_x64(True):  # resolve small d at large p
        sched = row.build(kw)
        for point, slope, span in points:
            d = np.array([1e-2, 1e-3, 1e-4]) * span
            values = np.asarray(sched(jnp.asarray(np.concatenate([[point], point - d]))))
            at, left = values[0], values[1:]
            # Rounding, relative to the largest value the schedule can take
            # (values[i+1] + (values[i] - values[i+1]) * 1 is not exact).
            peak = max([_peak(values), *map(abs, row.bounds(kw) if row.bounds else ())])
            bound = slope * d * (1 + 1e-6) + 1e-12 * peak
            assert np.all(np.abs(left - at) <= bound), (point, at, left, bound)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
@per_row_examples(0.25, least=1)  # each example compiles four programs
def test_scalar_array_and_jitted_calls_agree(row, data):
    kw, sched = _draw_schedule(row, data)
    # Not far before step 0: there LinearCosineDecay's phase n * step / k is
    # beyond float32 resolution, and different programs round it differently
    # (the value stays finite; see the README's Numerics).
    steps = data.draw(steps_for(row, kw, negative=True), label="steps")
    ints = np.clip(np.round(steps), -(2**31) + 128, 2**31 - 128).astype(np.int32)
    # In the user's jit, the schedule an argument (the curve and JSON tests'
    # program for the float steps).
    jitted_both = [_jit_apply(sched, steps), _jit_apply(sched, ints)]
    for batch, jitted in zip((steps, ints), jitted_both):
        array = on_batch(sched, batch)
        assert array.dtype == jax.dtypes.canonicalize_dtype(float)
        assert np.all(np.isfinite(array)) or row.noisy
        # An eager call runs the schedule's compiled program; inside the
        # user's jit, with the schedule as an argument, the same program is
        # inlined: the same numbers, bit for bit (offsets included: the step
        # is shifted inside the program either way). Where the two lower to
        # the same StableHLO, cases.jit_apply runs the eager call's
        # executable; where they do not, two compilations are compared.
        np.testing.assert_array_equal(np.asarray(jitted), array)
        if batch.dtype != np.float32:
            continue  # scalar calls: float steps (one more program per example)
        scalars = np.stack([sched(s) for s in batch[::4]])
        # Scalar calls are another program (other shapes vectorize and fuse
        # differently). Each is within the precision tests' 1e-6 of the exact
        # value, so two differ by at most twice that (times |log(value /
        # value at 0)| for the exponential family, where an error in the
        # exponent is an error in the value).
        v0 = max(abs(float(on_batch(sched, [0])[0])), 1e-30)
        magnitude = np.maximum(np.abs(array.astype(np.float64)), 1e-30)
        growth = np.abs(np.log(magnitude) - np.log(v0))  # no underflow of the ratio
        peak = max([_peak(array), *map(abs, row.bounds(kw) if row.bounds else ())])
        tol = 2e-6 * np.abs(array) * (1 + growth) + 2e-7 * peak
        tol = tol + 2 * row.float32_atol(kw, batch)
        tol = np.broadcast_to(tol, array.shape)
        np.testing.assert_array_less(np.abs(scalars - array[::4]), tol[::4] + 1e-30)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
@per_row_examples
def test_json_round_trip_gives_the_same_values(row, data):
    kw, sched = _draw_schedule(row, data)
    text = json.dumps(jaxsched.serialize(sched))
    again = jaxsched.deserialize(json.loads(text))
    assert type(again) is type(sched)
    assert json.dumps(jaxsched.serialize(again)) == text
    steps = data.draw(steps_for(row, kw, negative=True), label="steps")
    np.testing.assert_array_equal(_jit_apply(again, steps), _jit_apply(sched, steps))
