"""Every step type and range, negative steps, and the values held past the end.

Expected values come from ``tests/reference.py`` (NumPy float64 transcriptions
of the Keras formulas) or are worked out by hand in the test.
"""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsched
import reference as ref
from cases import ROW_IDS, ROWS, STEP_PATHS, batch, jit_apply, on_batch, rates_in

F32_MAX = float(np.finfo(np.float32).max)
# Python-number hyperparameters give JAX's default float (float64 under x64).
DEFAULT = jax.dtypes.canonicalize_dtype(float)
DEFAULT_MAX = float(np.finfo(DEFAULT).max)
INT32_MAX = 2**31 - 1
UINT32_MAX = 2**32 - 1

DETERMINISTIC = [row for row in ROWS if not row.noisy]
DETERMINISTIC_IDS = [row.id for row in DETERMINISTIC]


def _close(got, want, rtol=1e-6):
    """float32 agreement: 1e-6 relative plus 1e-7 of the largest value."""
    want = np.asarray(want, np.float64)
    floor = 1e-7 * max(float(np.max(np.abs(want))), 1e-30)
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=rtol, atol=floor)


# --------------------------------------------------------------------------
# Step types

SMALL_STEPS = [0, 1, 7, 10, 11, 15, 20, 21, 99, 100, 101, 127]

STEP_TYPES = {
    "python-int": lambda s: s,
    "python-float": float,
    **{f"np.{t.__name__}": t for t in (np.int8, np.int16, np.int32, np.int64)},
    **{f"np.{t.__name__}": t for t in (np.uint8, np.uint16, np.uint32, np.uint64)},
    **{f"np.{t.__name__}": t for t in (np.float16, np.float32, np.float64)},
    **{
        f"jnp.{t.__name__}": t
        for t in (jnp.int8, jnp.int16, jnp.int32, jnp.uint8, jnp.uint32, jnp.float16,
                  jnp.bfloat16, jnp.float32)
    },
    "np-0d": lambda s: np.array(s, np.int32),
    "jnp-0d": lambda s: jnp.array(s, jnp.int32),
}


JITTED_STEP_TYPES = ["python-int", "np.int64", "np.uint64", "np.uint32", "jnp.int8",
                     "jnp.bfloat16", "np.float16"]
# The types every row takes: each becomes an int32 or a float32 step (int64 and
# float64 under x64), the programs the other tests compile anyway.
COMMON_STEP_TYPES = ["python-int", "python-float", "np.int32", "np.int64", "np.float32",
                     "jnp.int32", "jnp.float32", "np-0d", "jnp-0d"]


@pytest.mark.parametrize("row", DETERMINISTIC, ids=DETERMINISTIC_IDS)
def test_every_scalar_step_type_gives_the_reference_value(row):
    # One test per row, every step type in it: the row's programs (one per
    # step dtype the schedule sees) compile once, on one worker.
    sched = row.build(row.example)
    want = row.reference(SMALL_STEPS, row.example)
    every = row.id in STEP_PATHS
    for step_type, to_step in STEP_TYPES.items():
        if not every and step_type not in COMMON_STEP_TYPES:
            continue
        calls = [lambda s: sched(s)]
        if step_type in (JITTED_STEP_TYPES if every else ["python-int"]):
            calls.append(lambda s: jit_apply(sched, s))
        for call in calls:
            got = [call(to_step(s)) for s in SMALL_STEPS]
            for g in got:
                assert g.shape == () and g.dtype == DEFAULT, step_type
            try:
                _close(np.stack(got), want)
            except AssertionError as err:
                raise AssertionError(f"step type {step_type}") from err


def test_step_paths_name_rows_of_the_table():
    assert STEP_PATHS <= set(DETERMINISTIC_IDS)


@pytest.mark.parametrize("row", DETERMINISTIC, ids=DETERMINISTIC_IDS)
def test_scalar_negative_nan_and_infinite_steps(row, call):
    # Eagerly and in one jitted closure per schedule, in two batches (one
    # program each): integer steps of the curve and negative steps (the
    # formula extended, as Keras, or the step-0 value held, as documented),
    # then float steps: NaN (a bug upstream: it must show, not become a
    # plausible rate), +inf (the value held at the end, where the schedule
    # ends) and the end itself. Scalar steps of two more types on STEP_PATHS
    # rows (Python ints: test_every_scalar_step_type_gives_the_reference_value).
    sched = row.build(row.example)
    for step_type in ["np.uint32", "jnp.int8"] if row.id in STEP_PATHS else []:
        steps = [10, 101]
        got = np.stack([call(sched, STEP_TYPES[step_type](s)) for s in steps])
        _close(got, row.reference(steps, row.example))
    got = call(sched, np.array([10, 101, *NEGATIVE_STEPS], np.int32))
    _close(got[:2], row.reference([10, 101], row.example))
    if row.negative == "extrapolate":
        _close(got[2:], row.reference(NEGATIVE_STEPS, row.example))
    else:
        assert row.negative == "hold"
        np.testing.assert_array_equal(got[2:], np.full(len(NEGATIVE_STEPS), sched(0)))
    end = row.end(row.example) if row.end is not None else None
    end = np.ceil(end) if end is not None else 0.0
    nan, inf, at_end = call(sched, np.array([np.nan, np.inf, end], np.float32))
    assert np.isnan(nan), nan
    if row.end is not None and row.end(row.example) is not None:
        assert float(inf) == float(at_end)


