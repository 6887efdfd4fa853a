"""``jaxsched.optax`` against optax itself, run live in the test.

Every schedule function of ``optax.schedules`` is built twice from the same
arguments, once by optax and once by ``jaxsched.optax``, and compared on
boundaries and their neighbours, step 0, mid-phase and far past the end,
with integer and float steps, array and scalar steps. Where optax's own
output is off (its float32 staircase), the expected value is the exact one.
The plateau recipe (``optax.contrib.reduce_on_plateau`` after a jaxsched
schedule) is trained on a tiny problem at the end.
"""

from __future__ import annotations

import functools
import inspect
import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxsched
import jaxsched.optax as schedules

FUNCTIONS = sorted(
    name
    for name in dir(optax.schedules)
    if not name.startswith("_")
    and inspect.isfunction(getattr(optax.schedules, name))
    and (name.endswith("_schedule") or name in ("exponential_decay", "join_schedules"))
)

# (id, build(module), event steps: boundaries, phase ends)
CASES = [
    ("constant", lambda m: m.constant_schedule(0.1), []),
    ("linear", lambda m: m.linear_schedule(0.0, 0.1, 10), [10]),
    (
        "linear-begin",
        lambda m: m.linear_schedule(1.0, 0.2, 7, transition_begin=3),
        [3, 10],
    ),
    ("linear-zero-steps", lambda m: m.linear_schedule(0.3, 0.1, 0), [0]),
    ("linear-negative-begin", lambda m: m.linear_schedule(0.3, 0.1, 5, -4), [5]),
    ("polynomial", lambda m: m.polynomial_schedule(1.0, 0.01, 2.0, 20, 5), [5, 25]),
    ("polynomial-sqrt", lambda m: m.polynomial_schedule(0.5, 0.0, 0.5, 13), [13]),
    ("exponential", lambda m: m.exponential_decay(1.0, 10, 0.5), [10, 20]),
    (
        "exponential-staircase-end",
        lambda m: m.exponential_decay(
            1.0, 10, 0.5, transition_begin=5, staircase=True, end_value=0.2
        ),
        [5, 15, 25, 35],
    ),
    (
        "exponential-growth-ceiling",
        lambda m: m.exponential_decay(0.1, 4, 1.5, end_value=0.3),
        [4, 8, 12],
    ),
    ("exponential-zero-steps", lambda m: m.exponential_decay(0.1, 0, 0.5), [0]),
    ("exponential-zero-rate", lambda m: m.exponential_decay(0.1, 10, 0.0), [10]),
    (
        "cosine",
        lambda m: m.cosine_decay_schedule(1.0, 50, alpha=0.1, exponent=2.0),
        [25, 50],
    ),
    ("cosine-plain", lambda m: m.cosine_decay_schedule(0.5, 7), [7]),
    ("warmup-constant", lambda m: m.warmup_constant_schedule(0.0, 1.0, 10), [10]),
    (
        "warmup-cosine",
        lambda m: m.warmup_cosine_decay_schedule(0.0, 1.0, 10, 100, 0.05),
        [10, 55, 100],
    ),
    (
        "warmup-cosine-exponent",
        lambda m: m.warmup_cosine_decay_schedule(0.1, 0.6, 3, 31, 0.01, exponent=0.5),
        [3, 31],
    ),
    (
        "warmup-cosine-no-warmup",
        lambda m: m.warmup_cosine_decay_schedule(0.5, 1.0, 0, 40),
        [0, 40],
    ),
    (
        "warmup-exponential",
        lambda m: m.warmup_exponential_decay_schedule(
            0.0, 1.0, 10, 20, 0.5, transition_begin=5, staircase=True, end_value=0.1
        ),
        [10, 15, 35, 55],
    ),
    (
        "warmup-exponential-no-warmup",
        lambda m: m.warmup_exponential_decay_schedule(0.1, 1.0, 0, 10, 0.9),
        [0, 10],
    ),
    (
        "piecewise-constant",
        lambda m: m.piecewise_constant_schedule(1.0, {10: 0.5, 25: 0.1, 40: 2.0}),
        [10, 25, 40],
    ),
    ("piecewise-constant-none", lambda m: m.piecewise_constant_schedule(0.3), []),
    (
        "piecewise-constant-at-0",
        lambda m: m.piecewise_constant_schedule(0.3, {0: 0.5, 3: 0.5}),
        [0, 3],
    ),
    (
        "piecewise-linear",
        lambda m: m.piecewise_interpolate_schedule("linear", 1.0, {10: 0.5, 25: 0.1}),
        [10, 25],
    ),
    (
        "piecewise-cosine",
        lambda m: m.piecewise_interpolate_schedule("cosine", 2.0, {5: 2.0, 30: 0.01}),
        [5, 30],
    ),
    (
        "piecewise-cosine-at-0",
        lambda m: m.piecewise_interpolate_schedule("cosine", 1.0, {0: 0.5, 20: 0.1}),
        [0, 20],
    ),
    (
        "piecewise-linear-none",
        lambda m: m.piecewise_interpolate_schedule("linear", 0.7),
        [],
    ),
    ("cosine-onecycle", lambda m: m.cosine_onecycle_schedule(100, 1.0), [30, 100]),
    (
        "cosine-onecycle-odd",
        lambda m: m.cosine_onecycle_schedule(
            37, 0.4, pct_start=0.2, div_factor=10.0, final_div_factor=100.0
        ),
        [7, 37],
    ),
    ("linear-onecycle", lambda m: m.linear_onecycle_schedule(100, 1.0), [30, 85, 100]),
    (
        "linear-onecycle-odd",
        lambda m: m.linear_onecycle_schedule(41, 0.3, 0.25, 0.7),
        [10, 28, 41],
    ),
    (
        "join",
        lambda m: m.join_schedules(
            [m.linear_schedule(0.0, 1.0, 10), m.cosine_decay_schedule(1.0, 40)], [10]
        ),
        [10, 50],
    ),
    (
        "join-three",
        lambda m: m.join_schedules(
            [
                m.constant_schedule(0.1),
                m.linear_schedule(0.1, 0.5, 5),
                m.exponential_decay(0.5, 3, 0.8),
            ],
            [4, 12],
        ),
        [4, 9, 12, 15],
    ),
    (
        "sgdr",
        lambda m: m.sgdr_schedule(
            [
                dict(
                    init_value=0.0,
                    peak_value=1.0,
                    warmup_steps=5,
                    decay_steps=20,
                    end_value=0.1,
                ),
                dict(init_value=0.1, peak_value=0.5, warmup_steps=2, decay_steps=30),
            ]
        ),
        [5, 20, 22, 50],
    ),
]
IDS = [c[0] for c in CASES]
# One case of each function also runs on float steps.
FLOAT_CASES = {
    "constant",
    "linear-begin",
    "polynomial",
    "exponential-staircase-end",
    "cosine",
    "warmup-constant",
    "warmup-cosine",
    "warmup-exponential",
    "piecewise-constant",
    "piecewise-cosine",
    "piecewise-linear",
    "cosine-onecycle-odd",
    "linear-onecycle",
    "join-three",
    "sgdr",
}
N_STEPS = 64  # one array length for every case: fewer compilations
FAR = [1000, 10**6, 2**31 - 1]


