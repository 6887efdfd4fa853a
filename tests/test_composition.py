"""WithOffset and JoinSchedules, and warmups around any schedule (also a user's).

Expected values come from the float64 Keras formulas of tests/reference.py
evaluated at the shifted step, from a transcription of
``optax.join_schedules`` (and optax itself, for schedules it has), and from
the closed form of the user schedule defined here.
"""

from __future__ import annotations

import dataclasses
import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.typing import ArrayLike

import jaxsched
import reference as ref
from cases import equations, jit_apply
from test_model_garden import assert_close


@jaxsched.register_serializable(package="tests")
@dataclasses.dataclass(frozen=True, eq=False)
class Halving(jaxsched.LearningRateSchedule):
    """A user's schedule: lr * 0.5 ** floor(step / every)."""

    initial_learning_rate: ArrayLike
    every: ArrayLike
    name: str | None = jaxsched.static_field(default=None)

    def __call__(self, step):
        step = jnp.asarray(step, dtype=float)
        return self.initial_learning_rate * 0.5 ** jnp.floor(step / self.every)


def halving(step, initial_learning_rate, every):
    # lr * 0.5 ** floor(step / every)
    return initial_learning_rate * 0.5 ** math.floor(step / every)


def join(step, fns, boundaries):
    # optax.join_schedules: schedules[i](step - boundaries[i-1]) once step >= boundaries[i-1]
    out = fns[0](step)
    for b, fn in zip(boundaries, fns[1:]):
        if step >= b:
            out = fn(step - b)
    return out


def _f(fn, **kwargs):
    return lambda step: float(fn(np.float64(step), **kwargs))


EXP = dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)
COS = dict(initial_learning_rate=0.2, decay_steps=40, alpha=0.1)

# (schedule, float64 function of the step, steps where something happens)
CASES = {
    "offset-exponential": (
        jaxsched.WithOffset(jaxsched.ExponentialDecay(**EXP), 25),
        lambda t: _f(ref.exponential_decay, **EXP)(t - 25), [25, 35]),
    "offset-hold-cosine": (
        jaxsched.WithOffset(jaxsched.CosineDecay(**COS), 10, hold_before_offset=True),
        lambda t: _f(ref.cosine_decay, **COS)(max(t - 10, 0)), [10, 50]),
    "offset-user": (
        jaxsched.WithOffset(Halving(1.0, 8), 5),
        lambda t: halving(t - 5, 1.0, 8), [5, 13, 21]),
    "offset-of-offset": (
        jaxsched.WithOffset(jaxsched.PiecewiseConstantDecayWithOffset([10], [1.0, 0.5],
                                                                      offset=3), 4),
        lambda t: _f(ref.piecewise_constant_decay, boundaries=[10], values=[1.0, 0.5])(
            t - 7), [17]),
    "join-warmup-decay": (
        jaxsched.JoinSchedules(
            [jaxsched.PolynomialDecay(0.0, 10, end_learning_rate=0.1),
             jaxsched.ExponentialDecay(**EXP)], [10]),
        lambda t: join(t, [_f(ref.polynomial_decay, initial_learning_rate=0.0,
                                 decay_steps=10, end_learning_rate=0.1),
                           _f(ref.exponential_decay, **EXP)], [10]), [10, 20]),
    "join-three": (
        jaxsched.JoinSchedules(
            [jaxsched.CosineDecay(0.0, 5, warmup_target=0.2, warmup_steps=5),
             Halving(0.2, 8), jaxsched.PiecewiseConstantDecay([3], [0.01, 0.001])],
            [5, 37]),
        lambda t: join(t, [_f(ref.cosine_decay, initial_learning_rate=0.0, decay_steps=5,
                              warmup_target=0.2, warmup_steps=5),
                           lambda s: halving(s, 0.2, 8),
                           _f(ref.piecewise_constant_decay, boundaries=[3],
                              values=[0.01, 0.001])], [5, 37]), [5, 13, 37, 40]),
    "linear-warmup-user": (
        jaxsched.LinearWarmup(Halving(0.4, 10), 15, 0.0),
        lambda t: (0.0 + t / 15 * (halving(15, 0.4, 10) - 0.0)) if t < 15
        else halving(t, 0.4, 10), [10, 15, 20]),
    "polynomial-warmup-shifted": (
        jaxsched.PolynomialWarmUp(jaxsched.WithOffset(jaxsched.CosineDecay(**COS), 20), 20,
                                  power=2.0),
        lambda t: (_f(ref.cosine_decay, **COS)(0) * (max(t, 1) / 20) ** 2) if t < 20
        else _f(ref.cosine_decay, **COS)(t - 20), [20, 60]),
}


