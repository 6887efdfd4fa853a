"""PiecewiseConstantDecay: a lookup whose program does not grow with the
number of boundaries, and exact comparisons for every integer step type."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsched
import reference as ref
from cases import jit_apply, program_size


def _schedule(n):
    boundaries = list(range(10, 10 * (n + 1), 10))
    values = [1.0 / (i + 1) for i in range(n + 1)]
    return jaxsched.PiecewiseConstantDecay(boundaries, values)


def test_program_size_is_bounded_whatever_the_number_of_boundaries():
    """The traced program has a bounded size: a select per value for up to
    16 values (15 boundaries), a broadcast compare up to 32 boundaries, a
    binary search beyond, unrolled up to 16,383 boundaries (a few
    operations per halving: 6 halvings at 33, 14 at 16,383), in a rolled
    loop from 16,384 on (16,384 and 100,000 give the same program). Compile
    times are measured by benchmarks/run.py (its piecewise workload)."""
    steps = jnp.arange(100, dtype=jnp.int32)
    sizes = {}
    for n in (1, 10, 15, 16, 32, 33, 100, 10_000, 16_383, 16_384, 100_000):
        sched = _schedule(n)
        as_argument = jax.make_jaxpr(lambda s, t: s(t))(sched, steps)
        captured = jax.make_jaxpr(lambda t: sched(t))(steps)
        leaves = jax.tree_util.tree_leaves(sched)
        assert len(leaves) == 2  # boundaries and values: one array leaf each
        sizes[n] = (program_size(as_argument.jaxpr), program_size(captured.jaxpr))
    assert sizes[16_384] == sizes[100_000]  # the rolled loop
    assert sizes[16] == sizes[32]  # the compare path: size independent of n
    # The unrolled search: the same operations per halving.
    per_halving = [(b - a) / (14 - 6) for a, b in zip(sizes[33], sizes[16_383])]
    assert per_halving[0] == per_halving[1] and 0 < per_halving[0] <= 12, sizes
    for n, halvings in ((100, 7), (10_000, 14)):
        assert [s - h * (halvings - 6) for s, h in zip(sizes[n], per_halving)] == list(
            sizes[33]), (n, sizes)
    largest = max(sizes[15], sizes[16_383])  # the longest select chain, search
    assert all(size <= largest for size in sizes.values()), sizes


def test_ten_thousand_boundaries_match_the_reference():
    sched = _schedule(10_000)
    steps = np.array([0, 9, 10, 11, 12345, 99_990, 99_999, 100_000, 100_001, 10**7])
    boundaries = list(range(10, 100_010, 10))
    values = [1.0 / (i + 1) for i in range(10_001)]
    want = ref.piecewise_constant_decay(steps, boundaries, values)
    np.testing.assert_allclose(sched(steps), want, rtol=1e-7)
    np.testing.assert_allclose(jax.jit(lambda s, t: s(t))(sched, steps), want, rtol=1e-7)


@pytest.mark.parametrize("n", [33, 64, 65, 1000, 1025])
@pytest.mark.parametrize("dtype", [np.int32, np.float32])
def test_count_below_searches_like_a_broadcast_compare(n, dtype):
    # The search of more than 32 boundaries (nx.count_below) against NumPy's
    # compare of every step with every boundary, both sides, on every
    # boundary +-1 (and +-1/2 for floats), before the first and past the
    # last, and a float step's NaN (below every boundary: IEEE), infinities
    # and signed zeros; under jit and vmap (a table per configuration);
    # unrolled (up to 16,383 boundaries) and in the rolled loop (beyond).
    from jaxsched._numerics import count_below

    rng = np.random.default_rng(n)
    b = np.cumsum(rng.integers(1, 50, n)) - 25 * n  # sorted, both signs, gaps of 1 up
    steps = np.concatenate([b - 1, b, b + 1, [b[0] - 100, b[-1] + 100, 0]]).astype(dtype)
    if dtype == np.float32:
        steps = np.concatenate([steps, b - 0.5, b + 0.5, [np.nan, np.inf, -np.inf, -0.0]])
    steps = steps.astype(dtype)
    table = b.astype(dtype)
    tables = np.stack([table, table + 3])

    @jax.jit  # one program: both sides, unrolled and rolled, alone and under vmap
    def counts(table, tables, steps):
        return [(count_below(table, steps, strict=strict, unrolled_up_to=unrolled),
                 jax.vmap(lambda t: count_below(t, steps, strict=strict,
                                                unrolled_up_to=unrolled))(tables))
                for unrolled in (n, 0) for strict in (True, False)]

    def broadcast_count(t, strict):  # NumPy: every step against every boundary
        below = (t[None, :] < steps[:, None]) if strict else (t[None, :] <= steps[:, None])
        return below.sum(axis=1)

    for strict, (got, swept) in zip((True, False) * 2, counts(table, tables, steps)):
        want = broadcast_count(table, strict)
        np.testing.assert_array_equal(got, want, err_msg=f"strict={strict}")
        np.testing.assert_array_equal(swept[0], want)
        np.testing.assert_array_equal(swept[1], broadcast_count(tables[1], strict))


INT_STEPS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


@pytest.mark.parametrize("dtype", INT_STEPS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("boundaries", [[-5, 10], [-5.5, 10.5], [0, 100]], ids=str)
def test_integer_steps_of_every_type(dtype, boundaries, x64):
    """Boundaries outside a step type's range (negative boundaries for
    unsigned steps) still count correctly, also at the type's minimum."""
    values = [0.5, 1.0, 2.0]
    sched = jaxsched.PiecewiseConstantDecay(boundaries, values)
    info = np.iinfo(dtype)
    candidates = [info.min, info.min + 1, -6, -5, -1, 0, 1, 10, 11, 99, 100, 101, info.max]
    steps = np.array([s for s in candidates if info.min <= s <= info.max], dtype)
    want = ref.piecewise_constant_decay(steps.astype(np.float64), boundaries, values)
    makers = [np.asarray]
    if x64 or np.dtype(dtype).itemsize < 8:  # JAX holds no 64-bit ints without x64
        makers.append(jnp.asarray)
    for make in makers:
        got = np.asarray(sched(make(steps)), np.float64)
        np.testing.assert_array_equal(got, want, err_msg=f"{make.__module__} {steps}")


