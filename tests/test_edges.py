"""Every class, alone and wrapped, at the edges: gradients and values.

For every row of the case table (its example), the schedule alone and
wrapped (after and before a ``JoinSchedules`` boundary, inside a warmup,
shifted by ``WithOffset``) is evaluated in ONE compiled program per row: the
values and the gradients with respect to every float leaf, vmapped over a
grid of steps on both sides of every boundary of the example, far past its
end, deep into the extrapolation before step 0, and at float32's extremes
(±inf, ±max, ±tiny).

* Values: a number at every step (never NaN; ±inf only as the held
  largest finite value, i.e. never inf at all).
* Gradients, at every step up to 1e30 in magnitude: never NaN, and finite
  wherever the value is not within 2**-40 of float32's max (there the exact
  derivative itself can exceed float32: ``d/d power`` of a polynomial
  extrapolated to 6e37 is 3e39), zero where the value is held at the
  largest float. (At -3e38 a polynomial extrapolated to -3e37 has such a
  derivative, and a product that saturates multiplies it by a zero
  cotangent: NaN. Those steps are checked for values only.)

Expected properties only (finiteness, holding): they do not depend on our
own output. The point values here are worked out by hand or in float64.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsched
from cases import ROW_IDS, ROWS, compile_with_xla_defaults, run_fast_compiled
from reference_modern import torch_cyclic

F32 = np.finfo(np.float32)
EDGES = [np.inf, -np.inf, F32.max, -F32.max, F32.tiny, -F32.tiny]
FAR = [1e4, 1e6, 2.0**24 + 1, 2.0**31, 1e12, 1e20, 1e30, 1e37,
       -10.0, -1e3, -1e6, -(2.0**31), -1e12, -1e20, -1e30, -1e37]
JOIN_AT, WARMUP, OFFSET = 100, 10, 50


def _marks(row):
    """The example's boundary steps, and where the wrappers put them."""
    marks = [float(m) for m in row.marks]
    return marks + [m + JOIN_AT for m in marks] + [m + OFFSET for m in marks] + [
        0.0, 1.0, WARMUP, JOIN_AT, OFFSET]


def _grid(row):
    near = [m + d for m in _marks(row) for d in (-1.0, -0.5, 0.0, 0.5, 1.0)]
    return np.unique(np.asarray(near + FAR + EDGES, np.float32))


def _wrapped(sched):
    """The schedule alone, and inside one chain of every wrapper (two copies
    of its formula in the program, not one per wrapper): in the chain it is
    the first schedule of a join (evaluated past its boundary, where it is
    not taken), inside the second schedule of a join (evaluated before that
    boundary, where it is not taken), inside a warmup (the target; both
    warmups evaluate it alike, in their base class) and shifted by an
    offset."""
    other = jaxsched.Constant(0.05)
    chain = jaxsched.JoinSchedules([sched, other], [JOIN_AT])
    chain = jaxsched.JoinSchedules([other, chain], [JOIN_AT])
    chain = jaxsched.LinearWarmup(chain, WARMUP, 0.0)
    return {"alone": sched, "wrapped": jaxsched.WithOffset(chain, OFFSET)}


def _is_float(leaf):
    return isinstance(leaf, (jax.Array, np.ndarray, float, int)) and not (
        isinstance(leaf, jax.Array)
        and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key))


