"""Precision against independent float64 references, in every float dtype.

Every config of the case table (each row's example and cases) is checked.

* float32: within 1e-6 relative plus 1e-7 of the schedule's peak, at integer
  steps float32 holds exactly (up to 2**24) and one step before, on and
  after every mark of the config, eagerly and under jit (schedule
  as argument, and as a constant, where XLA rewrites ``s / c`` as
  ``s * (1 / c)``).
* float64 (x64, Python and float64 hyperparameters): within 1e-14 relative
  plus 1e-15 of the peak (the float64 references themselves round to about
  1e-16 of the peak, e.g. ``0.5 * (1 + cos(x))`` near the end of a decay).
* bfloat16 / float16 rates: results of that dtype, within one unit in the
  last place of the reference evaluated at the rounded rate.
* CosineDecayRestarts: the restart index is exact one step before, at and
  after every restart boundary, for t_mul of 1, 2, 1.5, 3, 0.75 and 0.5.

``tests/reference.py`` evaluates the Keras formulas in NumPy float64 and walks
the SGDR periods with exact rationals; nothing here is computed by jaxsched.
"""

import bisect
import decimal
import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsched
from jaxsched import _numerics as nx
import reference as ref
from jaxsched._cosine import _restart
from cases import (ROWS, SUITE_OPTIONS, XLA_DEFAULT_OPTIONS, XLA_DEFAULTS_PASS, Inner,
                   batch, on_batch, padded, rates_in, restarts_reference, signature)

# Extra configs per class (each row's example is always tested): long and
# short decays, fractional decay_steps, staircase, warmup, every t_mul kind.

REFERENCED = [row for row in ROWS if row.reference is not None]
PRECISION = [
    pytest.param(row, kw, marks, id=f"{row.id}-{i}")
    for row in REFERENCED
    for i, (kw, marks) in enumerate(row.all_cases)
]
_REFERENCES = {}


def _reference(row, kw, steps, rounded):
    """row.reference(steps, kw), at the float32 roundings of the
    hyperparameters when `rounded`; computed once per config (the call
    paths and hyperparameter kinds of one config share it)."""
    key = (row.id, repr(kw), steps.tobytes(), rounded)
    if key not in _REFERENCES:
        _REFERENCES[key] = row.reference(steps, _rounded_to_float32(kw) if rounded
                                         else kw)
    return _REFERENCES[key]

# Integer steps float32 holds exactly: dense at the start, then around
# the ends of the long decays, and up to 2**24.
STEPS = np.concatenate(
    [
        np.arange(0, 3000),
        [10**5, 2**20, 999_999, 10**6, 10**6 + 1, 2**24 - 1, 2**24],
    ]
).astype(np.int32)


def _assert_close(got, want, rtol, peak_fraction, atol=0.0):
    got = np.asarray(got, np.float64)
    peak = float(np.max(np.abs(want)))
    err = np.abs(got - want)
    tol = rtol * np.abs(want) + peak_fraction * peak + atol
    worst = int(np.argmax(err - tol))
    assert np.all(err <= tol), (
        f"step index {worst}: got {got[worst]!r}, want {want[worst]!r}, "
        f"relative error {err[worst] / max(abs(want[worst]), 1e-300):.3g}"
    )


def _rounded_to_float32(kw):
    """The hyperparameters as float32 holds them. A float32 schedule computes
    with decay_rate=0.999 rounded to 0.99900001; at step 2997 with
    decay_steps=3.7 the exponent 810 turns that 1.3e-8 into 1e-5 of the value.
    That is the input's rounding, not the arithmetic's, so the reference gets
    the same inputs."""

    def f32(v):
        if isinstance(v, Inner):
            return Inner(v.name, _rounded_to_float32(v.kw))
        if isinstance(v, (list, tuple)):
            return [f32(x) for x in v]
        if isinstance(v, float):
            return float(np.float32(v))
        return v

    return {k: f32(v) for k, v in kw.items()}


def _with_marks(steps, marks):
    """`steps` plus one step before, on and after every mark (as float64 when a
    mark is fractional)."""
    around = [m + d for m in marks for d in (-1, 0, 1)]
    if all(float(m).is_integer() for m in around):
        steps = np.union1d(steps, np.asarray(around, steps.dtype))
    else:
        steps = np.union1d(steps.astype(np.float64), around)
    return steps  # (called on batches padded to a multiple of cases.BATCH)


@pytest.mark.parametrize("row", REFERENCED, ids=[row.id for row in REFERENCED])
def test_float32_matches_the_float64_reference(row):
    # Every config of the row, eagerly (configs of one structure share their
    # program) and as constants of the user's jit: every config in one
    # program (one compilation per row instead of one per config).
    configs = [(kw, _with_marks(STEPS, marks)) for kw, marks in row.all_cases]
    with jax.enable_x64(False):
        scheds = [row.build(kw) for kw, _ in configs]
        eager = [batch(sched, steps) for sched, (_, steps) in zip(scheds, configs)]
        constants = jax.jit(lambda *ts: [sched(t) for sched, t in zip(scheds, ts)])(
            *[padded(steps) for _, steps in configs])
    for i, ((kw, steps), got_eager, got_jit) in enumerate(zip(configs, eager, constants)):
        want = _reference(row, kw, steps, rounded=True)
        for how, got in (("eager", got_eager), ("jit_closure", got_jit)):
            got = np.asarray(got)[: len(steps)]
            assert got.dtype == np.float32, (i, how)
            try:
                _assert_close(got, want, 1e-6, 1e-7, row.float32_atol(kw, steps))
            except AssertionError as err:
                raise AssertionError(f"config {i} ({kw}), {how}") from err


# Float steps off the integers and beyond the decays: negative, fractional,
# huge, infinite, NaN.
ODD_STEPS = np.array([-np.inf, -3.4e38, -1e30, -2.0**31, -1000.5, -1, -0.5, 0.25, 0.5,
                      7.5, 99.5, 1e7 + 0.5, 2.0**24 + 2, 2.0**31, 1e30, 3.4e38, np.inf,
                      np.nan], np.float32)


# The most the suite's XLA setting (conftest.py) moves a float32 value from
# XLA's defaults, in units in the last place (4 measured, for
# CosineDecayRestarts; most classes give the same bits).
SUITE_ULPS = 4