@pytest.mark.parametrize("row", DETERMINISTIC, ids=DETERMINISTIC_IDS)
@pytest.mark.parametrize("shape", [(3, 4)])
def test_array_steps_are_elementwise_with_the_shape_of_the_steps(row, shape):
    want = row.reference(np.reshape(SMALL_STEPS, shape), row.example)
    sched = row.build(row.example)
    every = row.id in STEP_PATHS  # uint32 and int8 steps: see STEP_PATHS
    for dtype in (np.int8, np.uint32, np.int32, np.float32) if every else (np.int32,
                                                                           np.float32):
        steps = np.array(SMALL_STEPS, dtype).reshape(shape)
        results = [sched(steps), sched(jnp.asarray(steps)), sched(steps.tolist())]
        if dtype in ((np.uint32, np.float32) if every else (np.float32,)):
            results.append(jit_apply(sched, steps))
        for got in results:
            assert got.shape == shape
            _close(got, want)


def test_noisy_schedule_takes_every_step_type():
    sched = jaxsched.NoisyLinearCosineDecay(0.1, 100, seed=3)
    want = np.asarray(sched(np.array(SMALL_STEPS)))
    for name in ["python-int", "python-float", "np.int8", "np.int64", "np.uint64",
                 "np.float16", "jnp.uint32", "jnp.bfloat16", "jnp-0d"]:
        to_step = STEP_TYPES[name]
        calls = [sched]
        if name in JITTED_STEP_TYPES:
            calls.append(partial(jit_apply, sched))
        for call in calls:
            got = np.stack([call(to_step(s)) for s in SMALL_STEPS])
            # The same noise for the same step whatever its type.
            np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=name)
    # Independent draws before the end of the decay (where cosine ~ 0).
    before_end = [v for s, v in zip(SMALL_STEPS, want.tolist()) if s < 99]
    assert np.all(np.isfinite(want)) and len(set(before_end)) == len(before_end)
    assert bool(jnp.isnan(sched(jnp.float32(np.nan))))  # a bug upstream shows


@pytest.mark.parametrize(
    "boundaries",
    [[-5, -1, 2], [-200, 0, 300], [-(2**40), 5, 2**40], [-0.5, 0.5, 127.5]],
    ids=["negative", "beyond-int8", "beyond-int32", "fractional"],
)
def test_piecewise_boundaries_outside_the_step_dtype_keep_their_side(boundaries):
    # Integer steps are compared with the boundaries in the step's own dtype:
    # a boundary below the dtype's range must still count as below every step,
    # one above it as above every step, also when jit passes the boundaries
    # as int32 (or float32) arguments without x64.
    kw = dict(boundaries=boundaries, values=[1.0, 0.5, 0.25, 0.125])
    sched = jaxsched.PiecewiseConstantDecay(**kw)
    candidates = np.array([-128, -6, -5, -4, -1, 0, 1, 2, 3, 126, 127, 128, 255])
    for dtype in (np.int8, np.uint8, np.int32, np.uint32, np.float32):
        info = jnp.iinfo(dtype) if jnp.issubdtype(dtype, np.integer) else None
        steps = [s for s in candidates if info is None or info.min <= s <= info.max]
        want = ref.piecewise_constant_decay(steps, **kw)
        steps = np.array(steps, dtype)
        for got in (sched(steps), jit_apply(sched, steps), sched(steps[3])):
            np.testing.assert_array_equal(got, want if got.ndim else want[3], dtype)


def test_piecewise_fractional_boundaries_split_steps_alike_eager_and_jitted():
    # 524288.97 is 524289.0 in float32: passed to jit without x64, the leaf is
    # float32, so the eager (host) comparison must round it the same way.
    sched = jaxsched.PiecewiseConstantDecay([524288.97, 10**10 + 1], [1.0, 0.5, 0.25])
    steps = np.array([524288, 524289, 524290], np.int32)
    with jax.enable_x64(False):
        results = [sched(steps), jit_apply(sched, steps),
                   np.stack([sched(s) for s in steps.tolist()]),
                   sched(steps.astype(np.float32))]
    for got in results:
        np.testing.assert_array_equal(got, [1.0, 1.0, 0.5])