def test_float_steps_compare_in_float():
    sched = jaxsched.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    got = sched(jnp.asarray([9.5, 10.0, 10.25, 20.0, 20.5], jnp.float32))
    np.testing.assert_array_equal(got, np.asarray([1.0, 1.0, 0.5, 0.5, 0.1], got.dtype))


def test_steps_beyond_int32(x64):
    """Python ints beyond int32 work eagerly; with x64 the comparison is exact
    for boundaries beyond int32 too (without x64 such boundaries are float32)."""
    sched = jaxsched.PiecewiseConstantDecay([10, 3 * 2**32], [1.0, 0.5, 0.1])
    assert float(sched(2**40)) == pytest.approx(0.1)
    assert float(sched(2**33)) == 0.5
    if x64:
        assert float(sched(3 * 2**32)) == 0.5
        assert float(sched(3 * 2**32 + 1)) == pytest.approx(0.1)


@pytest.mark.parametrize("top", [2**30, 2**33], ids=["int32", "beyond-int32"])
def test_integer_boundaries_above_2_to_the_24_are_exact(top, x64):
    """16777217 (2**24 + 1) is no float32: a boundary there is exact for
    integer steps of every width while the boundaries reach the program as
    integers, i.e. all within int32, or with x64 (the docstring)."""
    if top > 2**31 and not x64:
        pytest.skip("float32 boundaries without x64 (the docstring)")
    sched = jaxsched.PiecewiseConstantDecay([2**24 + 1, top], [1.0, 0.5, 0.1])
    want = np.array([1.0, 1.0, 0.5, 0.5])
    steps = np.array([2**24, 2**24 + 1, 2**24 + 2, 2**26], np.int32)
    for dtype in (np.int32, np.uint32) + ((np.int64,) if x64 else ()):
        s = steps.astype(dtype)
        for got in (sched(s), jit_apply(sched, s), jax.jit(lambda t: sched(t))(s),
                    np.stack([sched(x) for x in s.tolist()])):
            np.testing.assert_array_equal(got, want.astype(got.dtype), str(dtype))


def test_batched_values_and_boundaries_without_vmap():
    """Array hyperparameters with a leading sweep axis, called directly."""
    values = jnp.array([[1.0, 0.5, 0.1], [2.0, 1.0, 0.2]])
    sched = jaxsched.PiecewiseConstantDecay([10, 20], values)
    np.testing.assert_array_equal(sched(15), [0.5, 1.0])
    batched = jaxsched.PiecewiseConstantDecay(jnp.array([[10, 20], [5, 15]]), values)
    np.testing.assert_array_equal(batched(12), [0.5, 1.0])


def test_lists_from_configs_are_validated_as_arrays(monkeypatch):
    # A config gives its boundaries and values as Python lists: they are
    # checked as one array each, not number by number (before: 9 s for 10**5
    # boundaries, 210 s for 10**6).
    import time

    from jaxsched import _checks

    calls = []
    original = _checks.check_number
    monkeypatch.setattr(_checks, "check_number",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    n = 200_000
    boundaries = list(range(1, n + 1))
    values = [1.0 / (i + 1) for i in range(n + 1)]
    start = time.perf_counter()
    sched = jaxsched.PiecewiseConstantDecay(boundaries, values)
    again = jaxsched.deserialize(jaxsched.serialize(sched))
    elapsed = time.perf_counter() - start
    assert len(calls) <= 8, len(calls)  # per list, not per element
    assert elapsed < 10, elapsed  # about 0.1 s; 36 s before
    # Step 100,000 is boundaries[99_999]: values[99_999] (Keras' <=).
    assert float(again(n // 2)) == pytest.approx(1.0 / (n // 2), rel=1e-6)
    # A bool inside the list is still named (the element-wise path).
    with pytest.raises(TypeError, match="boundaries"):
        jaxsched.PiecewiseConstantDecay([10, True], [1.0, 0.5, 0.1])