@pytest.mark.skipif(not XLA_DEFAULTS_PASS, reason="runs in the pass with XLA's defaults "
                    "(JAXSCHED_XLA_DEFAULTS=1, .ci/run's second command)")
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_the_suites_xla_setting_is_within_4_ulps_of_xla_defaults(row):
    # conftest.py compiles the suite with XLA's older CPU fusion emitters
    # and no LLVM optimization (faster to compile): every test's conclusion
    # about values holds for XLA's default pipeline up to SUITE_ULPS units
    # in the last place, which are below every tolerance of the first pass
    # (the tighter checks run again in this pass). Every config of every
    # class, at its marks +-1 and the odd float steps, through the user's
    # jit with the schedule an argument (the program of an eager call),
    # compiled both ways: the same NaNs, the same infinities, at most
    # SUITE_ULPS apart elsewhere. Configs of one structure share a program:
    # one program holds one copy per structure, run once per config of it.
    groups = {}
    with jax.enable_x64(False):
        for kw, marks in row.all_cases:
            sched, ints = row.build(kw), padded(_with_marks(STEPS, marks))
            groups.setdefault(signature((sched, ints)), []).append((sched, ints))
        floats = padded(ODD_STEPS)
        both = jax.jit(lambda ss, ii, f: [(s(i), s(f)) for s, i in zip(ss, ii)])
        first = [group[0] for group in groups.values()]
        lowered = both.lower([s for s, _ in first], [i for _, i in first], floats)
        suite = lowered.compile(compiler_options=SUITE_OPTIONS)
        default = lowered.compile(compiler_options=XLA_DEFAULT_OPTIONS)
        for n in range(max(map(len, groups.values()))):
            # The n-th config of each structure (the last one where a
            # structure has fewer).
            args = ([g[min(n, len(g) - 1)][0] for g in groups.values()],
                    [g[min(n, len(g) - 1)][1] for g in groups.values()], floats)
            ours, theirs = suite(*args), default(*args)
            for i, (a, b) in enumerate(zip(jax.tree.leaves(ours), jax.tree.leaves(theirs))):
                a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
                nan = np.isnan(a)
                assert np.array_equal(nan, np.isnan(b)), (n, i)
                np.testing.assert_array_equal(a[np.isinf(a)], b[np.isinf(a)])
                ulps = np.abs(_ordinal(a[~nan]) - _ordinal(b[~nan]))
                assert ulps.max(initial=0) <= SUITE_ULPS, (n, i, ulps.max())


def _ordinal(x):
    """float32 values as integers in the order of the floats, one apart
    where the floats are (-0.0 and 0.0 the same)."""
    bits = x.view(np.int32).astype(np.int64)
    return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)


F32_MAX = float(np.finfo(np.float32).max)
NEGATIVE_STEPS = -np.concatenate(
    [np.arange(1, 3000), [10**5, 10**6 + 3, 2**24 - 1]]
).astype(np.int32)


@pytest.mark.parametrize(
    "kw",
    [
        dict(initial_learning_rate=0.1, decay_steps=1000),
        dict(initial_learning_rate=0.1, decay_steps=7, alpha=0.1),
        dict(initial_learning_rate=0.01, decay_steps=7.5, alpha=0.1, warmup_target=0.1,
             warmup_steps=0),
    ],
    ids=["k1000", "k7", "k7.5-no-warmup"],
)
def test_cosine_extrapolation_before_step_0_keeps_float32_precision(kw, call):
    # CosineDecay extrapolates Keras' cosine before step 0 (the offset
    # variants rely on it): at step -10**6 with decay_steps=7, computing
    # (k - s) / k first leaves no digit of the phase.
    with jax.enable_x64(False):
        got = call(jaxsched.CosineDecay(**kw), NEGATIVE_STEPS)
    no_warmup = {k: v for k, v in kw.items() if k not in ("warmup_target",
                                                         "warmup_steps")}
    if "warmup_target" in kw:  # warmup_steps=0: the decay from warmup_target
        no_warmup["initial_learning_rate"] = kw["warmup_target"]
    want = ref.cosine_decay(NEGATIVE_STEPS, **_rounded_to_float32(no_warmup))
    _assert_close(got, want, 1e-6, 1e-7)


def test_cosine_warmup_longer_than_float32_resolves_decays_from_its_end(call):
    # CosineDecay(0, 5, warmup_target=1, warmup_steps=1e8 + 8): float32
    # spaces steps by 8 there, and k + w (1e8 + 13) rounds to 1e8 + 16: the
    # decay's phase must come from the steps since the warmup's end, not
    # from k + w - s (1.6 of the half period at s = w). Hand-computed: the
    # target at the warmup's end; the decay (5 steps) is over 8 steps on
    # (alpha * target = 0.1); halfway through for k = 16.
    w = np.float32(1e8 + 8)
    steps = np.asarray([w, w + 8, w + 16, w + 2**20], np.float32)
    with jax.enable_x64(False):
        got = call(jaxsched.CosineDecay(0.0, 5, 0.1, warmup_target=1.0, warmup_steps=w),
                   steps)
        np.testing.assert_allclose(got, [1.0, 0.1, 0.1, 0.1], rtol=1e-6)
        got = call(jaxsched.CosineDecay(0.0, 16, warmup_target=1.0, warmup_steps=w),
                   steps[:2])
        np.testing.assert_allclose(got, [1.0, 0.5], rtol=1e-6)


@pytest.mark.parametrize("power", [1.0, 0.5, 2.0])
@pytest.mark.parametrize("decay_steps", [1.875, 1000, 7])
def test_cyclic_polynomial_is_precise_at_large_float32_steps(power, decay_steps, call):
    # The distance to the end of the cycle, multiplier * decay_steps - step,
    # must not be the difference of two numbers near 2**31 (float32 keeps
    # nothing of it); the reference evaluates Keras' formula exactly at the
    # float32 value of each step.
    steps = np.array([2**24 + 4, 2**24 + 1000, 123456789, 2**31, 3e9, 1e30, 3e38],
                     np.float32)
    kw = dict(initial_learning_rate=1.0, decay_steps=decay_steps,
              end_learning_rate=0.01, power=power, cycle=True)
    with jax.enable_x64(False):
        got = np.asarray(call(jaxsched.PolynomialDecay(**kw), steps), np.float64)
    k = Fraction(decay_steps)
    want = []
    for step in steps.tolist():
        total = k * math.ceil(Fraction(step) / k)
        want.append(0.99 * float((total - Fraction(step)) / total) ** power + 0.01)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def _as_float64_arrays(kw):
    return {
        k: (np.asarray(v, np.float64) if isinstance(v, (int, float, list)) and
            not isinstance(v, bool) and not any(isinstance(x, Inner) for x in
                                                np.atleast_1d(np.asarray(v, object)))
            else v)
        for k, v in kw.items()
    }


@pytest.mark.parametrize("row, kw, marks", PRECISION)
def test_float64_matches_the_float64_reference(row, kw, marks):
    steps = np.concatenate([STEPS, [2**31 - 1, 2**32 + 1, 10**12]]).astype(np.int64)
    steps = _with_marks(steps, marks)
    # Python-number hyperparameters for every config; float64 leaves (the
    # other leaf kind, one more program) for the row's example.
    hypers = ["python", "float64"] if kw is row.example else ["python"]
    for hyper in hypers:
        _check_float64(row, kw, steps, hyper)