def _steps(marks):
    steps = {0, -30, 10**6, 2**31 - 1}
    for m in marks:
        steps.update((m - 1, m, m + 1))
    fill = (t for t in range(1, 24) if t not in steps)
    while len(steps) < 24:
        steps.add(next(fill))
    return sorted(steps)


@pytest.fixture(params=list(CASES), ids=list(CASES))
def case(request):
    return CASES[request.param]


def test_values(case, call, x64):
    sched, fn, marks = case
    steps = _steps(marks)
    got = call(sched, jnp.asarray(steps))
    assert got.shape == (len(steps),)
    assert_close(got, np.array([fn(t) for t in steps]), x64)


def test_json_round_trip_keeps_nested_class_names(case):
    sched, fn, marks = case
    blob = json.dumps(jaxsched.serialize(sched))
    assert blob.count('"class_name"') >= 2
    again = jaxsched.deserialize(json.loads(blob))
    assert type(again) is type(sched)
    steps = _steps(marks)
    assert_close(jit_apply(again, jnp.asarray(steps)),
                 np.array([fn(t) for t in steps]), x64=False)


def test_join_matches_optax():
    ours = jaxsched.JoinSchedules(
        [jaxsched.PolynomialDecay(0.0, 10, end_learning_rate=0.1),
         jaxsched.ExponentialDecay(0.1, 10, 0.5)], [10])
    theirs = optax.join_schedules(
        [optax.linear_schedule(0.0, 0.1, 10), optax.exponential_decay(0.1, 10, 0.5)], [10])
    steps = jnp.arange(40)
    np.testing.assert_allclose(np.asarray(ours(steps)), np.asarray(theirs(steps)),
                               rtol=1e-6, atol=1e-9)


def test_offset_steps_do_not_wrap_around():
    # A uint32 step below the offset is negative after the shift, not 2**32 - k.
    sched = jaxsched.WithOffset(jaxsched.PolynomialDecay(0.1, 100, end_learning_rate=0.0), 50)
    want = _f(ref.polynomial_decay, initial_learning_rate=0.1, decay_steps=100,
              end_learning_rate=0.0)(10 - 50)
    for step in (np.uint32(10), jnp.uint32(10), np.uint8(10)):
        np.testing.assert_allclose(float(sched(step)), want, rtol=2e-6)
    big = 2**40  # a Python int beyond int32: shifted on the host, exactly
    np.testing.assert_allclose(float(sched(big)), 0.0, atol=0)


def test_integer_shift_saturates_at_the_ends_of_the_step_dtype():
    # int32 steps and offsets shift in int32: a difference beyond the range
    # holds its end instead of wrapping around (step - offset, by hand: a
    # wrapped difference would land on the other side of the boundary).
    lo, hi = int(np.iinfo(np.int32).min), int(np.iinfo(np.int32).max)
    cases = [  # (offset, step, boundary, rate where step - offset > boundary)
        (-7, hi, hi - 1), (7, lo, lo + 1), (lo, hi, hi - 1), (hi, lo, lo + 1),
        (lo + 1, -1, hi - 1), (7, hi, hi - 8), (-7, lo, lo + 8), (0, hi, hi - 1),
        # Just inside the range: the clamp must not move these by one.
        (7, lo + 7, lo), (7, lo + 6, lo), (7, lo + 8, lo), (-7, hi - 7, hi - 1),
        (-7, hi - 8, hi - 1), (-7, hi - 6, hi - 1),
    ]
    for offset, step, boundary in cases:
        _check_shift(np.int32, offset, step, boundary, lo, hi)
    # int64 steps and offsets under x64, at int64's ends (boundaries that
    # float64, which holds boundaries this large, represents exactly).
    lo, hi = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)
    with jax.enable_x64(True):
        for offset, step, boundary in [(-7, hi, 0), (7, lo, 0), (7, lo + 7, lo),
                                       (7, lo + 6, lo), (7, lo + 8, lo)]:
            _check_shift(np.int64, offset, step, boundary, lo, hi)