def _split(tree):
    """(float32 leaves, None elsewhere), (the other leaves), treedef."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    floats = [jnp.asarray(np.asarray(x, np.float32)) if _is_float(x) else None
              for x in leaves]
    others = [None if _is_float(x) else x for x in leaves]
    return floats, others, treedef


def _values_and_grads(floats, others, treedef, steps):
    """One program, compiled for speed (cases.FAST_COMPILE: only finiteness
    is checked)."""
    return run_fast_compiled(_program, floats, others, treedef, steps, static=(2,))


@functools.partial(jax.jit, static_argnums=(2,))
def _program(floats, others, treedef, steps):
    def f(floats, step):
        leaves = [a if a is not None else b for a, b in zip(floats, others)]
        scheds = jax.tree_util.tree_unflatten(treedef, leaves)
        values = {k: s(step) for k, s in scheds.items()}
        return sum(values.values()), values

    grads, values = jax.vmap(jax.grad(f, has_aux=True), in_axes=(None, 0))(
        floats, steps)
    return values, grads


def _evaluate(tree, steps):
    floats, others, treedef = _split(tree)
    values, grads = _values_and_grads(floats, others, treedef, jnp.asarray(steps))
    grads = jax.tree_util.tree_unflatten(treedef, grads)
    return values, grads


def _check(values, grads, steps, what):
    # Gradients up to 1e30 steps: beyond, an extrapolation can come within
    # reach of float32's max whose exact derivative does not fit float32.
    finite_step = np.abs(steps) <= 1e30
    problems = []
    for name, value in values.items():
        value = np.asarray(value, np.float64)
        bad = ~np.isfinite(value)
        if bad.any():
            problems.append(f"{what}/{name}: value {value[bad][:3]} at {steps[bad][:3]}")
        near_limit = (np.abs(value) > F32.max * 2.0**-40) & (np.abs(value) < F32.max)
        for path, g in jax.tree_util.tree_leaves_with_path(grads[name]):
            g = np.asarray(g, np.float64).reshape(len(steps), -1)
            nan = np.isnan(g).any(axis=1) & finite_step
            inf = np.isinf(g).any(axis=1) & finite_step & ~near_limit
            for kind, mask in (("NaN", nan), ("inf", inf)):
                if mask.any():
                    problems.append(
                        f"{what}/{name}: {kind} d/d{jax.tree_util.keystr(path)} at "
                        f"steps {steps[mask][:4]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_values_are_numbers_and_gradients_finite_at_every_step(row):
    steps = _grid(row)
    values, grads = _evaluate(_wrapped(row.build(row.example)), steps)
    _check(values, grads, steps, row.id)


def _assert_same_values(captured, eager, steps, what):
    """Where one holds the largest float, so does the other; elsewhere the
    same values to a few float32 roundings (XLA folds a captured program's
    constants: a division by one becomes a multiplication)."""
    big = F32.max
    held = np.abs(eager) == big
    np.testing.assert_array_equal(np.abs(captured) == big, held,
                                  err_msg=f"{what}: held at other steps, {steps}")
    np.testing.assert_allclose(captured, eager, rtol=1e-5, atol=1e-30, err_msg=what)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_captured_schedules_hold_and_extrapolate_as_eager_calls_do(row):
    """Captured by the user's jit, a schedule's float hyperparameters are
    constants that it computes with on the host (the saturation bounds among
    them, see nx.staged_leaf); an eager call passes them to its program. The
    same values at every edge step, held at the same ones. (Within the
    0.1% margin of a saturation threshold, the float64 bound computed on
    the host and the program's float32 one can fall a step apart: the grid
    has no step there.)"""
    steps = _grid(row)
    sched = row.build(row.example)
    captured = jax.jit(lambda t: sched(t))(jnp.asarray(steps))
    _assert_same_values(np.asarray(captured, np.float64),
                        np.asarray(sched(steps), np.float64), steps, row.id)


def test_the_issue_join_has_finite_gradients_in_the_warmup():
    # The later schedule is not taken before its boundary: its
    # hyperparameters get zero gradients there, not NaN.
    join = jaxsched.JoinSchedules(
        [jaxsched.PolynomialDecay(0.0, 4000, 0.1), jaxsched.ExponentialDecay(0.1, 100, 0.1)],
        [4000])
    steps = np.array([0, 1, 2000, 3999, 4000, 4001, 10**5, 10**7], np.float32)
    values, grads = _evaluate({"join": join}, steps)
    _check(values, grads, steps, "issue")
    decay = grads["join"].schedules[1]
    np.testing.assert_array_equal(np.asarray(decay.decay_rate)[:4], 0.0)
    # After the boundary: d/d decay_rate of 0.1 * r ** (t / 100) at t = 1,
    # r = 0.1: 0.1 * (1/100) * r ** (1/100 - 1).
    want = 0.1 * 0.01 * 0.1 ** (0.01 - 1)
    np.testing.assert_allclose(float(decay.decay_rate[5]), want, rtol=1e-5)


GROWTH = {
    "exponential_rate_2": jaxsched.ExponentialDecay(0.001, 10, 2.0),
    "exponential_staircase": jaxsched.ExponentialDecay(0.001, 10, 3.0, staircase=True),
    "exponential_back": jaxsched.ExponentialDecay(0.1, 1, 0.5),
    "restarts_m_mul_2": jaxsched.CosineDecayRestarts(0.1, 10, t_mul=1.0, m_mul=2.0),
    "restarts_m_mul_2_t2": jaxsched.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=2.0),
    "polynomial_back": jaxsched.PolynomialDecay(0.1, 10, 0.01, power=10.0),
    "direct_power": jaxsched.DirectPowerDecay(0.1, power=3.0),
}


def test_saturated_growth_holds_the_largest_float_with_zero_gradients():
    steps = np.array([10.0, 1e4, 2.0**31, 1e30, -(2.0**31), -1e30], np.float32)
    values, grads = _evaluate(GROWTH, steps)
    _check(values, grads, steps, "growth")
    big = float(F32.max)
    # Deep into saturation the value is the largest float32, not lr * max.
    for name in ("exponential_rate_2", "exponential_staircase"):
        np.testing.assert_array_equal(np.asarray(values[name])[2:4], big)
    np.testing.assert_array_equal(np.asarray(values["exponential_back"])[4:], big)
    np.testing.assert_array_equal(np.asarray(values["polynomial_back"])[4:], big)
    # ... and held: the hyperparameters have no effect there.
    for name in ("exponential_rate_2", "exponential_staircase"):
        for leaf in jax.tree_util.tree_leaves(grads[name]):
            np.testing.assert_array_equal(np.asarray(leaf)[2:4], 0.0)


@pytest.mark.parametrize("name", list(GROWTH))
def test_captured_growth_holds_the_largest_float_where_eager_calls_do(name):
    # With steps where the growth factor (a rate below 1: its value times
    # 1/lr) passes 90% of float32's range in logarithms, but not all of it:
    # 0.001 * 2 ** (t / 10) from t = 1152 to 1280, 3 ** floor(t / 10) from
    # 730 to 810, 2 ** floor(t / 10) (restarts) from 1160 to 1280, 0.5 ** t
    # from t = -115 to -128, ((10 - t) / 10) ** 10 from -2.9e4 to -7.1e4,
    # t ** 3 from 3.6e11 to 7e12.
    steps = np.array([-1e30, -(2.0**31), -1e6, -5e4, -120.0, -100.0, 0.0, 10.0, 750.0,
                      800.0, 1200.0, 1250.0, 1e4, 1e6, 1e12, 5e12, 2.0**31, 1e30],
                     np.float32)
    sched = GROWTH[name]
    captured = jax.jit(lambda t: sched(t))(jnp.asarray(steps))
    _assert_same_values(np.asarray(captured, np.float64),
                        np.asarray(sched(steps), np.float64), steps, name)
    # The captured program's derivative with respect to the step is a
    # number everywhere, 0 where the value is held (its powers drop their
    # guarded JVP where nothing but the step is traced).
    # (grad outside the jit: the backward pass its own program, where XLA
    # cannot simplify a 0 * inf away.)
    grads = np.asarray(jax.vmap(jax.grad(jax.jit(lambda t: sched(t))))(jnp.asarray(steps)))
    assert np.all(np.isfinite(grads)), (name, grads)
    held = np.abs(np.asarray(captured, np.float64)) == F32.max
    np.testing.assert_array_equal(grads[held], 0.0)


# Rates that can leave the float range through their values (not a growing
# power): a steep warmup line extrapolated before step 0, an alpha above 1,
# exp_range's held growth times a wide amplitude, a table's values. A
# captured schedule drops its final clamp where its hyperparameters, known
# while tracing, keep every rate finite (_finite_rate); these must keep it.
WIDE = {
    "cosine_steep_warmup": jaxsched.CosineDecay(0.0, 10, warmup_target=10.0, warmup_steps=1),
    "cosine_alpha_2": jaxsched.CosineDecay(3e38, 10, alpha=2.0),
    "cyclic_exp_range": jaxsched.Cyclic(0.0, 2.0, 10, mode="exp_range", gamma=2.0),
    "one_cycle_huge": jaxsched.OneCycle(3e38, 100, div_factor=1.0),
    "step_cosine_wide": jaxsched.StepCosineDecayWithOffset([0, 10, 20], [3e38, -3e38, 0.0]),
    "piecewise_scales_over": jaxsched.PiecewiseScales(1e38, [10], [10.0]),
    "exponential_huge": jaxsched.ExponentialDecay(3e38, 10, 0.5),
    "restarts_peak_over": jaxsched.CosineDecayRestarts(3e38, 10, t_mul=2.0, alpha=-1.0),
    "restarts_alpha_2": jaxsched.CosineDecayRestarts(3e38, 10, t_mul=1.0, alpha=2.0),
    "restarts_shrinking_wide": jaxsched.CosineDecayRestarts(2e38, 10, t_mul=0.5, m_mul=0.5,
                                                            alpha=-0.5),
}


@pytest.mark.parametrize("name", list(WIDE))
def test_captured_wide_rates_keep_their_final_clamp(name):
    steps = np.array([-np.inf, -3e38, -1e30, -(2.0**31), -1e6, -10.0, 0.0, 5.0, 10.0, 15.0,
                      1010.0, 10010.0, 1e6, 2.0**31, 1e30, 3e38, np.inf], np.float32)
    sched = WIDE[name]
    eager = np.asarray(sched(steps), np.float64)
    captured = np.asarray(jax.jit(lambda t: sched(t))(jnp.asarray(steps)), np.float64)
    assert not np.isinf(eager).any() and not np.isinf(captured).any(), name
    _assert_same_values(captured, eager, steps, name)
    # On int32 steps too (the lowest step known while tracing).
    ints = jnp.asarray([-(2**31), -10, 0, 10, 1010, 2**31 - 1], jnp.int32)
    np.testing.assert_allclose(jax.jit(lambda t: sched(t))(ints), sched(ints), rtol=1e-5)



# A sweep's plain branch (Cyclic's) tests that the swept rates stay finite
# (_finite_test) and then drops the final clamp; a configuration that could
# leave the range sends the whole batch to the branch that keeps it.
@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_swept_plain_branch_drops_the_clamp_only_where_every_rate_is_finite(mode):
    steps = jnp.arange(0, 400, 7, dtype=jnp.int32)
    gamma = 0.99 if mode == "exp_range" else 1.0

    def sweep(base, top):
        return jax.jit(jax.vmap(lambda b, t: jaxsched.Cyclic(
            b, t, 10, 30, mode=mode, gamma=gamma)(steps)))(
                jnp.asarray(base, jnp.float32), jnp.asarray(top, jnp.float32))

    def expected(b, m):
        return np.array([torch_cyclic(float(t), float(np.float32(b)), float(np.float32(m)),
                                      10, 30, mode, gamma) for t in np.asarray(steps)])

    moderate = ([0.01, -1.0, 2e37], [0.1, 5.0, -8e37])
    got = np.asarray(sweep(*moderate), np.float64)
    for row, b, m in zip(got, *moderate):
        # (float32 roundings of the amplitude: a rate crossing 0 keeps them)
        np.testing.assert_allclose(row, expected(b, m), rtol=2e-6,
                                   atol=2e-6 * max(abs(b), abs(m)))
    # A max_lr beyond a quarter of the range: the whole batch takes the
    # branch with the clamp (the same values).
    wide = ([0.01, 0.0], [0.1, 3e38])
    got = np.asarray(sweep(*wide), np.float64)
    for row, b, m in zip(got, *wide):
        np.testing.assert_allclose(row, expected(b, m), rtol=2e-6,
                                   atol=2e-6 * max(abs(b), abs(m)))
    if mode == "exp_range":
        # A swept gamma above 1: the rate grows past the range, held at
        # the largest float.
        grow = jax.jit(jax.vmap(lambda g: jaxsched.Cyclic(0.0, 2.0, 10, 30, mode=mode,
                                                          gamma=g)(steps * 40 + 10)))
        got = np.asarray(grow(jnp.asarray([0.99, 1.5], jnp.float32)), np.float64)
        assert np.all(np.isfinite(got)) and np.any(got[1] == F32.max)
    # The moderate batch's program has a branch without a clamp.
    text = jax.jit(jax.vmap(lambda b, t: jaxsched.Cyclic(b, t, 10, 30, mode=mode,
                                                         gamma=gamma)(steps))).lower(
        *(jnp.asarray(v, jnp.float32) for v in moderate)).as_text()
    assert text.count("stablehlo.clamp") == 1, text

# The bound a schedule states on its rate from a step on (_rate_bound, for a
# wrapper that then needs no clamp: the warmups) must hold: every config of
# every row that states one, on int32 steps from that step to the largest.
_BOUND_LOWS = (0.0, 7.0, 1000.0)


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_stated_rate_bounds_hold(row):
    f32 = np.dtype(np.float32)
    for kw, _ in row.all_cases:
        with jax.enable_x64(False):
            sched = row.build(kw)
            for low in _BOUND_LOWS:
                bound = sched._rate_bound(f32, low)
                if bound is None:
                    continue
                n = np.unique(np.geomspace(1, 2**31 - 1 - low, 400).astype(np.int64))
                steps = np.concatenate([[low], low + n, low + 1 + np.arange(64)])
                steps = steps[steps < 2**31].astype(np.int32)
                rates = np.abs(np.asarray(sched(steps), np.float64))
                assert np.all(rates <= bound * (1 + 1e-6)), (kw, low, bound, rates.max())


# Captured warmups whose inner rate is bounded (and their own line with it)
# drop their final clamp; the others keep it. The same values either way:
# against eager calls, which trace the hyperparameters (the clamp kept).
_WARM = [
    (jaxsched.LinearWarmup(jaxsched.PolynomialDecay(0.1, 100, 0.001), 10, 0.0), True),
    (jaxsched.LinearWarmup(jaxsched.CosineDecay(0.1, 100, alpha=0.1), 10, 0.01), True),
    (jaxsched.LinearWarmup(jaxsched.ExponentialDecay(0.1, 100, 0.5), 10, 0.0), True),
    (jaxsched.LinearWarmup(jaxsched.PiecewiseConstantDecay([50], [0.1, 0.01]), 10, 0.0), True),
    (jaxsched.LinearWarmup(jaxsched.PolynomialDecayWithOffset(0.1, 100, 0.001, offset=20),
                           10, 0.0), True),
    (jaxsched.LinearWarmup(0.1, 10, 0.0), True),
    (jaxsched.PolynomialWarmUp(jaxsched.CosineDecay(0.1, 100), 10, 2.0), True),
    (jaxsched.PolynomialWarmUp(0.1, 0.5, 3.0), True),
    # Growing, huge, extrapolated or unknown: the clamp stays.
    (jaxsched.LinearWarmup(jaxsched.ExponentialDecay(0.1, 100, 2.0), 10, 0.0), False),
    (jaxsched.LinearWarmup(jaxsched.PolynomialDecay(1e36, 100, 1e30), 10, 0.0), False),
    (jaxsched.LinearWarmup(jaxsched.PolynomialDecay(0.1, 100, cycle=True), 10, 0.0), False),
    (jaxsched.LinearWarmup(jaxsched.PolynomialDecayWithOffset(0.1, 100, 1e36, offset=20),
                           10, 0.0), False),
    (jaxsched.LinearWarmup(jaxsched.CosineDecay(0.0, 100, warmup_target=0.1, warmup_steps=5),
                           10, 0.0), True),
    (jaxsched.LinearWarmup(jaxsched.CosineDecayWithOffset(
        0.0, 100, warmup_target=0.1, warmup_steps=5, offset=50), 10, 0.0), False),
    (jaxsched.LinearWarmup(jaxsched.CosineDecay(0.1, 100), 1, 1e34), False),
    # A warmup's end that float32 rounds up (16777219 -> 16777220), the
    # offset between the two: the inner rate grows from the step before it
    # (found in review: the clamp was dropped, -inf before step 0).
    (jaxsched.LinearWarmup(jaxsched.ExponentialDecayWithOffset(1e9, 1, 1e-30, offset=16777220),
                           16777219, 0.0), False),
    (jaxsched.PolynomialWarmUp(0.1, 10, -1.0), False),
]


@pytest.mark.parametrize("sched, unclamped", _WARM, ids=[str(i) for i in range(len(_WARM))])
def test_captured_warmups_drop_their_clamp_only_where_the_rate_is_bounded(sched, unclamped):
    steps = jnp.asarray([-(2**31), -10**6, -7, 0, 3, 9, 10, 11, 60, 99, 100, 10**6,
                         2**31 - 1], jnp.int32)
    with jax.enable_x64(False):
        program = jax.make_jaxpr(lambda t: sched(t))(steps).jaxpr
        captured = np.asarray(jax.jit(lambda t: sched(t))(steps), np.float64)
        eager = np.asarray(sched(steps), np.float64)
    # (The warmup's clamp is the program's last operation; an inner
    # schedule's own clamp, if any, comes before.)
    assert (program.eqns[-1].primitive.name != "clamp") == unclamped, program
    assert np.all(np.isfinite(captured))
    np.testing.assert_allclose(captured, eager, rtol=2e-6, atol=0)



@pytest.mark.parametrize("offset", [0, 2**30])
@pytest.mark.parametrize("x64", [False, True])
def test_warmups_past_their_end_give_the_inner_rate_at_large_integer_steps(offset, x64):
    # A warmup passes its inner schedule max(float(step), float(w)) where
    # that schedule takes its step as a float alone (PolynomialDecay); an
    # offset's shift is exact in integers, so PolynomialDecayWithOffset gets
    # the integer step. Expected: the formula in float64 at the exact step.
    with jax.enable_x64(x64):
        dtype = jnp.int64 if x64 else jnp.int32
        top = 2**40 if x64 else 2**31 - 1
        # (Past the warmup's end, w = 10, and from the offset on.)
        steps = np.array([offset + d for d in (10, 11, 64, 99, 100, 2**24 + 1)] + [top],
                         np.int64)

        def poly(t):
            s = min(t - offset, 100)
            return (0.1 - 0.001) * (1 - s / 100) + 0.001

        inner = (jaxsched.PolynomialDecayWithOffset(0.1, 100, 0.001, offset=offset) if offset
                 else jaxsched.PolynomialDecay(0.1, 100, 0.001))
        want = np.array([poly(float(t)) for t in steps])
        for sched in (jaxsched.LinearWarmup(inner, 10, 0.0), jaxsched.PolynomialWarmUp(inner, 10)):
            for call in (sched, jax.jit(lambda t, sched=sched: sched(t))):
                got = np.asarray(call(jnp.asarray(steps, dtype)), np.float64)
                np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=repr(sched))

def test_captured_half_precision_rates_keep_their_clamp():
    # A float16 rate computed in float32: the range known to hold the
    # float32 rate (_finite_rate) is not float16's, whose final clamp stays.
    steps = jnp.asarray([0, 10, 1000, 2**31 - 1], jnp.int32)
    big = float(jnp.finfo(jnp.float16).max)
    for sched in (jaxsched.ExponentialDecay(jnp.float16(0.1), 10, 2.0),
                  jaxsched.CosineDecayRestarts(jnp.float16(6e4), 10, t_mul=1.0, alpha=2.0),
                  jaxsched.CosineDecayRestarts(jnp.float16(1.0), 10, t_mul=2.0, m_mul=0.5,
                                               alpha=1e5)):
        captured = jax.jit(lambda t: sched(t))(steps)
        assert captured.dtype == jnp.float16
        np.testing.assert_array_equal(captured, sched(steps))
        assert float(jnp.max(captured)) == big, sched


@pytest.mark.parametrize("t_mul, first, m_mul", [(1.5, 7, 1.0), (2.0, 30_000, 0.9),
                                                 (3.0, 7, 0.5)])
def test_captured_restarts_round_as_eager_calls_do(t_mul, first, m_mul):
    # The captured program's restart index, table and bounds are computed
    # on the host, but the same products and sums: the same values to an
    # ulp (a rewrite that rebuilt a period's start from the one before moved
    # them by 7 ulps). (Not for t_mul near 1, or near a t_mul < 1 horizon,
    # where a period's position is ill-conditioned in float32: 1e-4 of the
    # value either way, and the host's roundings are not the program's.)
    # Both programs compiled with XLA's defaults, where this holds (the
    # suite's setting rounds the two apart by a few ulps).
    sched = jaxsched.CosineDecayRestarts(0.1, first, t_mul=t_mul, m_mul=m_mul)
    steps = jnp.arange(0, 200_000, 3, dtype=jnp.int32)
    eager_program = compile_with_xla_defaults(jax.jit(lambda s, t: s(t)), sched, steps)
    eager = np.asarray(eager_program(sched, steps), np.float64)
    captured_program = compile_with_xla_defaults(jax.jit(lambda t: sched(t)), steps)
    captured = np.asarray(captured_program(steps), np.float64)
    np.testing.assert_allclose(captured, eager, rtol=2.5e-7, atol=1e-30)



@pytest.mark.parametrize("x64", [False, True])
@pytest.mark.parametrize("base, exact_up_to", [(2.0, 63), (3.0, 15), (0.5, 63)])
def test_restart_periods_geometric_sums_are_exact_where_representable(x64, base, exact_up_to):
    # (1 + t + ... + t**(n-1), t**n) of a t_mul known while tracing, for
    # every index a bounded step can reach: t = 2 from the exponent's bits,
    # others from the host's table. Expected: exact integers (Fractions),
    # rounded once to the dtype.
    from jaxsched._cosine import _geometric_sum

    with jax.enable_x64(x64):
        dtype = np.dtype(np.float64 if x64 else np.float32)
        n = np.arange(exact_up_to + 1)
        total, power = jax.jit(lambda i: _geometric_sum(dtype.type(base), i, n_bound=63.5))(
            jnp.asarray(n, dtype))
        t = Fraction(base)
        want_power = np.array([float(t ** int(i)) for i in n], dtype)
        want_total = np.array([float(sum((t**j for j in range(int(i))), Fraction(0)))
                               for i in n], dtype)
        np.testing.assert_array_equal(np.asarray(power), want_power)
        np.testing.assert_array_equal(np.asarray(total), want_total)

def test_value_and_grad_give_the_value_next_to_the_saturation_threshold():
    # -2 * t ** 7.3 passes -max at t = 172599.3 or so: wherever a step falls
    # in the margin, the derivative decides as the value does.
    sched = jaxsched.DirectPowerDecay(-2.0, power=7.3)
    steps = np.float32(172599.3) + np.arange(-8, 9, dtype=np.float32) * np.float32(2**-7)
    for call in (jax.jit(lambda t: sched(t)), sched):
        for t in steps:
            value, grad = jax.value_and_grad(call)(t)
            assert value == call(t), t
            assert (grad == 0) == (value == -F32.max), t


def test_exponential_saturation_is_the_largest_float_also_for_other_dtypes():
    for dtype in (jnp.float32, jnp.bfloat16, jnp.float16):
        sched = jaxsched.ExponentialDecay(jnp.asarray(0.001, dtype), 10, 2.0)
        got = sched(jnp.array([2**31 - 1, 10**4], jnp.int32))
        assert got.dtype == dtype
        assert float(got[0]) == float(jnp.finfo(dtype).max)
    # A negative rate saturates at the lowest float, a zero rate stays 0.
    negative = jaxsched.ExponentialDecay(jnp.float32(-0.5), 10, 2.0)
    assert float(negative(2**31 - 1)) == -float(F32.max)
    assert float(jaxsched.ExponentialDecay(0.0, 10, 0.5)(-np.inf)) == 0.0


# --------------------------------------------------------------------------
# Values at the edges, checked against numbers worked out independently


def _restarts_exact(step, k, lr=0.1):
    """t_mul = m_mul = 1, alpha = 0: the phase from exact rational arithmetic."""
    k = Fraction(float(np.float32(k)))
    pos = Fraction(step) - k * math.floor(Fraction(step) / k)
    return lr * 0.5 * (1 + math.cos(math.pi * float(pos / k)))


def test_restarts_keep_their_phase_at_large_steps_for_fractional_periods():
    # Before: 5.5% off at step 8,414,806 (k * i rounded in float32).
    steps = np.array([8_414_806, 8_414_807, 16_000_001, 16_777_215], np.int64)
    sched = jaxsched.CosineDecayRestarts(0.1, 7.5, t_mul=1.0, m_mul=1.0)
    got = np.asarray(sched(jnp.asarray(steps, jnp.int32)), np.float64)
    want = np.array([_restarts_exact(int(s), 7.5) for s in steps])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("t_mul", [0.5, 1.0, 1.5, 2.0, 3.0, 10.0])
def test_restarts_are_finite_up_to_the_float32_max_and_at_inf(t_mul):
    steps = jnp.asarray(np.array([1e36, 1e37, 1e38, F32.max, np.inf, -np.inf],
                                 np.float32))
    for k in (0.5, 7.5, 1000.0):
        sched = jaxsched.CosineDecayRestarts(0.1, k, t_mul=t_mul, m_mul=1.0, alpha=0.01)
        got = np.asarray(sched(steps))
        assert np.all((got >= 0.001 * (1 - 1e-6)) & (got <= 0.1 * (1 + 1e-6))), (k, got)


def test_inverse_time_with_decay_rate_0_is_constant_up_to_inf():
    sched = jaxsched.InverseTimeDecay(jnp.float32(0.1), 10, 0.0)
    steps = jnp.asarray(np.array([0, 1e30, F32.max, np.inf], np.float32))
    np.testing.assert_array_equal(np.asarray(sched(steps)), np.float32(0.1))


def test_cosine_before_step_0_is_a_number_at_minus_inf():
    # Before: NaN (fmod of inf). Any value of the mirrored cosine is in [0, lr].
    got = float(jaxsched.CosineDecay(0.1, 30)(-np.inf))
    assert 0.0 <= got <= float(np.float32(0.1))


def test_linear_cosine_is_accurate_near_its_troughs():
    # The exact value for the float32 hyperparameters, in float64. Before:
    # 6.4e-6 relative off at step 75, and 1.4e-5 at the worst step.
    k, n, lr, beta = (float(np.float32(x)) for x in (100, 3.3, 0.1, 0.001))
    steps = np.arange(0, 101)
    want = lr * ((k - steps) / k * np.cos(np.pi * n * steps / k) ** 2 + beta)
    sched = jaxsched.LinearCosineDecay(jnp.float32(0.1), 100,
                                       num_periods=jnp.float32(3.3))
    got = np.asarray(sched(jnp.asarray(steps)), np.float64)
    assert abs(got[75] / want[75] - 1) < 2e-7
    np.testing.assert_allclose(got, want, rtol=6e-7)


@pytest.mark.parametrize("step", [-1, -(2**31), -(2**31) + 1, np.int64(-(2**62)),
                                  -1e30, -np.inf, float(-F32.max)])
def test_piecewise_with_offset_holds_before_the_offset(step):
    sched = jaxsched.PiecewiseConstantDecayWithOffset(
        [10, 20], [1.0, 0.5, 0.1], offset=15, hold_before_offset=True)
    assert float(sched(step)) == 1.0
    with jax.enable_x64(True):
        assert float(sched(np.int64(-(2**63)))) == 1.0


def test_cosine_decay_steps_0_after_a_warmup_is_a_warmup_only():
    # tf.keras accepts decay_steps=0 with a warmup (its own tests build
    # warmup-only schedules so): the line from 0 to 1 over 10 steps, then
    # alpha * warmup_target = 0.1, finite everywhere.
    sched = jaxsched.CosineDecay(0.0, 0, alpha=0.1, warmup_target=1.0, warmup_steps=10)
    steps = np.array([0, 5, 9, 10, 11, 10**6, 2**31 - 1], np.float32)
    np.testing.assert_allclose(np.asarray(sched(jnp.asarray(steps))),
                               [0.0, 0.5, 0.9, 0.1, 0.1, 0.1, 0.1], rtol=1e-6)
    again = jaxsched.deserialize(jaxsched.serialize(sched))
    assert float(again(50)) == pytest.approx(0.1)
    values, grads = _evaluate({"warmup_only": sched}, np.append(steps, [-1e6, np.inf]))
    _check(values, grads, np.append(steps, [-1e6, np.inf]).astype(np.float32), "dk0")
    for kw in ({}, {"warmup_target": 1.0}, {"warmup_steps": 10}):
        with pytest.raises(ValueError, match="decay_steps"):
            jaxsched.CosineDecay(0.1, 0, **kw)


def test_model_garden_power_growth_holds_the_largest_float():
    # lr * max(step, 1) ** power: 0.1 * (1e30) ** 3 overflows; the rate holds
    # float32's max (before: the factor was capped, 0.1 * max = 3.4e37).
    sched = jaxsched.DirectPowerDecay(jnp.float32(0.1), power=3.0)
    assert float(sched(1e30)) == float(F32.max)
    assert float(sched(10)) == pytest.approx(100.0, rel=1e-6)  # 0.1 * 10**3