def _check_float64(row, kw, steps, hyper):
    with jax.enable_x64(True):
        sched = row.build(kw if hyper == "python" else _as_float64_arrays(kw))
        # Eagerly; for the example also as constants of the user's jit (where
        # s / c becomes s * (1 / c); float32 checks that for every config).
        calls = [batch(sched, steps)]
        if hyper == "python" and kw is row.example:
            calls.append(on_batch(jax.jit(lambda s: sched(s)), steps))
        for got in calls:
            assert got.dtype == jnp.float64
            _assert_close(got, _reference(row, kw, steps, rounded=False), 1e-14, 1e-15)


_jit_apply_both = jax.jit(lambda sched, a, b: (sched(a), sched(b)))


@pytest.mark.parametrize("row", REFERENCED, ids=[row.id for row in REFERENCED])
@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16], ids=["bf16", "f16"])
def test_half_precision_rates_give_results_of_their_dtype(row, dtype):
    # The reference is evaluated at the rates rounded to the dtype; the
    # result must then be within one unit in the last place of the dtype.
    kw, rounded = rates_in(row.example, dtype)
    sched = row.build(kw)
    steps = np.arange(0, 200, dtype=np.int32)
    # The most negative float32 steps, where the value must still be a
    # finite number of the dtype.
    extremes = np.array([-1e30, -F32_MAX], np.float32)
    # Both batches in one program of the user's jit with the schedule an
    # argument: the program an eager call runs (test_properties.py checks
    # that the two agree bit for bit).
    calls = _jit_apply_both(sched, padded(steps), padded(extremes))
    calls = [np.asarray(calls[0])[: len(steps)], np.asarray(calls[1])[: len(extremes)]]
    want = row.reference(steps, rounded)
    info = jnp.finfo(dtype)
    for got in calls:
        assert got.dtype == dtype
        if len(got) == len(extremes):
            assert np.all(np.isfinite(got.astype(np.float32))), got
        else:
            _assert_close(got, want, float(info.eps), 0.0, float(info.smallest_normal))


def test_noisy_half_precision_rate_gives_its_dtype():
    for dtype in (jnp.bfloat16, jnp.float16, jnp.float32):
        sched = jaxsched.NoisyLinearCosineDecay(jnp.asarray(0.1, dtype), 100)
        got = sched(jnp.arange(200))
        assert got.dtype == dtype and bool(jnp.all(jnp.isfinite(got)))


# --------------------------------------------------------------------------
# CosineDecayRestarts: the restart index at every restart boundary


def _restart_starts(first, t_mul, limit):
    """Exact period starts S_i = first * (t**i - 1) / (t - 1) below `limit`
    (for t_mul == 1, the first and last thousand)."""
    if t_mul == 1.0:
        n = math.ceil(limit / first)
        return [i * first for i in [*range(min(n, 1000)), *range(max(n - 1000, 0), n)]]
    t, start, length = Fraction(t_mul), Fraction(0), Fraction(first)
    starts = []
    while start < limit and length >= Fraction(1, 4):
        starts.append(start)
        start, length = start + length, length * t
    return starts


def _period_index(step, first, t_mul):
    """The exact restart index of `step` (None past a t_mul < 1 horizon)."""
    if t_mul == 1.0:
        return step // first
    period = ref.restart_period(step, first, t_mul)
    return None if period is None else period[0]


def _boundary_steps(starts):
    steps = set()
    for s in starts:
        lo, hi = math.floor(s), math.ceil(s)
        steps.update({lo - 1, lo, hi, hi + 1})
    return np.array(sorted(x for x in steps if x >= 0), np.int64)


def _exact_indices(steps, first, t_mul, dtype):
    """(exact restart index or -1 past the horizon, checkable) per step.

    A step within two units in the last place (of `dtype`) of a restart
    boundary S_i that `dtype` cannot hold is not checkable: S_i is rounded to
    the nearest representable number before any comparison, whatever the
    formula (t_mul=1.5, first=10: S_33 = 12943176.498 is 12943176 in float32).
    """
    starts = _restart_starts(first, t_mul, int(steps.max()) + 3)
    index, checkable = [], []
    for s in steps.tolist():
        i = _period_index(s, first, t_mul)
        index.append(-1 if i is None else i)
        at = bisect.bisect_left(starts, s - 2)
        near = [S for S in starts[at : at + 8] if abs(S - s) <= 2]
        ok = True
        for S in near:
            held = Fraction(float(np.asarray(float(S), dtype)))
            if held != S:
                ulp = float(np.spacing(np.asarray(float(S), dtype)))
                ok = ok and abs(S - s) > 2 * ulp
        checkable.append(ok)
    return np.array(index), np.array(checkable)


def _restart_index(first, t_mul, steps, how):
    """jaxsched's restart index (-1 past the horizon), as __call__ computes it:
    compiled with the hyperparameters as arguments (as every call, eager or
    not, with the schedule as an argument) or as constants (a closure)."""
    dtype = steps.dtype

    def index(s, k, t):
        i, _, _, past_end = _restart(s, k, t)
        return jnp.where(past_end, -1, i)

    k, t = jnp.asarray(first, dtype), jnp.asarray(t_mul, dtype)
    if how == "jit_arg":
        return jax.jit(index)(steps, k, t)
    return jax.jit(lambda s: index(s, k, t))(steps)  # hyperparameters as constants


RESTARTS = [
    (1.0, 7),
    (1.0, 1000),
    (2.0, 10),
    (2.0, 3),
    (1.5, 10),
    (3.0, 7),
    (0.75, 1024),
    (0.75, 10),
    (0.5, 1024),
    (0.5, 10),
]
RESTART_IDS = [f"t{t}-k{k}" for t, k in RESTARTS]


@pytest.mark.parametrize("t_mul, first", RESTARTS, ids=RESTART_IDS)
@pytest.mark.parametrize("how", ["jit_arg", "jit_closure"])
def test_restart_index_is_exact_around_every_restart_float32(t_mul, first, how):
    steps = _boundary_steps(_restart_starts(first, t_mul, 2**24))
    steps = steps[steps <= 2**24]
    want, checkable = _exact_indices(steps, first, t_mul, np.float32)
    with jax.enable_x64(False):
        got = np.asarray(_restart_index(first, t_mul, steps.astype(np.float32), how))
    assert checkable.mean() > 0.8  # t_mul=1.5: S_i above 2**22 are not held
    bad = checkable & (got != want)
    assert not bad.any(), (steps[bad][:5], got[bad][:5], want[bad][:5])


@pytest.mark.parametrize("t_mul, first", RESTARTS, ids=RESTART_IDS)
def test_restart_index_is_exact_under_x64_up_to_10_to_the_12(t_mul, first):
    if t_mul < 1:
        first = first * 10**8  # a horizon near 10**11
    steps = _boundary_steps(_restart_starts(first, t_mul, 10**12))
    steps = steps[steps <= 10**12]
    want, checkable = _exact_indices(steps, first, t_mul, np.float64)
    with jax.enable_x64(True):
        got = _restart_index(first, t_mul, steps.astype(np.float64), "jit_arg")
        got = np.asarray(got)
    assert checkable.mean() > 0.99
    bad = checkable & (got != want)
    assert not bad.any(), (steps[bad][:5], got[bad][:5], want[bad][:5])