def _check_shift(dtype, offset, step, boundary, lo, hi):
    sched = jaxsched.WithOffset(
        jaxsched.PiecewiseConstantDecay([boundary], [1.0, 0.5]), dtype(offset))
    exact = step - offset  # Python int: no overflow
    want = 0.5 if min(max(exact, lo), hi) > boundary else 1.0
    for got in (sched(dtype(step)), jit_apply(sched, dtype(step))):
        assert float(got) == want, (dtype, offset, step, boundary, exact)


@settings(deadline=None, max_examples=40, derandomize=True)
@given(offset=st.integers(-1000, 1000), step=st.integers(-5000, 5000))
def test_with_offset_is_a_shift(offset, step):
    kwargs = dict(initial_learning_rate=1.0, decay_steps=300, end_learning_rate=0.01,
                  power=2.0)
    base = jaxsched.PolynomialDecay(**kwargs)
    want = _f(ref.polynomial_decay, **kwargs)(step - offset)
    for sched in (jaxsched.WithOffset(base, offset),
                  jaxsched.PolynomialDecayWithOffset(**kwargs, offset=offset)):
        np.testing.assert_allclose(float(sched(step)), want, rtol=2e-6, atol=1e-9)


def test_vmap_over_offset_and_boundaries():
    steps = jnp.arange(-5, 60)
    offsets = jnp.array([0.0, 7.0, 20.0])
    got = jax.jit(jax.vmap(
        lambda o: jaxsched.WithOffset(jaxsched.ExponentialDecay(**EXP), o)(steps)))(offsets)
    want = [[_f(ref.exponential_decay, **EXP)(t - float(o)) for t in steps] for o in offsets]
    assert_close(got, np.array(want), x64=False)

    bounds = jnp.array([[10.0], [20.0], [35.0]])
    warm = jaxsched.PolynomialDecay(0.0, 10, end_learning_rate=0.1)
    decay = jaxsched.ExponentialDecay(**EXP)
    got = jax.jit(jax.vmap(lambda b: jaxsched.JoinSchedules([warm, decay], b)(steps)))(bounds)
    fns = [_f(ref.polynomial_decay, initial_learning_rate=0.0, decay_steps=10,
              end_learning_rate=0.1), _f(ref.exponential_decay, **EXP)]
    want = [[join(t, fns, [float(b[0])]) for t in steps] for b in bounds]
    assert_close(got, np.array(want), x64=False)


def test_vmap_over_stacked_nested_schedules():
    def make(lr, offset, warmup):
        return jaxsched.LinearWarmup(
            jaxsched.WithOffset(jaxsched.ExponentialDecay(lr, 10.0, 0.5), offset), warmup, 0.0)

    configs = [(0.1, 0.0, 5.0), (0.2, 10.0, 0.0), (0.05, 3.0, 12.0)]
    scheds = [make(*c) for c in configs]
    stacked = jax.tree_util.tree_map(lambda *xs: jnp.stack([jnp.asarray(x) for x in xs]),
                                     *scheds)
    steps = jnp.arange(30)
    got = jax.jit(jax.vmap(lambda s: s(steps)))(stacked)

    def want(t, lr, offset, warmup):
        after = _f(ref.exponential_decay, initial_learning_rate=lr, decay_steps=10,
                   decay_rate=0.5)
        if t < warmup:
            return t / warmup * after(warmup - offset)
        return after(t - offset)

    assert_close(got, np.array([[want(t, *c) for t in range(30)] for c in configs]),
                 x64=False)


def test_grad_through_composition_is_finite():
    steps = jnp.array([-10.0, 0.0, 4.0, 5.0, 6.0, 30.0, 2.0**31])

    def total(p):
        lr, offset, warmup, boundary = p
        sched = jaxsched.JoinSchedules(
            [jaxsched.LinearWarmup(jaxsched.WithOffset(
                jaxsched.CosineDecay(lr, 20.0), offset), warmup, 0.0),
             jaxsched.ExponentialDecay(lr, 10.0, 0.5)], jnp.reshape(boundary, (1,)))
        return jnp.sum(sched(steps))

    for p in ([0.1, 3.0, 5.0, 25.0], [0.1, 0.0, 0.0, 5.0], [0.1, -4.0, 0.0, 0.0]):
        g = jax.jit(jax.grad(total))(jnp.asarray(p))
        assert np.all(np.isfinite(np.asarray(g))), (p, g)


