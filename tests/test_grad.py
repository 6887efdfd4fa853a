"""Gradients through schedules, with respect to every float hyperparameter.

* ``jax.grad`` of the learning rate is finite at every step, including
  warmup, decay, staircase, restart and piecewise boundaries, the end of
  every decay, steps far past it, ``warmup_steps=0``, ``t_mul=1``, the
  ``t_mul < 1`` horizon, ``m_mul=0`` and ``initial_variance=0``; in float32
  and float64, and under ``vmap`` over the hyperparameters.
* Away from kinks it equals central finite differences in float64 of the
  independent reference (tests/reference.py); for NoisyLinearCosineDecay,
  which has no deterministic reference, of jaxsched itself in float64.
* The same for the loss of a model after some training steps with
  ``optax.sgd(schedule)``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxsched
from cases import BY_ID, ROWS, run_fast_compiled

SWEEPS = [row for row in ROWS if row.sweep]

# Float hyperparameters of each class. Boundaries and lengths are not
# integers (10.5, 20.5, ...) so that no integer step in FD_STEPS sits on a
# kink, and a tiny change of a hyperparameter moves none across one.
BASE = {
    "ExponentialDecay": dict(
        initial_learning_rate=0.1, decay_steps=10.5, decay_rate=0.5
    ),
    "InverseTimeDecay": dict(
        initial_learning_rate=0.1, decay_steps=10.5, decay_rate=0.5
    ),
    "PiecewiseConstantDecay": dict(boundaries=[10.5, 20.5], values=[0.3, 0.2, 0.1]),
    "PolynomialDecay": dict(
        initial_learning_rate=0.1, decay_steps=20.5, end_learning_rate=0.01, power=2.0
    ),
    "CosineDecay": dict(initial_learning_rate=0.1, decay_steps=20.5, alpha=0.1),
    "CosineDecayRestarts": dict(
        initial_learning_rate=0.1,
        first_decay_steps=10.5,
        t_mul=2.0,
        m_mul=0.5,
        alpha=0.1,
    ),
    "LinearCosineDecay": dict(
        initial_learning_rate=0.1,
        decay_steps=40.5,
        num_periods=0.5,
        alpha=0.1,
        beta=0.01,
    ),
    "NoisyLinearCosineDecay": dict(
        initial_learning_rate=0.1,
        decay_steps=40.5,
        initial_variance=1.0,
        variance_decay=0.55,
        num_periods=0.5,
        alpha=0.1,
        beta=0.01,
    ),
}
WARMUP = dict(initial_learning_rate=0.01, warmup_target=0.2)


def _case(id_, name, static=None, **changes):
    """(id, class name, static options, float hyperparameters)."""
    return id_, name, static or {}, {**BASE[name], **changes}


CASES = [
    _case("exponential", "ExponentialDecay"),
    _case("exponential_staircase", "ExponentialDecay", {"staircase": True}),
    _case("inverse_time", "InverseTimeDecay"),
    _case("inverse_time_staircase", "InverseTimeDecay", {"staircase": True}),
    _case("piecewise", "PiecewiseConstantDecay"),
    _case("polynomial", "PolynomialDecay"),
    _case("polynomial_sqrt", "PolynomialDecay", power=0.5),
    _case("polynomial_power0", "PolynomialDecay", power=0.0),
    _case("polynomial_cycle", "PolynomialDecay", {"cycle": True}, power=0.5),
    _case("cosine", "CosineDecay"),
    _case("cosine_warmup", "CosineDecay", **WARMUP, warmup_steps=5.5),
    _case("cosine_warmup0", "CosineDecay", **WARMUP, warmup_steps=0.0),
    _case("restarts", "CosineDecayRestarts"),
    _case("restarts_t1", "CosineDecayRestarts", t_mul=1.0, m_mul=0.7),
    _case("restarts_t0.5", "CosineDecayRestarts", t_mul=0.5, m_mul=0.9, alpha=0.2),
    _case("restarts_m0", "CosineDecayRestarts", m_mul=0.0),
    _case("linear_cosine", "LinearCosineDecay"),
    _case("linear_cosine_2periods", "LinearCosineDecay", num_periods=2.0, alpha=0.0),
    _case("noisy", "NoisyLinearCosineDecay", {"seed": 3}),
    _case(
        "noisy_variance0", "NoisyLinearCosineDecay", {"seed": 3}, initial_variance=0.0
    ),
]
IDS = [c[0] for c in CASES]

# Every kind of boundary: 5.5 end of warmup, 10.5 first staircase / restart /
# piecewise boundary, 20.5 end of decays, 26 = 20.5 + 5.5 end of the warmed-up
# cosine, 21 the t_mul=0.5 horizon, 31.5 the second t_mul=2 restart, 40.5 end
# of the linear cosine; then far past every end.
BOUNDARY_STEPS = [
    -3.0,
    0.0,
    5.5,
    10.5,
    15.75,
    20.5,
    21.0,
    26.0,
    26.25,
    31.5,
    40.5,
    41.0,
    1e4,
    1e9,
]
INT_STEPS = [0, 10, 21, 42, 2**31 - 1]
# Steps on no kink of any case (nor on any kink moved by a tiny change).
FD_STEPS = [0, 1, 3, 7, 13, 17, 24, 30, 37, 45, 60, 100]

# Hyperparameters at the edge of their domain: a central difference would
# step outside it (warmup_steps < 0, m_mul < 0, variance < 0), so only
# finiteness is checked there.
ONE_SIDED = {
    "cosine_warmup0": {"warmup_steps"},
    "restarts_m0": {"m_mul"},
    "noisy_variance0": {"initial_variance"},
    "polynomial_power0": {"power"},
}


def _schedule(name, static, hp):
    return getattr(jaxsched, name)(**hp, **static)


def _float_hp(hp):
    return {k: jnp.asarray(v, dtype=float) for k, v in hp.items()}


@functools.lru_cache(maxsize=None)
def _grad_fn(name, static_items):
    """jit(vmap over steps of grad of lr) for one class and static options."""
    static = dict(static_items)

    def lr(hp, step):
        return _schedule(name, static, hp)(step)

    per_step = jax.vmap(jax.grad(lr), in_axes=(None, 0))
    # Several step arrays (int and float steps) in one program.
    return jax.jit(lambda hp, *steps: tuple(per_step(hp, s) for s in steps))


def _grads(name, static, hp, *steps):
    """The gradients at each step of each array of `steps` (one dict of
    per-step gradients per array; one dict for one array)."""
    grads = _grad_fn(name, tuple(sorted(static.items())))(_float_hp(hp), *steps)
    return grads[0] if len(steps) == 1 else grads


def _all_finite(tree):
    return all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree_util.tree_leaves(tree))


def _reference_lr(name, static, hp):
    """lr(steps) from tests/reference.py (float64), or jaxsched in float64 for
    the noisy schedule."""
    if BY_ID[name].reference is not None:
        return lambda steps, hp: BY_ID[name].reference(steps, {**hp, **static})

    @jax.jit
    def noisy64(steps, hp):
        return _schedule(name, static, hp)(steps)

    def noisy(steps, hp):
        with jax.enable_x64(True):
            hp = {k: jnp.asarray(v, jnp.float64) for k, v in hp.items()}
            return np.asarray(noisy64(jnp.asarray(steps, jnp.int64), hp))

    return noisy


def _central_differences(f, hp, skip=()):
    """d f(hp) / d hp for every float element of hp, as a dict like hp."""
    grads = {}
    for k, v in hp.items():
        if k in skip:
            continue
        v = np.asarray(v, dtype=np.float64)
        g = np.zeros(v.shape + np.shape(f(hp)))
        for idx in np.ndindex(v.shape):
            h = 1e-6 * max(1.0, abs(float(v[idx])))
            up, down = v.copy(), v.copy()
            up[idx] += h
            down[idx] -= h
            plus = f({**hp, k: up.tolist() if up.ndim else float(up)})
            minus = f({**hp, k: down.tolist() if down.ndim else float(down)})
            g[idx] = (np.asarray(plus) - np.asarray(minus)) / (2 * h)
        grads[k] = g
    return grads


def _max_relative_error(ad, fd):
    """max |ad - fd| / max(|fd|, 1e-6), over every entry."""
    worst = 0.0
    for k, g in fd.items():
        a = (
            np.moveaxis(np.asarray(ad[k]), 0, -1)
            if np.ndim(g) > 1
            else np.asarray(ad[k])
        )
        err = np.abs(a - g) / np.maximum(np.abs(g), 1e-6)
        worst = max(worst, float(np.max(err)))
    return worst


# --------------------------------------------------------------------------
# The learning rate


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_lr_gradient_is_finite_at_every_boundary_in_float32(case):
    _, name, static, hp = case
    # Finiteness only: compiled for speed (cases.FAST_COMPILE).
    program = _grad_fn(name, tuple(sorted(static.items())))
    for grads in run_fast_compiled(program, _float_hp(hp),
                                   jnp.asarray(BOUNDARY_STEPS, jnp.float32),
                                   jnp.asarray(INT_STEPS, jnp.int32)):
        assert set(grads) == set(hp)
        assert _all_finite(grads), grads


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_lr_gradient_matches_central_differences_in_float64(case):
    id_, name, static, hp = case
    with jax.enable_x64(True):
        floats = FD_STEPS + BOUNDARY_STEPS + [2.0**53]
        ints, grads = _grads(name, static, hp, jnp.asarray(INT_STEPS + [2**62], jnp.int64),
                             jnp.asarray(floats, jnp.float64))
        assert _all_finite(ints), ints
        assert _all_finite(grads), grads
        ad = jax.tree_util.tree_map(lambda g: g[: len(FD_STEPS)], grads)
    fd = _central_differences(
        functools.partial(_reference_lr(name, static, hp), np.asarray(FD_STEPS, float)),
        hp,
        skip=ONE_SIDED.get(id_, ()),
    )
    for k, g in fd.items():
        a = np.asarray(ad[k])
        a = np.moveaxis(a, 0, -1) if a.ndim > 1 else a  # (steps, n) -> (n, steps)
        np.testing.assert_allclose(a, g, rtol=1e-6, atol=1e-9, err_msg=f"d lr / d {k}")


def test_restarts_gradient_in_t_mul_at_one_is_the_limit_of_the_geometric_one():
    # At t_mul == 1 the periods are uniform, but the schedule is smooth in
    # t_mul there: the derivative is that of the t_mul != 1 formula.
    steps = np.array([12.7, 15.0, 25.0, 47.3])
    hp = dict(
        initial_learning_rate=0.1,
        first_decay_steps=7.3,
        t_mul=1.0,
        m_mul=0.7,
        alpha=0.1,
    )
    with jax.enable_x64(True):
        ad = _grads("CosineDecayRestarts", {}, hp, jnp.asarray(steps))["t_mul"]
    h = 1e-6
    fd = (
        BY_ID["CosineDecayRestarts"].reference(steps, {**hp, "t_mul": 1 + h})
        - BY_ID["CosineDecayRestarts"].reference(steps, {**hp, "t_mul": 1 - h})
    ) / (2 * h)
    assert np.all(np.abs(fd) > 1e-3)  # a real dependence, not 0 == 0
    np.testing.assert_allclose(ad, fd, rtol=1e-6)


@pytest.mark.parametrize("row", SWEEPS, ids=[row.id for row in SWEEPS])
def test_gradient_through_a_vmapped_sweep_is_finite(row):
    # Every member's branch (t_mul == 1 and != 1, warmup_steps == 0, ...) is
    # evaluated for every member under vmap: none may leak NaN into the rest.
    # Every numeric leaf is swept, as a float (integer ones too, nested
    # schedules' leaves too) and differentiated; PRNG keys are only swept.
    def as_float(x):
        return x if jax.dtypes.issubdtype(jnp.asarray(x).dtype, jax.dtypes.prng_key) \
            else jnp.asarray(x, float)

    schedules = [jax.tree_util.tree_map(as_float, row.build(kw)) for kw in row.sweep]
    batched = jaxsched.stack(schedules, share=False)
    leaves, treedef = jax.tree_util.tree_flatten(batched)
    which = [i for i, x in enumerate(leaves) if jnp.issubdtype(x.dtype, jnp.floating)]
    assert which, "nothing to differentiate"
    steps = jnp.asarray(BOUNDARY_STEPS, jnp.float32)

    def total(floats):
        full = list(leaves)
        for i, x in zip(which, floats):
            full[i] = x
        rebuilt = jax.tree_util.tree_unflatten(treedef, full)
        return jnp.sum(jax.vmap(lambda s: s(steps))(rebuilt))

    # Finiteness only: compiled for speed (cases.FAST_COMPILE).
    grads = run_fast_compiled(jax.jit(jax.grad(total)), [leaves[i] for i in which])
    assert _all_finite(grads), grads
    for g, i in zip(grads, which):
        assert g.shape == leaves[i].shape


def test_gradient_with_respect_to_a_whole_batched_schedule():
    schedules = [
        jaxsched.CosineDecay(0.0, 20.5, warmup_target=t, warmup_steps=w)
        for t, w in ((0.1, 0.0), (0.2, 5.5), (0.3, 10.0))
    ]
    batched = jaxsched.stack(schedules, share=False)
    batched = jax.tree_util.tree_map(lambda x: jnp.asarray(x, jnp.float32), batched)
    grads = jax.jit(jax.grad(lambda s: jnp.sum(s(jnp.arange(40.0)[:, None]))))(batched)
    assert type(grads) is jaxsched.CosineDecay  # a schedule of gradients
    assert _all_finite(grads)
    assert grads.warmup_steps.shape == (3,)
    # d/d warmup_target of the sum over steps: sum of s / w during warmup
    # plus the cosine factor after it (independent float64 arithmetic).
    s = np.arange(40.0)
    for i, (_, w) in enumerate(((0.1, 0.0), (0.2, 5.5), (0.3, 10.0))):
        warm = s < w
        decay = np.minimum(s - w, 20.5)
        factor = 0.5 * (1 + np.cos(np.pi * decay / 20.5))
        ref = np.sum(np.where(warm, s / max(w, 1.0), factor))
        np.testing.assert_allclose(grads.warmup_target[i], ref, rtol=1e-5)


# --------------------------------------------------------------------------
# A training loss after some steps

TRAIN_STEPS = 30
CURVATURE = np.array([1.0, 3.0])
START = np.array([1.0, -1.0])


def _loss_after_training_jax(schedule):
    """0.5 * sum(a * x**2) after TRAIN_STEPS steps of optax.sgd(schedule)."""
    tx = optax.sgd(schedule)
    a = jnp.asarray(CURVATURE)

    def step(carry, _):
        x, state = carry
        updates, state = tx.update(a * x, state, x)
        return (optax.apply_updates(x, updates), state), None

    x0 = jnp.asarray(START)
    (x, _), _ = jax.lax.scan(step, (x0, tx.init(x0)), None, length=TRAIN_STEPS)
    return 0.5 * jnp.sum(a * x**2)


def _loss_after_training_numpy(lrs):
    x = START.copy()
    for lr in lrs:
        x = x - lr * CURVATURE * x
    return 0.5 * np.sum(CURVATURE * x**2)


# One case per class (the special ones are covered by the lr tests above),
# with lengths shortened by 0.2 so that no kink sits on an integer step below
# TRAIN_STEPS (10.3, 20.6 and 30.9; 20.3 + 5.5 = 25.8 for the warmup).
TRAIN_IDS = [
    "exponential",
    "inverse_time_staircase",
    "piecewise",
    "polynomial_sqrt",
    "cosine_warmup",
    "restarts_t1",
    "linear_cosine",
    "noisy",
]


def _shortened(case):
    id_, name, static, hp = case
    lengths = {"decay_steps", "first_decay_steps"}
    return id_, name, static, {k: v - 0.2 if k in lengths else v for k, v in hp.items()}


TRAIN_CASES = [_shortened(c) for c in CASES if c[0] in TRAIN_IDS]


@pytest.mark.parametrize("case", TRAIN_CASES, ids=[c[0] for c in TRAIN_CASES])
def test_training_loss_gradient_matches_central_differences(case):
    id_, name, static, hp = case

    def loss(hp):
        return _loss_after_training_jax(_schedule(name, static, hp))

    # (Float32 gradients are finite at every step for every class alone and
    # wrapped: test_edges.py; at every boundary of these cases: above.)
    with jax.enable_x64(True):
        ad = jax.jit(jax.grad(loss))(_float_hp(hp))
    lr = _reference_lr(name, static, hp)
    fd = _central_differences(
        lambda hp: _loss_after_training_numpy(lr(np.arange(TRAIN_STEPS), hp)), hp
    )
    for k, g in fd.items():
        np.testing.assert_allclose(
            ad[k], g, rtol=1e-6, atol=1e-10, err_msg=f"d loss / d {k}"
        )


def test_grad_of_a_whole_schedule_with_integer_leaves():
    """Integer leaves (decay_steps=100) need allow_int=True, as in plain JAX;
    the float leaves' gradients are the formula's."""
    sched = jaxsched.ExponentialDecay(0.1, 100, 0.5)
    g = jax.grad(lambda s: s(30), allow_int=True)(sched)
    # lr = a * r ** (t / k): d/da = r ** (t / k), d/dr = a * (t / k) * r ** (t / k - 1)
    np.testing.assert_allclose(g.initial_learning_rate, 0.5**0.3, rtol=1e-6)
    np.testing.assert_allclose(g.decay_rate, 0.1 * 0.3 * 0.5 ** (0.3 - 1), rtol=1e-6)
    assert g.decay_steps.dtype == jax.dtypes.float0


def test_power_guards_act_on_derivatives_only():
    # nx.safe_pow and nx.scaled_power compute their values with a plain
    # power; their guards are in a custom JVP. Values and derivatives by hand.
    from jaxsched import _numerics as nx

    f32 = jnp.float32
    value = jax.jit(nx.safe_pow)
    grad_x = jax.jit(jax.grad(nx.safe_pow, argnums=0))
    grad_p = jax.jit(jax.grad(nx.safe_pow, argnums=1))
    for x, p, want, dx, dp in [
        (0.0, 0.0, 1.0, 0.0, 0.0),  # 0 ** 0 = 1; the guard: no 0 * log(0)
        (0.0, 0.5, 0.0, 0.0, 0.0),
        (0.0, 2.0, 0.0, 0.0, 0.0),
        (2.0, 3.0, 8.0, 12.0, 8.0 * np.log(2.0)),
        (0.25, 0.5, 0.5, 1.0, 0.5 * np.log(0.25)),
    ]:
        args = (f32(x), f32(p))
        np.testing.assert_allclose(float(value(*args)), want, rtol=1e-6)
        np.testing.assert_allclose(float(grad_x(*args)), dx, rtol=1e-6, atol=0)
        np.testing.assert_allclose(float(grad_p(*args)), dp, rtol=1e-6, atol=0)

    big = float(np.finfo(np.float32).max)
    for per_step, base, p in [("base", 1e30, 2.0), ("p", 10.0, 100.0), ("base", 0.0, -1.0)]:
        def f(lr, base, p, per_step=per_step):
            return nx.scaled_power(lr, base, p, nx.safe_pow, per_step)

        args = (f32(0.5), f32(base), f32(p))
        assert float(jax.jit(f)(*args)) == big  # held, for |lr| < 1 too
        grads = jax.jit(jax.grad(f, argnums=(0, 1, 2)))(*args)
        assert [float(g) for g in grads] == [0.0, 0.0, 0.0]
    # Below the bound: lr * base ** p and its derivatives.
    lr, base, p = f32(0.5), f32(3.0), f32(2.0)
    for per_step in ("base", "p"):
        def f(lr, base, p, per_step=per_step):
            return nx.scaled_power(lr, base, p, nx.safe_pow, per_step)

        np.testing.assert_allclose(float(jax.jit(f)(lr, base, p)), 4.5, rtol=1e-6)
        grads = jax.jit(jax.grad(f, argnums=(0, 1, 2)))(lr, base, p)
        np.testing.assert_allclose([float(g) for g in grads],
                                   [9.0, 3.0, 4.5 * np.log(3.0)], rtol=1e-6)