def _decimal_starts(first, t_mul, limit, count=200_000):
    """Period starts with 60 significant digits: the rational walk's
    denominators grow by 24 to 53 bits per period for a t_mul such as 1.001."""
    with decimal.localcontext() as context:
        context.prec = 60
        t, start, length = decimal.Decimal(t_mul), decimal.Decimal(0), decimal.Decimal(first)
        starts = []
        while start < limit and length > decimal.Decimal("0.25") and len(starts) < count:
            starts.append(start)
            start, length = start + length, length * t
    return starts


NEAR_ONE = [1.1, 1.01, 1.001, 1.0001, 1 + 2**-20, 0.999, 0.99, 0.9]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("t_mul", NEAR_ONE)
def test_restart_index_is_exact_for_t_mul_near_1(t_mul, dtype):
    # With t_mul near 1 the closed form k * (t**i - 1) / (t - 1) cancels:
    # at t_mul=1.0001 (float32) it put restarts thousands of units in the
    # last place off. Steps more than a few units in the last place of S_i
    # away from it must get the exact index (the dtype cannot resolve closer).
    t = float(dtype(t_mul))
    limit = 2**20 if dtype == np.float32 else 10**9
    starts = _decimal_starts(10, t, limit)
    chosen = starts if len(starts) < 2000 else starts[:1000] + starts[-1000:]
    steps = [
        x
        for start in chosen
        for x in range(math.floor(start) - 1, math.ceil(start) + 2)
        if 0 <= x < min(limit, starts[-1])
    ]
    steps = np.array(sorted(set(steps)), np.int64)
    want = np.array([bisect.bisect_right(starts, s) - 1 for s in steps.tolist()])
    margin = []
    for s, i in zip(steps.tolist(), want.tolist()):
        near = [S for S in starts[max(i, 0) : i + 2]]
        ulp = float(np.spacing(dtype(float(near[-1]))))
        margin.append(min(abs(float(S - s)) for S in near) / ulp)
    checkable = np.array(margin) > 8
    with jax.enable_x64(dtype == np.float64):
        got = np.asarray(_restart_index(10, t, steps.astype(dtype), "jit_arg"))
    assert checkable.mean() > 0.8  # at 2**20, 8 units in float32 are half a step
    bad = checkable & (got != want)
    assert not bad.any(), (steps[bad][:5], got[bad][:5], want[bad][:5])


@pytest.mark.parametrize("t_mul, first", RESTARTS, ids=RESTART_IDS)
def test_restart_values_around_every_restart(t_mul, first, call):
    # Through the public API. m_mul = 0.5 gives each period its own level
    # 0.5 ** i; the comparison is relative to that level (float32 resolves a
    # position within a period of 0.3 steps near the t_mul < 1 horizon only
    # to about 1e-3 of it).
    steps = _boundary_steps(_restart_starts(first, t_mul, 2**24))
    steps = steps[steps <= 2**24]
    index, checkable = _exact_indices(steps, first, t_mul, np.float32)
    steps = steps[checkable]
    m_mul = 0.5 if t_mul != 1 else 1.0  # 0.5 ** (2**24 / 7) would underflow
    kw = dict(initial_learning_rate=1.0, first_decay_steps=first, t_mul=t_mul,
              m_mul=m_mul)
    with jax.enable_x64(False):
        sched = jaxsched.CosineDecayRestarts(**kw)
        got = np.asarray(call(sched, steps.astype(np.int32)))
    want = restarts_reference(steps, kw)
    index = index[checkable]
    level = np.where(index < 0, 1.0, m_mul ** index.astype(float))
    err = np.abs(got - want)
    tol = 1e-6 * np.abs(want) + 1e-2 * level + 1e-37
    assert np.all(err <= tol), steps[np.argmax(err - tol)]


# (t_mul, first_decay_steps) whose restart index on int32 steps stays below
# 64 (the captured program then drops the branch of larger indices: see
# _cosine._index_bound), and two where it does not (1.125 and 0.875: the
# logarithm's estimate reaches about 112 and 125).
INT32_RESTARTS = [(2.0, 10), (1.5, 10), (3.0, 7), (2.0, 30_000), (1.125, 1000),
                  (0.5, 10), (0.75, 1024), (0.875, 10)]


@pytest.mark.parametrize("t_mul, first", INT32_RESTARTS,
                         ids=[f"t{t}-k{k}" for t, k in INT32_RESTARTS])
def test_restart_values_on_int32_steps_up_to_the_largest(t_mul, first, call):
    # Every restart boundary +-1 of int32 steps up to 2**31 - 1 (and the
    # extremes), against the exact rational walk at the float32 value of the
    # step: the index of a captured schedule's bounded table must reach
    # every period int32 steps can see.
    starts = _restart_starts(first, t_mul, 2**31)
    # Boundaries +-1, and +-3 float32 units where a unit is more than a
    # step, and the middle of each period.
    at = np.array([float(x) for x in starts])
    unit = np.spacing(at.astype(np.float32)).astype(np.float64)
    ends = np.array([float(x) for x in starts[1:]] + [2.0**31])
    extra = np.concatenate([np.floor(at - 3 * unit), np.ceil(at + 3 * unit),
                            np.floor((at + ends) / 2)])
    steps = np.unique(np.concatenate([_boundary_steps(starts), extra.astype(np.int64)]))
    steps = np.concatenate([steps[(steps >= 0) & (steps < 2**31 - 1)], [2**31 - 1]])
    rounded = steps.astype(np.float32).astype(np.float64)  # what the formula sees
    periods = [ref.restart_period(x, first, t_mul) for x in rounded.tolist()]
    index = np.array([-1 if p is None else p[0] for p in periods])
    length = np.array([np.inf if p is None else float(p[2]) for p in periods])
    # Not checkable: within two float32 units of a boundary (which float32
    # rounds before any comparison, whatever the formula).
    ulp = np.spacing(rounded.astype(np.float32)).astype(np.float64)
    bounds = np.array([float(x) for x in starts])
    gap = np.abs(bounds[None, :] - rounded[:, None]).min(axis=1)
    checkable = gap > 2 * ulp
    kw = dict(initial_learning_rate=1.0, first_decay_steps=first, t_mul=t_mul,
              m_mul=0.9)
    with jax.enable_x64(False):
        sched = jaxsched.CosineDecayRestarts(**kw)
        got = np.asarray(call(sched, steps.astype(np.int32)), np.float64)
        low = np.asarray(call(sched, np.array([-(2**31)], np.int32)))
    want = restarts_reference(rounded[checkable], kw)
    level = np.where(index < 0, 1.0, 0.9 ** np.maximum(index, 0).astype(float))[checkable]
    assert checkable.sum() >= 2 * len(starts)
    # A position within a period is held to a few float32 units of the step
    # (128 steps at 2**31, a period of 2**30 there; 5e-4 of a step near the
    # t_mul < 1 horizon, where periods are a fraction of a step); the
    # cosine's slope is at most pi / 2 per period.
    err = np.abs(got[checkable] - want)
    tol = level * (1e-6 + 8 * ulp / length)[checkable] + 1e-30
    assert np.all(err <= tol), rounded[checkable][np.argmax(err - tol)]
    np.testing.assert_allclose(low, 1.0, rtol=1e-6)  # before step 0: period 0