# --------------------------------------------------------------------------
# Large steps


@pytest.mark.parametrize(
    "decay_steps", [10**11, np.int64(10**11), np.uint64(10**11)], ids=type
)
def test_integer_hyperparameters_beyond_int32_are_exact_without_x64(decay_steps):
    # Without x64, jnp.asarray(10**11) raises OverflowError and an int64 NumPy
    # value wraps to int32 (10**11 -> 1215752192): the hyperparameter must be
    # converted to the float compute dtype on the host instead.
    sched = jaxsched.PolynomialDecay(0.1, decay_steps, end_learning_rate=0.0)
    with jax.enable_x64(False):
        got = sched(np.array([0, 10**10, 5 * 10**10, 10**11], np.float32))
    want = ref.polynomial_decay([0, 10**10, 5 * 10**10, 10**11], 0.1, 10**11, 0.0)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


LARGE_STEPS = {
    "int32-max": INT32_MAX,
    "np.int32-max": np.int32(INT32_MAX),
    "jnp.int32-max": jnp.int32(INT32_MAX),
    "np.uint32-max": np.uint32(UINT32_MAX),
    "jnp.uint32-max": jnp.uint32(UINT32_MAX),
    "np.int64-2**40": np.int64(2**40),
    "python-2**62": 2**62,
    "np.uint64-max": np.uint64(2**64 - 1),
    "float-1e30": 1e30,
    "np.float32-max": np.float32(F32_MAX),
    "np.float64-1e300": np.float64(1e300),
}


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_large_steps_are_finite_and_hold_the_end_value(row):
    sched = row.build(row.example)
    for name, step in LARGE_STEPS.items():
        if "uint32" in name and row.id not in STEP_PATHS:
            continue  # the uint32 program: see STEP_PATHS
        got = sched(step)
        assert got.dtype == DEFAULT and bool(jnp.isfinite(got)), (name, got)
        if row.end is not None and row.end(row.example) is not None:
            end = sched(np.ceil(row.end(row.example)))
            assert float(got) == float(end), (name, got, end)
        if row.bounds is not None:
            lo, hi = row.bounds(row.example)
            assert lo * (1 - 1e-6) <= float(got) <= hi * (1 + 1e-6), (name, got)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_steps_up_to_10_to_the_12_under_x64(row):
    steps = np.array([0, 10**9, INT32_MAX, UINT32_MAX, 2**40, 10**12 - 1, 10**12],
                     np.int64)
    with jax.enable_x64(True):
        sched = row.build(row.example)
        for call in (sched, jax.jit(lambda s: sched(s))):
            got = on_batch(call, steps)
            assert got.dtype == jnp.float64
            assert np.all(np.isfinite(np.asarray(got)))
            if row.reference is not None:
                want = row.reference(steps, row.example)
                np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("t_mul", [0.5, 0.75, 1.0, 1.5, 2.0, 3.0])
def test_restarts_at_10_to_the_12_under_x64_match_the_exact_period(t_mul):
    # Periods of 1000 steps growing by t_mul: at 10**12 the restart index is in
    # the tens (t_mul > 1) or 10**9 (t_mul == 1), found exactly by the reference.
    steps = np.array([10**12 - 1, 10**12, 10**12 + 1, 10**12 + 999], np.int64)
    kw = dict(initial_learning_rate=0.1, first_decay_steps=1000, t_mul=t_mul, m_mul=1.0,
              alpha=0.01)
    with jax.enable_x64(True):
        got = jaxsched.CosineDecayRestarts(**kw)(jnp.asarray(steps))
    if t_mul == 1.0:  # the reference would walk 10**9 periods: do it by hand
        position = (steps % 1000) / 1000
        want = 0.1 * (0.01 + 0.99 * 0.5 * (1 + np.cos(np.pi * position)))
    else:
        want = ref.cosine_decay_restarts(steps, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-13)


# --------------------------------------------------------------------------
# Negative steps


NEGATIVE_STEPS = [-1, -5, -10, -99, -100, -101, -1000]


def test_cosine_without_warmup_steps_extrapolates_the_decay_before_step_0(call):
    # warmup_steps=0 means no warmup: Keras' warmup line would divide by zero
    # before step 0, so the cosine from warmup_target is continued instead.
    sched = jaxsched.CosineDecay(
        0.01, 100, alpha=0.1, warmup_target=0.1, warmup_steps=0
    )
    steps = [-150, -50, -5, -1, 0, 1, 50]
    got = np.stack([call(sched, s) for s in steps])
    _close(got, ref.cosine_decay(steps, 0.1, 100, alpha=0.1))