def _steps(events):
    """(integer steps, float steps): 0, each event and its neighbours, the
    midpoints between events, far past the end; the float steps add the
    half steps. Padded to N_STEPS."""
    points = {0, 1, 2}
    edges = [0, *events]
    for e in events:
        points |= {e - 1, e, e + 1}
    for a, b in zip(edges, edges[1:]):
        points.add((a + b) // 2)
    ints = np.asarray(sorted(p for p in points if p >= 0) + FAR)
    ints = np.concatenate([ints, np.full(N_STEPS - len(ints), ints[-1])])
    halves = [p + 0.5 for p in sorted(points) if p >= 0] + [3.25, 1e6 + 0.5]
    floats = np.concatenate([halves, np.full(N_STEPS - len(halves), 0.25)])
    return ints.astype(np.int32), floats.astype(np.float32)


def assert_equal_to_optax(got, want):
    """Equal to float32 rounding: a few ulps of the value, and 2e-7 of the
    largest value for float32's cancellation in optax's own cosine
    (0.5 * (1 + cos(x)) near x = pi) and lerps."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape
    scale = np.max(np.abs(want))
    np.testing.assert_allclose(got, want, rtol=4e-6, atol=2e-7 * scale)


# optax's own polynomial_schedule gives NaN under jit for power < 1 (see
# test_polynomial_with_power_below_one_ends_on_end_value_under_jit): its
# values come from an eager run.
OPTAX_OFF_UNDER_JIT = {"polynomial-sqrt"}


def optax_values(case_id, kind):
    """optax's values on the int or float steps of a case."""
    return _optax_table()[case_id, kind]


@functools.cache
def _optax_table():
    """optax's values for every case, from one jitted program (optax's
    schedules as a training step runs them; one compilation instead of
    thousands of eager dispatches), or eagerly where optax is off under jit."""
    jobs = [
        (name, kind, build(optax.schedules), _steps(events)[kind == "float"])
        for name, build, events in CASES
        for kind in ("int", "float")
    ]
    jitted = [job for job in jobs if job[0] not in OPTAX_OFF_UNDER_JIT]
    values = jax.jit(
        lambda steps: [optax_curve(j[2], t) for j, t in zip(jitted, steps)]
    )([j[3] for j in jitted])
    table = {(j[0], j[1]): np.asarray(v) for j, v in zip(jitted, values)}
    for name, kind, sched, steps in jobs:
        if name in OPTAX_OFF_UNDER_JIT:
            table[name, kind] = np.asarray(optax_curve(sched, steps))
    return table


def optax_curve(sched, steps):
    """optax's values at each step. optax's constant ignores the step's
    shape, and its piecewise interpolation takes one step at a time (then
    vmapped)."""
    steps = jnp.asarray(steps)
    try:
        out = jnp.asarray(sched(steps))
    except TypeError:  # "incompatible shapes for broadcasting"
        return jax.vmap(sched)(steps)
    return jnp.broadcast_to(out, steps.shape)


@pytest.mark.parametrize("closure", [False, True], ids=["arguments", "constants"])
def test_every_case_equals_optax_inside_one_jit(closure):
    """Every case in one program (one compilation): the schedules as jit
    arguments (the pytree path every call takes, eager or not), or captured
    in the closure, where their hyperparameters become XLA constants (and
    XLA rewrites ``s / c`` as ``s * (1 / c)``). Integer steps for every
    case, float steps for one case of each function."""
    ours = [build(schedules) for _, build, _ in CASES]
    for kind in ("int", "float"):
        which = [i for i, c in enumerate(CASES) if kind == "int" or c[0] in FLOAT_CASES]
        steps = np.stack([_steps(CASES[i][2])[kind == "float"] for i in which])
        if closure:
            got = jax.jit(lambda t: [ours[i](t[j]) for j, i in enumerate(which)])(steps)
        else:
            mine = [ours[i] for i in which]
            got = jax.jit(lambda ss, t: [s(t[j]) for j, s in enumerate(ss)])(
                mine, steps
            )
        for i, row in zip(which, got):
            assert isinstance(ours[i], jaxsched.LearningRateSchedule)
            assert_equal_to_optax(row, optax_values(CASES[i][0], kind))


SCALAR_CASES = ["exponential-staircase-end", "piecewise-constant", "sgdr"]


@pytest.mark.parametrize(
    "case", [c for c in CASES if c[0] in SCALAR_CASES], ids=SCALAR_CASES
)
def test_equals_optax_on_scalar_steps(case):
    _, build, events = case
    ours, theirs = build(schedules), build(optax.schedules)
    for t in (0, events[1], 10**6):
        for step in (t, np.float32(t) + np.float32(0.5)):
            got = ours(step)
            assert got.shape == ()
            assert_equal_to_optax(got, jnp.asarray(theirs(step), jnp.float32))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_same_name_signature_and_defaults_as_optax(name):
    ours, theirs = getattr(schedules, name), getattr(optax.schedules, name)
    mine = [
        (p.name, p.default, p.kind) for p in inspect.signature(ours).parameters.values()
    ]
    optaxs = [
        (p.name, p.default, p.kind)
        for p in inspect.signature(theirs).parameters.values()
    ]
    assert mine == optaxs
    assert name in schedules.__all__


def test_every_optax_schedule_function_is_covered():
    assert sorted(schedules.__all__) == FUNCTIONS
    built = {
        name
        for name in FUNCTIONS
        if any(f"m.{name}(" in inspect.getsource(c[1]) for c in CASES)
    }
    assert built == set(FUNCTIONS)


# --------------------------------------------------------------------------
# Where optax is off: the staircase


@pytest.mark.parametrize("k", [41, 47, 10])
def test_staircase_drops_exactly_at_every_multiple(k):
    """optax's float32 ``floor(count / transition_steps)`` is one step late
    at some multiples (XLA divides by multiplying with the reciprocal: at
    k = 41, step 41 still has the undecayed value). jaxsched's drop is exact
    (expected values by hand: 0.5 ** n from step n * k on)."""
    n = np.arange(1, 60)
    steps = jnp.asarray(np.stack([n * k - 1, n * k]).T.reshape(-1), jnp.int32)
    want = (0.5 ** np.stack([n - 1, n]).T.reshape(-1)).astype(np.float32)
    ours = schedules.exponential_decay(1.0, k, 0.5, staircase=True)
    np.testing.assert_array_equal(np.asarray(ours(steps)), want)
    np.testing.assert_array_equal(np.asarray(jax.jit(ours)(steps)), want)
    if k == 41:  # the documented difference (optax 0.2.8)
        late = np.asarray(optax.exponential_decay(1.0, k, 0.5, staircase=True)(steps))
        assert (late != want).any()


def test_polynomial_with_power_below_one_ends_on_end_value_under_jit():
    """optax's ``polynomial_schedule`` with ``power < 1`` gives NaN from the
    end of the transition on under ``jit`` (``1 - count / transition_steps``
    lands just below 0 when XLA multiplies by the reciprocal, and ``** 0.5``
    of it is NaN); jaxsched ends exactly on ``end_value`` (by hand)."""
    steps = jnp.arange(13, 200, dtype=jnp.int32)
    for end in (0.0, 0.01):
        ours = schedules.polynomial_schedule(0.5, end, 0.5, 13)
        got = np.asarray(jax.jit(lambda t: ours(t))(steps))
        np.testing.assert_array_equal(got, np.full(got.shape, np.asarray(end, got.dtype)))
    theirs = optax.polynomial_schedule(0.5, 0.0, 0.5, 13)
    assert np.isnan(np.asarray(jax.jit(theirs)(steps))).any()  # (optax 0.2.8)


# --------------------------------------------------------------------------
# What the schedule can do beyond optax's closure


def test_a_training_script_is_unchanged():
    """optax.adamw and inject_hyperparams take the jaxsched schedule where
    they took optax's, and train to the same parameters."""

    def train(module):
        sched = module.warmup_cosine_decay_schedule(0.0, 0.1, 5, 40, 0.001)
        opt = optax.inject_hyperparams(optax.adamw)(learning_rate=sched)
        params = jnp.asarray([1.0, -2.0])
        state = opt.init(params)

        @jax.jit
        def step(params, state):
            grads = jax.grad(lambda p: jnp.sum(p**2))(params)
            updates, state = opt.update(grads, state, params)
            return optax.apply_updates(params, updates), state

        for _ in range(30):
            params, state = step(params, state)
        return np.asarray(params), float(state.hyperparams["learning_rate"])

    (p_ours, lr_ours), (p_optax, lr_optax) = train(schedules), train(optax.schedules)
    np.testing.assert_allclose(p_ours, p_optax, rtol=1e-5)
    assert lr_ours == pytest.approx(lr_optax, rel=1e-6)


def test_vmap_grad_and_json_over_an_optax_style_schedule():
    steps = jnp.arange(0, 50)

    def curve(peak):
        return schedules.warmup_cosine_decay_schedule(0.0, peak, 5, 40, 0.01)(steps)

    peaks = jnp.asarray([0.1, 0.2, 0.3])
    swept = jax.vmap(curve)(peaks)
    for row, peak in zip(np.asarray(swept), np.asarray(peaks)):
        want = optax.warmup_cosine_decay_schedule(0.0, float(peak), 5, 40, 0.01)(steps)
        assert_equal_to_optax(row, want)
    grad = jax.grad(lambda p: jnp.sum(curve(p)))(0.2)
    assert np.isfinite(float(grad)) and float(grad) > 0
    sched = schedules.warmup_exponential_decay_schedule(
        0.0, 1.0, 10, 20, 0.5, end_value=0.1
    )
    again = jaxsched.deserialize(json.loads(json.dumps(jaxsched.serialize(sched))))
    np.testing.assert_array_equal(np.asarray(again(steps)), np.asarray(sched(steps)))


def test_join_schedules_takes_optax_closures_but_then_cannot_serialize():
    closure = optax.cosine_decay_schedule(1.0, 40)
    ours = schedules.join_schedules(
        [schedules.linear_schedule(0.0, 1.0, 10), closure], [10]
    )
    theirs = optax.join_schedules([optax.linear_schedule(0.0, 1.0, 10), closure], [10])
    ints, _ = _steps([10, 50])
    assert_equal_to_optax(jax.jit(ours)(ints), optax_curve(theirs, ints))
    with pytest.raises(TypeError, match="from_callable"):
        jaxsched.serialize(ours)


BAD = [
    (lambda: schedules.cosine_decay_schedule(1.0, 0), ValueError, "decay_steps"),
    (
        lambda: schedules.warmup_cosine_decay_schedule(0.0, 1.0, 10, 10),
        ValueError,
        "decay_steps",
    ),
    (lambda: schedules.exponential_decay(1.0, 10, -0.5), ValueError, "decay_rate"),
    (
        lambda: schedules.piecewise_constant_schedule(1.0, {10: -0.5}),
        ValueError,
        "scales",
    ),
    (
        lambda: schedules.piecewise_interpolate_schedule("step", 1.0, {10: 0.5}),
        ValueError,
        "interpolate_type",
    ),
    (
        lambda: schedules.piecewise_interpolate_schedule("linear", 1.0, {-3: 0.5}),
        ValueError,
        "boundaries",
    ),
    (
        lambda: schedules.cosine_onecycle_schedule(0, 1.0),
        ValueError,
        "transition_steps",
    ),
    (
        lambda: schedules.linear_onecycle_schedule(-5, 1.0),
        ValueError,
        "transition_steps",
    ),
    (
        lambda: schedules.join_schedules(
            [schedules.constant_schedule(0.1)] * 2, [5, 10]
        ),
        ValueError,
        "boundaries",
    ),
    (
        lambda: schedules.join_schedules([schedules.constant_schedule(0.1), 0.2], [5]),
        TypeError,
        "fn",
    ),
]


@pytest.mark.parametrize(
    "make, error, arg", BAD, ids=[f"{b[2]}-{i}" for i, b in enumerate(BAD)]
)
def test_bad_arguments_raise_naming_them(make, error, arg):
    with pytest.raises(error, match=f"`{arg}`"):
        make()


# --------------------------------------------------------------------------
# The plateau recipe


def test_reduce_on_plateau_after_a_jaxsched_schedule_drops_the_scale():
    """README recipe: the schedule sets the rate, optax's (stateful)
    ``reduce_on_plateau`` multiplies the updates by its scale, and cuts the
    scale when the loss stops improving.

    On f(w) = w ** 2 a rate of 1 makes SGD bounce between w and -w: the loss
    is flat, so the scale drops (by `factor` after `patience` flat steps),
    and then the loss falls."""
    sched = jaxsched.CosineDecay(1.0, 100_000)  # ~1 for the steps trained here
    opt = optax.chain(
        optax.sgd(sched),
        optax.contrib.reduce_on_plateau(factor=0.5, patience=3),
    )
    params = jnp.asarray(1.0)
    state = opt.init(params)

    @jax.jit
    def step(params, state):
        loss, grads = jax.value_and_grad(lambda w: w**2)(params)
        updates, state = opt.update(grads, state, params, value=loss)
        return optax.apply_updates(params, updates), state, loss

    losses, scales = [], []
    for _ in range(12):
        params, state, loss = step(params, state)
        losses.append(float(loss))
        scales.append(float(state[1].scale))
    cut = next(i for i, scale in enumerate(scales) if scale < 1)
    assert cut >= 3 and scales[cut] == 0.5  # after `patience` flat steps
    assert losses[: cut + 1] == pytest.approx([1.0] * (cut + 1), rel=1e-3)  # flat
    assert losses[-1] < 1e-6  # with the halved step SGD lands on the minimum