@pytest.mark.parametrize("first", [7, 1000, 1, 2, 2.5])
def test_swept_uniform_periods_are_exact_around_every_restart_up_to_2_to_the_24(first):
    # A sweep over t_mul computes the uniform periods (t_mul == 1) beside the
    # geometric ones. With steps in [0, 2**24) and an integral
    # first_decay_steps >= 2 the position in the period is a subtraction
    # (the branch without fmod), else the fmod (1, a fractional 2.5).
    n = np.unique(np.geomspace(1, (2**24 - 2) / first, 3000).astype(np.int64))
    at = n * first
    steps = np.concatenate([np.floor(at) - 1, np.floor(at), np.ceil(at), np.ceil(at) + 1])
    steps = np.unique(steps[(steps >= 0) & (steps < 2**24)]).astype(np.int32)
    kw = dict(initial_learning_rate=1.0, first_decay_steps=first, t_mul=1.0)
    with jax.enable_x64(False):
        got = jax.jit(jax.vmap(lambda t: jaxsched.CosineDecayRestarts(
            1.0, first, t_mul=t)(steps)))(jnp.array([1.0, 2.0, 1.0]))
    want = restarts_reference(steps, kw)
    # (The position is exact; its quotient by the period and the cosine
    # round.)
    for row in (0, 2):
        np.testing.assert_allclose(np.asarray(got[row], np.float64), want,
                                   rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(got[1], np.float64), restarts_reference(
        steps, {**kw, "t_mul": 2.0}), rtol=1e-5, atol=1e-6)


def test_vmap_over_t_mul_is_exact_at_the_boundaries_and_grad_is_finite():
    t_muls = jnp.array([0.5, 0.75, 1.0, 1.5, 2.0, 3.0])
    steps = jnp.array([0, 9, 10, 11, 14, 15, 16, 24, 25, 26, 39, 40, 41, 99, 100, 101])

    def value(t, lr):
        return jaxsched.CosineDecayRestarts(lr, 10, t_mul=t, m_mul=0.5)(steps)

    def everything(t_muls):
        values = jax.vmap(value, in_axes=(0, None))(t_muls, 1.0)
        total = jax.grad(lambda t, lr: value(t, lr).sum(), argnums=(0, 1))
        return values, jax.vmap(total, in_axes=(0, None))(t_muls, 1.0)

    got, grads = jax.jit(everything)(t_muls)
    for row, t in zip(np.asarray(got), t_muls.tolist()):
        want = ref.cosine_decay_restarts(np.asarray(steps), 1.0, 10, t_mul=t, m_mul=0.5)
        np.testing.assert_allclose(row, want, rtol=1e-5, atol=1e-7, err_msg=str(t))
    for g in grads:
        assert bool(jnp.all(jnp.isfinite(g))), g


# decay_steps where XLA's float32 `step / k` on CPU (through a reciprocal, so
# not correctly rounded, jitted or not) lands just below an integer at some of
# the first 100 multiples: a plain `floor(step / k)`, as in optax and Keras,
# drops one step late there (seen with jax 0.10.2; 29 of 100 for k = 41).
LATE_UNDER_REWRITE = [41, 47, 55, 61, 82, 83, 94, 97, 107, 109]


@pytest.mark.parametrize("k", LATE_UNDER_REWRITE)
@pytest.mark.parametrize("cls", ["ExponentialDecay", "InverseTimeDecay"])
def test_staircase_drops_exactly_at_every_multiple(cls, k, call):
    n = np.arange(1, 101)
    steps = jnp.asarray(np.stack([n * k - 1, n * k, n * k + 1]), dtype=jnp.int32)
    level = np.stack([n - 1, n, n])  # floor(step / k), by hand
    sched = getattr(jaxsched, cls)(0.1, k, 0.5, staircase=True)
    if cls == "ExponentialDecay":
        want = 0.1 * 0.5**level
    else:
        want = 0.1 / (1 + 0.5 * level)
    got = np.asarray(call(sched, steps), dtype=np.float64)
    np.testing.assert_allclose(got, want, rtol=2e-7, atol=0)