HUGE_NEGATIVE = {
    "int8-min": np.int8(-128),
    "int16-min": np.int16(-(2**15)),
    "int32-min": np.int32(-(2**31)),
    "jnp.int32-min": jnp.int32(-(2**31)),
    "python--2**62": -(2**62),
    "float--1e30": -1e30,
    "float32-lowest": np.float32(-F32_MAX),
}


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_huge_negative_steps_are_finite(row):
    # Half-precision rates of the rows with a reference: in test_precision's
    # half-precision test, with the values.
    halves = (jnp.float16, jnp.bfloat16) if row.reference is None else ()
    for lr_dtype in (jnp.float32, *halves):
        kw, _ = rates_in(row.example, lr_dtype)
        sched = row.build(kw)
        if lr_dtype != jnp.float32:
            # Half-precision rates: the most negative (float) steps, in one call.
            got = batch(sched, np.array([-1e30, -F32_MAX], np.float32))
            assert got.dtype == lr_dtype, lr_dtype
            assert bool(jnp.all(jnp.isfinite(got))), (lr_dtype, got)
            continue
        for name, step in HUGE_NEGATIVE.items():
            if name in ("int8-min", "int16-min") and row.id not in STEP_PATHS:
                continue  # narrow steps: see STEP_PATHS
            got = sched(step)
            assert got.dtype == lr_dtype, (name, lr_dtype)
            assert bool(jnp.isfinite(got)), (name, lr_dtype, got)


def test_exponential_growth_and_extrapolation_saturate_instead_of_overflowing():
    # The rate initial_learning_rate * decay_rate ** (step / decay_steps)
    # saturates at the largest finite float instead of overflowing to inf
    # (the value, not the factor: not 0.1 * max).
    grow = jaxsched.ExponentialDecay(0.1, 10, 2.0)
    assert float(grow(INT32_MAX)) == DEFAULT_MAX
    assert float(jaxsched.ExponentialDecay(10.0, 10, 2.0)(INT32_MAX)) == DEFAULT_MAX
    # Extrapolating backwards from 0.0 stays 0, not 0 * inf = NaN.
    zero = jaxsched.ExponentialDecay(0.0, 10, 0.5)
    np.testing.assert_array_equal(zero(jnp.array([0, -10, -(10**4), -(2**31)])), 0.0)
    # Within range the extrapolation is the formula: 0.1 * 0.5 ** -100.
    _close(jaxsched.ExponentialDecay(0.1, 1, 0.5)(-100), 0.1 * 2.0**100)
    back = jaxsched.ExponentialDecay(0.1, 1, 0.5)(-2000)
    assert float(back) == DEFAULT_MAX


def test_polynomial_extrapolation_saturates_and_equal_rates_stay_constant():
    sched = jaxsched.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=10.0)
    assert float(sched(-1e38)) == DEFAULT_MAX  # the value saturates, not the factor
    _close(sched(-10), 0.09 * 2.0**10 + 0.01)
    # lr == end: the formula is constant; (lr - end) * inf must not be NaN.
    flat = jaxsched.PolynomialDecay(0.1, 10, end_learning_rate=0.1, power=10.0)
    steps = jnp.array([-1e38, -(2**31), -100, 0, 5, 10, 99])
    np.testing.assert_array_equal(flat(steps), np.asarray(0.1, DEFAULT))


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_restarts_with_growing_m_mul_saturate(alpha):
    # m_mul > 1 is allowed (each restart higher); m_mul ** i overflows after a
    # few hundred restarts and must not give inf or 0 * inf = NaN.
    sched = jaxsched.CosineDecayRestarts(0.1, 10, t_mul=1.0, m_mul=2.0, alpha=alpha)
    got = sched(jnp.array([0, 10, 20, 10 * 200, 10 * 2**24, INT32_MAX]))
    assert np.all(np.isfinite(np.asarray(got))), got
    # Restart i starts at 0.1 * (alpha + (1 - alpha) * 2 ** i).
    _close(got[:3], [0.1 * (alpha + (1 - alpha) * 2**i) for i in range(3)])


@pytest.mark.parametrize("initial_variance", [0.0, 1.0])
def test_noise_variance_that_grows_with_the_step_stays_finite(initial_variance):
    # variance_decay < 0 makes the variance grow: (1 + step) ** -variance_decay
    # overflows float32 long before the end of a 2**31-step decay.
    sched = jaxsched.NoisyLinearCosineDecay(
        0.1, 2**31, initial_variance=initial_variance, variance_decay=-10.0
    )
    got = sched(jnp.array([0, 10**5, 10**9, INT32_MAX]))
    assert np.all(np.isfinite(np.asarray(got))), got