def test_user_schedule_nested_config_needs_the_registry_or_custom_objects():
    sched = jaxsched.LinearWarmup(jaxsched.WithOffset(Halving(0.4, 10), 3), 15, 0.0)
    config = jaxsched.serialize(sched)
    inner = config["config"]["after_warmup_lr_sched"]["config"]["schedule"]
    assert inner["registered_name"] == "tests>Halving"
    again = jaxsched.deserialize(json.loads(json.dumps(config)))
    assert isinstance(again.after_warmup_lr_sched.schedule, Halving)
    # An unknown nested class is an error that names it.
    inner["class_name"] = "NoSuchSchedule"
    inner["registered_name"] = None
    with pytest.raises(ValueError, match="NoSuchSchedule"):
        jaxsched.deserialize(config)
    again = jaxsched.deserialize(config, custom_objects={"NoSuchSchedule": Halving})
    assert isinstance(again.after_warmup_lr_sched.schedule, Halving)


def test_optax_with_a_composed_schedule():
    sched = jaxsched.JoinSchedules(
        [jaxsched.PolynomialDecay(0.0, 4, end_learning_rate=0.1),
         jaxsched.WithOffset(jaxsched.ExponentialDecay(0.1, 10, 0.5), 0)], [4])
    opt = optax.sgd(sched)
    params = jnp.zeros(3)
    state = opt.init(params)
    update = jax.jit(opt.update)
    for t in range(8):
        updates, state = update(jnp.ones(3), state, params)
        lr = t / 4 * 0.1 if t < 4 else 0.1 * 0.5 ** ((t - 4) / 10)
        np.testing.assert_allclose(np.asarray(updates), -lr, rtol=2e-6, atol=1e-9)


class LoopHalving(jaxsched.LearningRateSchedule):
    """A user's formula with a loop: halved once per `every` steps, 20 times
    at most."""

    initial_learning_rate: ArrayLike
    every: ArrayLike

    def _rate(self, step, dtype):
        def halve(i, lr):
            return jnp.where((i + 1) * self.every <= step, lr / 2, lr)

        return jax.lax.fori_loop(0, 20, halve, jnp.full(jnp.shape(step), self.initial_learning_rate, dtype))


class ScanHalving(jaxsched.LearningRateSchedule):
    """The same, as a ``__call__`` with a scan."""

    initial_learning_rate: ArrayLike
    every: ArrayLike

    def __call__(self, step):
        def halve(lr, i):
            return jnp.where((i + 1) * self.every <= step, lr / 2, lr), None

        lr = jnp.full(jnp.shape(step), self.initial_learning_rate, jnp.float32)
        return jax.lax.scan(halve, lr, jnp.arange(20))[0]


def _loop_halving(step):
    def halve(i, lr):
        return jnp.where((i + 1) * 4 <= step, lr / 2, lr)

    return jax.lax.fori_loop(0, 20, halve, jnp.full(jnp.shape(step), 0.8, jnp.float32))