@pytest.mark.parametrize("k", [513, 1000, 4093, 100_000, 2**20 + 1, 10**6 + 3])
def test_staircase_floor_is_exact_around_every_multiple_of_int32_steps(k, call):
    # Integer steps and a captured integral decay_steps from 513 on: every
    # quotient of an int32 step is below 2**22, and the floor takes one
    # correction (nx.floor_div, the reciprocal rounded away from 0 or
    # towards it by the step's sign). n * k - 1, n * k, n * k + 1 over the
    # whole int32 range, both signs, against the floor of the float32 step
    # (what the formula sees) by hand.
    n = np.unique(np.geomspace(1, (2**31 - 2) // k, 600).astype(np.int64))
    steps = np.concatenate([n * k - 1, n * k, n * k + 1])
    steps = np.concatenate([steps, -steps, [0, 2**31 - 1, -(2**31)]]).astype(np.int32)
    level = np.array([math.floor(Fraction(float(x)) / k)
                      for x in steps.astype(np.float32).tolist()], np.float64)
    # The floor itself, as the formulas call it (both signs; its step range
    # set as a schedule's call sets it): exact up to 2**24; past it, where
    # float32 steps are even and n * k rounds, within one (as the floor
    # with two corrections, whose product n * k rounds alike). Through the
    # public class on steps in [0, 2**24] (a level off by one moves the
    # value by 1 / level of it: 5e-7 at most).

    def floor(t):
        with nx.step_floor(t):
            return nx.floor_div(t.astype(jnp.float32), nx.as_float(k, jnp.float32))

    exact = np.abs(steps.astype(np.int64)) <= 2**24
    with jax.enable_x64(False):
        got = np.asarray(jax.jit(floor)(steps), np.float64)
        np.testing.assert_array_equal(got[exact], level[exact])
        assert np.all(np.abs(got - level) <= 1)
        sched = jaxsched.InverseTimeDecay(0.1, k, 0.5, staircase=True)
        ahead = exact & (steps >= 0)
        got = np.asarray(call(sched, steps[ahead]), np.float64)
    np.testing.assert_allclose(got, 0.1 / (1 + 0.5 * level[ahead]), rtol=1.5e-7, atol=0)


@pytest.mark.parametrize("k", [1, 2, 3, 41, 97, 1000, 12345])
def test_staircase_floor_is_exact_an_ulp_around_every_multiple(k, call):
    # Float steps one ulp below, at and above n * k (float32), up to 2**24:
    # the level is n - 1, n, n (by hand), also where one ulp is a fraction of
    # k's reciprocal times the step.
    n = np.unique(np.geomspace(1, (2**24 - 1) // k, 400).astype(np.int64))
    at = (n * k).astype(np.float32)
    steps = np.stack([np.nextafter(at, np.float32(-np.inf)), at,
                      np.nextafter(at, np.float32(np.inf))])
    level = np.stack([n - 1, n, n])
    sched = jaxsched.InverseTimeDecay(0.1, k, 0.5, staircase=True)
    want = 0.1 / (1 + 0.5 * level)
    got = np.asarray(call(sched, steps.ravel()), np.float64).reshape(steps.shape)
    np.testing.assert_allclose(got, want, rtol=2e-7, atol=0)


@pytest.mark.parametrize("up, down", [(1, 1), (1, 2), (2, 3), (20, 21), (40, 57)])
def test_cyclic_position_is_exact_around_every_cycle_up_to_2_to_the_24(up, down):
    # The fmod-free branch (every step in [0, 2**24): its floor division has
    # one correction) on cycle starts +-1 up to 2**24, by hand in float64.
    length = up + down
    n = np.unique(np.geomspace(1, (2**24 - 2) // length, 6000).astype(np.int64))
    steps = np.concatenate([n * length - 1, n * length, n * length + 1]).astype(np.int32)
    q = np.mod(steps.astype(np.float64), length)
    want = 0.01 + 0.09 * np.where(q <= up, q / up, (length - q) / down)
    sched = jaxsched.Cyclic(0.01, 0.1, step_size_up=up, step_size_down=down)
    with jax.enable_x64(False):
        got = np.asarray(sched(steps), np.float64)
    np.testing.assert_allclose(got, want, rtol=2e-7, atol=1e-9)


@pytest.mark.parametrize("up, down", [(1, 1), (20, 21), (600, 424), (2000, 2000),
                                      (2001, 2000), (20_000, 30_000), (12_345, 67_891)])
def test_cyclic_position_is_exact_around_every_cycle_of_int32_steps(up, down, call):
    # Cycle starts +-1 over the whole int32 range (and its extremes), against
    # fmod of the float32 step (what the formula sees) by hand in float64.
    # Captured (jit_closure) cycles of more than 1,024 steps take
    # nx.floor_divmod's split product, without fmod and without the test of
    # the steps; the shorter ones (quotients from 2**21 on) fmod.
    length = up + down
    n = np.unique(np.geomspace(1, (2**31 - 2) // length, 3000).astype(np.int64))
    steps = np.concatenate([n * length - 1, n * length, n * length + 1,
                            [0, 1, 2**31 - 1, -1, -(2**31)]]).astype(np.int32)
    s = np.maximum(steps.astype(np.float32).astype(np.float64), 0)
    q = np.mod(s, length)
    want = 0.01 + 0.09 * np.where(q <= up, q / up, (length - q) / down)
    with jax.enable_x64(False):
        sched = jaxsched.Cyclic(0.01, 0.1, step_size_up=up, step_size_down=down)
        got = np.asarray(call(sched, steps), np.float64)
        program = str(jax.make_jaxpr(lambda t: sched(t))(steps))
    np.testing.assert_allclose(got, want, rtol=2e-7, atol=1e-9)
    split = length > 1024
    assert ("cond[" in program) != split and (" rem " in program) != split


# Divisors around the edges of nx.exact_pieces' split for int32 steps in
# float32 (quotients below 2**21: k > 1024; powers of two +-1, every bit
# set: the most pieces, the largest k it takes), and ones it refuses (fmod).
DIVMOD_K = [2, 513, 1024, 1025, 1031, 1500, 2047, 2049, 3001, 4095, 4097, 8191, 65535,
            65537, 2**20 + 1, 1234567, 2**23 - 1, 2**23]


@pytest.mark.parametrize("k", DIVMOD_K)
def test_floor_divmod_of_int32_steps_is_exact(k):
    # Multiples of k +-1 and random steps over the whole int32 range, against
    # the quotient and remainder of the float32 step by hand in float64.
    rng = np.random.default_rng(k)
    n = np.unique(np.geomspace(1, (2**31 - 2) // k, 2000).astype(np.int64))
    steps = np.concatenate([n * k - 1, n * k, n * k + 1, rng.integers(0, 2**31, 4000),
                            [0, 1, k - 1, k, 2**31 - 1]]).astype(np.int32)

    def divmod_(t):
        with nx.step_floor(t):
            return nx.floor_divmod(t.astype(jnp.float32), np.float32(k))

    with jax.enable_x64(False):
        q, r = (np.asarray(x, np.float64) for x in jax.jit(divmod_)(steps))
        with nx.step_floor(steps):
            split = nx.exact_pieces(np.float32(k), np.dtype(np.float32)) is not None
    s = steps.astype(np.float32).astype(np.float64)
    np.testing.assert_array_equal(r, s - np.floor(s / k) * k)
    # (Without the split, floor_div's quotient: exact below 2**24.)
    exact = slice(None) if split else s < 2**24
    np.testing.assert_array_equal(q[exact], np.floor(s / k)[exact])
    assert split == (1024 < k < 2**23)


# Whole curves (arrays of at least PLAIN_BRANCH_MIN_STEPS steps; Cyclic: any
# array) of the classes whose formula wraps a phase with fmod take a branch
# without it when every step is in [0, 2**24) (jaxsched/_core.py); one
# negative step sends the whole array to the fmod branch. The same formula, which XLA
# vectorizes (its vector cosine can differ from the scalar one that the fmod
# loop calls by an ulp), within the precision tests' bound of the exact value.
PLAIN = [row for row in ROWS if row.cls._plain is not None and not row.cls._shifted]


@pytest.mark.parametrize("row", PLAIN, ids=[row.id for row in PLAIN])
def test_whole_curves_take_the_fmod_free_branch_with_the_same_values(row):
    from jaxsched._core import PLAIN_BRANCH_MIN_STEPS

    n = PLAIN_BRANCH_MIN_STEPS
    for kw, _ in row.all_cases:
        with jax.enable_x64(False):
            sched = row.build(kw)
            for steps in (np.arange(n, dtype=np.int32) // 8,
                          np.arange(n, dtype=np.float32) / 8 + 0.0625):
                whole = np.asarray(sched(steps))  # the fmod-free branch
                parts = np.concatenate([np.asarray(sched(c)) for c in np.split(steps, 16)])
                # Each within 1e-6 (relative) + 1e-7 (of the peak) of exact.
                tol = dict(rtol=2e-6, atol=2e-7 * float(np.max(np.abs(parts))))
                np.testing.assert_allclose(whole, parts, **tol, err_msg=f"{kw} {steps.dtype}")
                # One negative step: the whole array takes the fmod branch.
                mixed = np.asarray(sched(np.concatenate([-steps[1:2], steps[1:]])))
                np.testing.assert_allclose(mixed[1:], whole[1:], **tol)
                # (Every 16th step against the reference: CosineDecayRestarts'
                # walks its periods in exact rationals, 4 s for every 4th;
                # every step against the fmod branch above.)
                some = steps[::16]
                want = _reference(row, kw, some, rounded=True)
                _assert_close(whole[::16], want, 1e-6, 1e-7, row.float32_atol(kw, some))


# Offset cosines: a whole curve of steps in [0, 2**24) takes the fmod-free
# branch when the offset is at most twice the wrapped period (decay_steps; the
# first segment's length), as the shifted steps before 0 are then only
# reflected (nx.wrap's mirror), not reduced; a larger offset takes fmod.
SHIFTED_PLAIN = [row for row in ROWS if row.cls._plain is not None and row.cls._shifted]


def _mirror_span(kw):
    """Twice the period the cosine wraps before the offset, by hand."""
    if "decay_steps" in kw:
        return 2 * kw["decay_steps"]
    b = kw["boundaries"]
    return 2 * (b[1] - b[0]) if len(b) > 1 else None


@pytest.mark.parametrize("row", SHIFTED_PLAIN, ids=[row.id for row in SHIFTED_PLAIN])
def test_offset_curves_take_the_fmod_free_branch_within_the_mirror(row):
    from jaxsched._core import PLAIN_BRANCH_MIN_STEPS

    n = PLAIN_BRANCH_MIN_STEPS
    tested = 0
    for kw, _ in row.all_cases[:3]:  # (the example and two configs: compile time)
        span = _mirror_span(kw)
        if span is None or kw.get("hold_before_offset"):
            continue
        for offset in (kw.get("offset", 0), span, span + 1):
            cfg = dict(kw, offset=offset)
            # Shifted steps from -offset on, with -span, -span/2 and -1 +-1.
            marks = offset + np.array([-span, -span + 1, -span // 2 - 1, -span // 2,
                                       -span // 2 + 1, -2, -1, 0, 1])
            steps = np.arange(n, dtype=np.int32) // 8
            steps[:len(marks)] = np.maximum(marks, 0)
            with jax.enable_x64(False):
                sched = row.build(cfg)
                assert "cond[" in str(jax.make_jaxpr(sched)(steps))
                assert bool(sched._plain_offset_ok()) == (offset <= span), cfg
                whole = np.asarray(sched(steps))
            want = _reference(row, cfg, steps, rounded=True)
            _assert_close(whole, want, 1e-6, 1e-7, row.float32_atol(cfg, steps))
            tested += offset <= span
    assert tested >= 2


# In a sweep (vmap over the hyperparameters, the steps shared), a class with
# an fmod-free branch takes it for any array of steps: the work is configs x
# steps. The test on the steps and the hyperparameters is one for the whole
# batch (nx.every), so it stays a lax.cond under vmap (jaxsched/_core.py,
# _compiled_sweep): the fmod-free branch where every member allows it; one
# member that does not (a fractional step size, an offset beyond the mirror:
# SPOILERS) sends the whole sweep to the exact one.
SWEEP_PLAIN = [row for row in ROWS if row.cls._plain is not None and row.sweep]
SPOILERS = {
    "CosineDecayWithOffset": dict(offset=201),  # > 2 * decay_steps
    "StepCosineDecayWithOffset": dict(offset=21),  # > 2 * (10 - 0)
    "Cyclic": dict(step_size_up=5.5),
}


@pytest.mark.parametrize("row", SWEEP_PLAIN, ids=[row.id for row in SWEEP_PLAIN])
def test_sweeps_take_the_fmod_free_branch_with_the_same_values(row):
    configs = [list(row.sweep)]
    if row.id in SPOILERS:
        configs.append([*row.sweep[1:], dict(row.sweep[0], **SPOILERS[row.id])])
    for spoiled, members in enumerate(configs):
        schedules = [row.build(kw) for kw in members]
        batched, axes = jaxsched.stack(schedules), jaxsched.sweep_axes(schedules)
        with jax.enable_x64(False):
            for steps in (np.arange(64, dtype=np.int32) * 7,  # fmod-free (spoiled: fmod)
                          np.arange(-8, 56, dtype=np.int32) * 7)[:2 - spoiled]:  # before 0
                def curves(b, steps=steps):
                    return jax.vmap(lambda s: s(steps), in_axes=(axes,))(b)

                assert "cond[" in str(jax.make_jaxpr(curves)(batched))  # not a select
                got = np.asarray(jax.jit(curves)(batched))
                # The reference; before step 0 (warmups: Keras' line divides
                # by zero there), each member called alone, within the same
                # bound.
                want = ([row.reference(steps.astype(np.float64), kw) for kw in members]
                        if steps[0] >= 0 else [batch(sched, steps) for sched in schedules])
                for member, (g, w) in enumerate(zip(got, want)):
                    try:
                        _assert_close(g, w, 2e-6, 2e-7)
                    except AssertionError as err:
                        raise AssertionError(
                            f"{members[member]}, steps from {steps[0]}") from err


def test_every_is_one_decision_for_a_vmap_batch():
    from jaxsched._numerics import every

    flags = jnp.array([[True, True], [True, False]])
    assert bool(every(jnp.asarray(True))) and not bool(every(jnp.asarray(False)))
    # Under vmap: the AND over the batch, unbatched (the same for every member).
    assert jax.vmap(every)(flags[0]).tolist() == [True, True]
    assert jax.vmap(every)(flags[1]).tolist() == [False, False]
    # Nested: each vmap reduces its own axis.
    assert jax.vmap(jax.vmap(every))(flags).tolist() == [[True, True], [False, False]]
    # A lax.cond on it stays a cond under vmap, and under grad of the sweep.
    def f(x):
        return jax.lax.cond(every(x > 0), lambda: x * 2.0, lambda: -x)

    assert "cond[" in str(jax.make_jaxpr(jax.vmap(f))(jnp.ones(3)))
    assert jax.vmap(f)(jnp.array([1.0, 2.0])).tolist() == [2.0, 4.0]
    assert jax.vmap(f)(jnp.array([1.0, -2.0])).tolist() == [-1.0, 2.0]
    assert jax.grad(lambda x: jax.vmap(f)(x).sum())(jnp.array([1.0, 2.0])).tolist() == [2.0, 2.0]


def test_inline_where_gives_what_jnp_where_gives():
    # jaxsched/_numerics.where replaces jnp.where in every formula: the same
    # dtype, weak type, shape and bits, for the mixes the formulas use.
    from jaxsched._numerics import where

    f32 = jnp.arange(-2, 4, dtype=jnp.float32).reshape(2, 3)
    weak = jnp.asarray(0.5)  # a weakly typed array
    cases = [
        (f32 > 0, 0, f32), (f32 > 0, f32, 1.5), (f32 > 0, weak, f32),
        (f32 > 0, f32.astype(jnp.float16), 2.0), (f32 > 0, f32.astype(jnp.bfloat16), f32),
        (f32 > 0, f32.astype(jnp.int32), 0), (f32 > 0, 1, 2.5),  # both weak: jnp.where
        (f32[0] > 0, f32, jnp.zeros(3)), (f32 > 0, jnp.ones((1, 3)), f32[:, :1]),
        (jnp.asarray(True), f32, weak), (f32 > 0, np.float64(3.0), f32),
        (f32 > 0, f32.astype(jnp.int32), 1.5), (f32 > 0, f32 > 1, 1),  # weak results
        (f32 > 0, weak, f32.astype(jnp.int32)), (f32 > 0, f32.astype(jnp.int32), 2**31 - 1),
    ]

    def both(c, x, y):
        return where(c, x, y), jnp.where(c, x, y)

    for i, args in enumerate(cases):
        ours, theirs = jax.eval_shape(both, *args)
        assert jax.typeof(ours) == jax.typeof(theirs), (i, ours, theirs)
        ours, theirs = jax.jit(both)(*args)
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs), err_msg=str(i))
    # A Python int out of the dtype's range: what jnp.where does (an
    # OverflowError without x64).
    outcomes = []
    for fn in (where, jnp.where):
        try:
            got = jax.jit(lambda a, fn=fn: fn(a > 0, a, 2**40))(f32.astype(jnp.int32))
            outcomes.append((jax.typeof(got), np.asarray(got).tolist()))
        except OverflowError:
            outcomes.append(OverflowError)
    assert outcomes[0] == outcomes[1], outcomes
    assert jax.config.jax_enable_x64 or outcomes[0] is OverflowError
    # One select inline: no nested jit to trace and lower.
    assert "jit" not in str(jax.make_jaxpr(where)(f32 > 0, f32, 0.0))


_LONG = np.finfo(np.longdouble).nmant >= 60  # x86's 80-bit or quad long double
_PI_LONG = np.longdouble("3.14159265358979323846264338327950288")


def _exact_half_cosine(r):
    """sin(pi/2 r) ** 2 in long double (NumPy's, not jaxsched's)."""
    return np.sin(_PI_LONG / 2 * np.asarray(r, np.longdouble)) ** 2


def test_half_cosine_is_within_a_few_roundings_of_the_exact_value():
    # nx.half_cosine's polynomial (benchmarks/half_cosine_fit.py) against the
    # long-double sine, in units of the float32 result's last place: every
    # 127th float32 from 2**-40 to 1 (2.6 million) and their negatives, one
    # program. Measured: 2.39 at most, 0.46 on average (float32's own
    # sin(pi/2 r) ** 2 was 4.35 and 0.82).
    lo, hi = (np.float32(v).view(np.int32) for v in (2.0**-40, 1.0))
    r = np.arange(lo, hi + 1, 127, dtype=np.int32).view(np.float32)
    got = jax.jit(lambda r: (nx.half_cosine(r), nx.half_cosine(-r)))(r)
    exact = _exact_half_cosine(r)
    ulp = np.spacing(exact.astype(np.float32)).astype(np.longdouble)
    for side in got:
        err = (np.abs(np.asarray(side, np.longdouble) - exact) / ulp).astype(np.float64)
        assert err.max() <= 2.5 and err.mean() <= 0.5, (err.max(), r[err.argmax()], err.mean())


@pytest.mark.skipif(not _LONG, reason="long double is float64 here: no exact reference")
def test_half_cosine_is_within_a_few_roundings_of_the_exact_value_in_float64():
    # The Taylor polynomial in float64, sampled uniformly and near both ends.
    # Measured: 2.40 at most, 0.39 on average.
    with jax.enable_x64(True):
        rng = np.random.default_rng(7)
        r = np.concatenate([rng.uniform(0, 1, 200_000), 2.0 ** -rng.uniform(1, 60, 50_000),
                            1 - 2.0 ** -rng.uniform(2, 52, 50_000)])
        got = np.asarray(jax.jit(nx.half_cosine)(r), np.longdouble)
    exact = _exact_half_cosine(r)
    err = (np.abs(got - exact) / np.spacing(exact.astype(np.float64))).astype(np.float64)
    assert err.max() <= 3 and err.mean() <= 0.6, (err.max(), r[err.argmax()], err.mean())


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_half_cosine_ends_nan_and_other_periods(dtype):
    with jax.enable_x64(dtype == np.float64):
        f = jax.jit(nx.half_cosine)
        r = np.asarray([0.0, -0.0, 0.5, 1.0, -1.0, 2.0, -3.0, np.nan, np.inf, -np.inf], dtype)
        got = np.asarray(f(r))
        assert got.dtype == dtype
        # Exact at both ends, at the split and a period on; NaN and the
        # infinities give NaN, as the sine does.
        assert got[:7].tolist() == [0.0, 0.0, 0.5, 1.0, 1.0, 0.0, 1.0]
        assert np.isnan(got[7:]).all()
        # Arguments beyond one period (StepCosineDecayWithOffset's first
        # segment, run from step 0, can go past it): the sine's value, to
        # the precision of the argument's reduction.
        x = np.linspace(-40, 40, 4001, dtype=dtype)
        exact = _exact_half_cosine(x).astype(np.float64)
        np.testing.assert_allclose(f(x), exact, rtol=0, atol=8 * np.finfo(dtype).eps)
        # The derivative is pi/2 sin(pi r), the second pi**2/2 cos(pi r)
        # (at r = 1 too, the end of a cosine decay).
        grad = jax.jit(jax.grad(lambda r: nx.half_cosine(r).sum()))
        np.testing.assert_allclose(grad(x), np.pi / 2 * np.sin(np.pi * x.astype(np.float64)),
                                   rtol=1e-5, atol=max(40 * np.finfo(dtype).eps, 1e-13))
        second = jax.jit(jax.grad(lambda r: grad(r).sum()))
        ends = np.asarray([-1.0, 0.0, 1.0, 2.0], dtype)
        np.testing.assert_allclose(second(ends), np.pi**2 / 2 * np.cos(np.pi * ends), rtol=1e-5)
        # A scalar takes the sine: exact at both ends, within two roundings
        # of the array's value.
        scalar = jax.jit(jax.vmap(nx.half_cosine))  # (vmap: scalars inside)
        assert np.asarray(scalar(r[:5]))[[0, 1, 3, 4]].tolist() == [0.0, 0.0, 1.0, 1.0]
        inside = x[np.abs(x) <= 1]
        np.testing.assert_allclose(scalar(inside), f(inside), rtol=2 * np.finfo(dtype).eps)
        # Other dtypes compute in at least float32.
        assert np.asarray(f(np.arange(4))).tolist() == [0.0, 1.0, 0.0, 1.0]