@pytest.mark.parametrize("inner", [
    LoopHalving(0.8, 4), ScanHalving(0.8, 4), jaxsched.from_callable(_loop_halving),
], ids=["_rate", "__call__", "from_callable"])
def test_a_users_loops_stay_loops_inside_jaxscheds_schedules(inner):
    """jaxsched's formulas trace with jit disabled (jnp's jits inlined), but a
    user's code nested in them runs as written: a fori_loop or scan stays
    one loop in the program, not 20 copies of its body."""
    sched = jaxsched.LinearWarmup(inner, 8, 0.0)
    steps = jnp.arange(0, 100, 3)
    jaxpr = jax.make_jaxpr(lambda t: sched(t))(steps).jaxpr
    assert {eqn.primitive.name for eqn in equations(jaxpr)} & {"while", "scan"}
    # (The warmup rises to the inner rate at step 8, 0.8 / 4.)
    expected = [0.2 * t / 8 if t < 8 else 0.8 * 0.5 ** min(t // 4, 20) for t in range(0, 100, 3)]
    np.testing.assert_allclose(jit_apply(sched, steps), expected, rtol=1e-6)
    np.testing.assert_allclose(sched(steps), expected, rtol=1e-6)


def test_a_users_disabled_jit_stays_disabled_in_nested_code():
    seen = []

    def inner_fn(step):
        seen.append(("inner", jax.config.jax_disable_jit))
        assert np.geterr() == errors  # (jaxsched's own code ignores NumPy's)
        return 0.5 + 0 * step

    inner = jaxsched.LinearWarmup(jaxsched.from_callable(inner_fn), 8, 0.0)

    def fn(step):
        seen.append(("outer", jax.config.jax_disable_jit))
        with jax.disable_jit():  # for the user's own nested code
            return inner(step)

    errors = np.geterr()
    sched = jaxsched.LinearWarmup(jaxsched.from_callable(fn), 8, 0.0)
    sched(jnp.arange(4))
    assert seen == [("outer", False), ("inner", True)]
    seen.clear()
    with jax.disable_jit():
        sched(jnp.arange(4))
    assert seen == [("outer", True), ("inner", True)]


class Warm(jaxsched.LearningRateSchedule):
    """A user's formula that uses its leaves as jit passes them."""

    initial_learning_rate: ArrayLike
    warmup: ArrayLike

    def _rate(self, step, dtype):
        return self.initial_learning_rate * jnp.minimum(1.0, step / self.warmup)


class Drops(jaxsched.LearningRateSchedule):
    """A user's formula with integer arithmetic on its leaves: XLA's
    ``7 // 0`` is -1, NumPy's 0."""

    initial_learning_rate: ArrayLike
    total: ArrayLike
    period: ArrayLike

    def _rate(self, step, dtype):
        return self.initial_learning_rate * (2.0 + (self.total // self.period) * step)


@pytest.mark.parametrize("make", [
    lambda: Warm(np.float32(0.1), 7.0),
    lambda: jaxsched.JoinSchedules([jaxsched.Constant(np.float32(0.1)),
                                    Warm(np.float32(0.1), 7.0)], [5]),
    lambda: Drops(np.float32(0.1), 7, 0),
], ids=["x64-promotion", "nested", "int-division"])
def test_a_users_captured_leaves_are_what_jit_passes(make, x64):
    """jaxsched's own formulas take captured scalars as NumPy values (see
    nx.staged_leaf); a user's class gets them as jit passes them (weakly
    typed Python numbers): captured, the same program as eager calls."""
    sched = make()
    steps = np.arange(0, 3000, dtype=np.int32)
    jaxpr = str(jax.make_jaxpr(lambda t: sched(t))(steps[:4]))
    assert ":f64[" not in jaxpr
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda t: sched(t))(steps)),
                                  np.asarray(sched(steps)))


def test_tables_under_a_users_disabled_jit_take_traced_indices():
    # More than 16 segments: a table read by a traced index (under vmap).
    sched = jaxsched.StepCosineDecayWithOffset(list(range(0, 2000, 100)),
                                               [0.1 / (i + 1) for i in range(20)])
    steps = jnp.arange(0, 2000, 37)
    with jax.disable_jit():
        got = jax.vmap(sched)(steps)
    np.testing.assert_allclose(got, sched(steps), rtol=1e-6)


BAD = [
    (lambda: jaxsched.WithOffset(0.1, 10), TypeError, "schedule"),
    (lambda: jaxsched.WithOffset(lambda t: 0.1, 10), TypeError, "schedule"),
    (lambda: jaxsched.WithOffset(jaxsched.ExponentialDecay(**EXP), float("nan")),
     ValueError, "offset"),
    (lambda: jaxsched.JoinSchedules([jaxsched.ExponentialDecay(**EXP)] * 2, [5, 6]),
     ValueError, "boundaries"),
    (lambda: jaxsched.JoinSchedules([jaxsched.ExponentialDecay(**EXP)] * 3, [6, 6]),
     ValueError, "boundaries"),
    (lambda: jaxsched.JoinSchedules([jaxsched.ExponentialDecay(**EXP)], []),
     ValueError, "schedules"),
    (lambda: jaxsched.JoinSchedules([jaxsched.ExponentialDecay(**EXP), 0.1], [5]),
     TypeError, r"schedules\[1\]"),
    (lambda: jaxsched.JoinSchedules(jaxsched.ExponentialDecay(**EXP), [5]),
     TypeError, "schedules"),
]


@pytest.mark.parametrize("make,exc,arg", BAD,
                         ids=[f"{a}-{i}" for i, (_, _, a) in enumerate(BAD)])
def test_bad_arguments(make, exc, arg):
    with pytest.raises(exc, match=f"`{arg}`.*Received: {arg}="):
        make()


def _primitives(fn, *args):
    return {eqn.primitive.name for eqn in equations(jax.make_jaxpr(fn)(*args).jaxpr)}


@pytest.mark.parametrize("cls", [jaxsched.LinearWarmup, jaxsched.PolynomialWarmUp])
def test_a_warmups_inner_cosine_needs_no_fmod(cls):
    """A warmup evaluates its inner schedule at where(step < w, w, step),
    never before step 0: an inner cosine needs no reduction of steps before
    0 (fmod, a library call per element that keeps XLA from vectorizing a
    sweep's loop) and no test of the steps, on a scalar, a curve and in a
    sweep alike, and keeps its values (Keras' formula at max(step, w))."""
    k, w = 1000, 100

    def warmup(inner, w):  # (from 0, linear)
        return cls(inner, w, 0.0) if cls is jaxsched.LinearWarmup else cls(inner, w, 1.0)

    sched = warmup(jaxsched.CosineDecay(0.1, k, alpha=0.2), w)
    steps = jnp.asarray([-(2**31), -50, 0, 1, 99, 100, 101, 999, 1100, 1101, 2**31 - 1])
    assert "rem" not in _primitives(sched, jnp.int32(5))
    assert not _primitives(sched, steps) & {"rem", "cond", "reduce_or"}
    sweep = jax.vmap(lambda a: warmup(jaxsched.CosineDecay(0.1, k, alpha=a), w)(steps))
    assert "rem" not in _primitives(sweep, jnp.asarray([0.1, 0.2]))

    def reference(t):
        target = ref.cosine_decay(w, 0.1, k, alpha=0.2)
        if t >= w:
            return ref.cosine_decay(t, 0.1, k, alpha=0.2)
        if cls is jaxsched.LinearWarmup:
            return target * max(t, -np.finfo(np.float32).max) / w
        return target * max(t, 1) / w

    expected = [reference(float(t)) for t in steps]
    np.testing.assert_allclose(sched(steps), expected, rtol=2e-6)
    np.testing.assert_allclose(jit_apply(sched, steps), expected, rtol=2e-6)
    np.testing.assert_allclose(sweep(jnp.asarray([0.2, 0.2]))[1], expected, rtol=2e-6)


def test_a_joined_or_held_cosine_needs_no_fmod():
    """JoinSchedules evaluates a later schedule at max(step - boundary, 0):
    a cosine there (optax's warmup-then-cosine) needs no reduction of steps
    before 0 either, and keeps optax's values; so does a cosine held before
    its offset (WithOffset), not one extrapolated before it."""
    import optax

    warm, k, b = optax.linear_schedule(0.0, 0.1, 100), 1000, 100
    sched = jaxsched.JoinSchedules([jaxsched.from_callable(warm),
                                    jaxsched.CosineDecay(0.1, k, alpha=0.1)], [b])
    steps = jnp.asarray([-(2**31), -5, 0, 99, 100, 101, 600, 1099, 1100, 1101, 2**31 - 1])
    assert not _primitives(sched, steps) & {"rem", "cond", "reduce_or"}
    assert "rem" not in _primitives(sched, jnp.int32(5))
    expected = optax.join_schedules(
        [warm, optax.cosine_decay_schedule(0.1, k, alpha=0.1)], [b])
    np.testing.assert_allclose(sched(steps), [expected(int(t)) for t in steps],
                               rtol=2e-6, atol=1e-9)

    # So does WithOffset holding before its offset (and not extrapolating).
    held = jaxsched.WithOffset(jaxsched.CosineDecay(0.1, k, alpha=0.1), b,
                               hold_before_offset=True)
    assert not _primitives(held, steps) & {"rem", "cond", "reduce_or"}
    expected = [ref.cosine_decay(max(float(t) - b, 0), 0.1, k, alpha=0.1) for t in steps]
    np.testing.assert_allclose(held(steps), expected, rtol=2e-6)
    shifted = jaxsched.WithOffset(jaxsched.CosineDecay(0.1, k, alpha=0.1), b)
    assert "rem" in _primitives(shifted, jnp.int32(5))
    # The Model Garden class with its own offset, held.
    own = jaxsched.CosineDecayWithOffset(0.1, k, alpha=0.1, offset=b, hold_before_offset=True)
    assert not _primitives(own, steps) & {"rem", "cond", "reduce_or"}
    np.testing.assert_allclose(own(steps), expected, rtol=2e-6)


def _saturating_powers(fn, *args):
    return [eqn for eqn in equations(jax.make_jaxpr(fn)(*args).jaxpr)
            if eqn.primitive.name == "custom_jvp_call" and "name=_scaled_power" in str(eqn)]


def test_a_polynomial_on_steps_known_nonnegative_needs_no_saturation():
    """Before step 0 PolynomialDecay extrapolates, and holds the largest
    float where that would overflow; a warmup's inner schedule, or one held
    before its offset, never sees such a step, and a captured one on int32
    steps may not reach the overflow: there the power is plain (two
    operations per step fewer, and no final clamp), with Keras' values and
    finite gradients with respect to the power where the base is 0."""
    k, w, lr, end = 1000, 100, 0.1, 0.001

    def poly(p):
        return jaxsched.PolynomialDecay(lr, k, end_learning_rate=end, power=p)

    steps = jnp.asarray([-(2**31), -5, 0, 99, 100, 101, 999, 1000, 1001, 2**31 - 1])
    for sched in (jaxsched.LinearWarmup(poly(2.0), w, 0.0),
                  jaxsched.PolynomialDecayWithOffset(lr, k, end, 2.0, offset=w,
                                                     hold_before_offset=True)):
        assert not _saturating_powers(sched, steps)
        assert not _saturating_powers(sched, jnp.int32(5))
    # Alone it extrapolates before step 0: on float steps (down to -inf) it
    # saturates; on int32 steps, captured, only where the power can leave
    # the float range from -2**31 (a power of 60 can, of 2 cannot).
    steps = steps.astype(jnp.int32)
    assert _saturating_powers(poly(2.0), steps.astype(jnp.float32))
    assert _saturating_powers(jaxsched.PolynomialDecayWithOffset(lr, k, end, 2.0, offset=w),
                              steps.astype(jnp.float32))
    assert not _saturating_powers(poly(2.0), steps)
    assert _saturating_powers(poly(60.0), steps)
    big = float(jnp.finfo(poly(2.0)(0).dtype).max)
    def held_at_big(t, p):
        try:
            return min(ref.polynomial_decay(float(t), lr, k, end, p), big)
        except OverflowError:
            return big

    for p in (2.0, 60.0):
        want = [held_at_big(t, p) for t in steps]
        np.testing.assert_allclose(jax.jit(lambda t: poly(p)(t))(steps), want, rtol=2e-6)
        np.testing.assert_allclose(poly(p)(steps), want, rtol=2e-6)
    target = ref.polynomial_decay(w, lr, k, end, 2.0)
    expected = [target * t / w if t < w else ref.polynomial_decay(float(t), lr, k, end, 2.0)
                for t in steps]
    np.testing.assert_allclose(jaxsched.LinearWarmup(poly(2.0), w, 0.0)(steps), expected,
                               rtol=2e-6)
    held = jaxsched.PolynomialDecayWithOffset(lr, k, end, 2.0, offset=w, hold_before_offset=True)
    np.testing.assert_allclose(
        held(steps), [ref.polynomial_decay(max(float(t) - w, 0), lr, k, end, 2.0) for t in steps],
        rtol=2e-6)
    # Gradients with respect to the power and decay_steps, also where the
    # base is 0 (from decay_steps on) and a power below 1 has an infinite slope.
    def rate(p, kk, t):
        inner = jaxsched.PolynomialDecay(lr, kk, end_learning_rate=end, power=p)
        return jaxsched.LinearWarmup(inner, w, 0.0)(t)

    grads = jax.vmap(jax.grad(rate, argnums=(0, 1)), in_axes=(None, None, 0))(0.5, 1000.0, steps)
    assert all(np.all(np.isfinite(g)) for g in grads)


def test_the_warmups_hint_reaches_only_its_own_step():
    """The inner schedule of a warmup may call another on a step computed
    from its own, which may lie before 0: that one keeps the reduction
    (Keras' cosine extrapolated before step 0, exact far before it)."""
    k = 1000
    cosine = jaxsched.CosineDecay(0.1, k)
    inner = jaxsched.from_callable(lambda t: cosine(t - 50_000))
    sched = jaxsched.LinearWarmup(inner, 10, 0.0)
    steps = jnp.arange(10, 100_000, 997)
    assert "rem" in _primitives(sched, steps)
    expected = [ref.cosine_decay(float(t) - 50_000, 0.1, k) for t in steps]
    np.testing.assert_allclose(sched(steps), expected, rtol=1e-5, atol=1e-9)
