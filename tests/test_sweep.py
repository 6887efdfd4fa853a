"""Batched schedules: stack / sweep_axes / unstack, and the plain JAX idioms.

Expected values come from tests/reference.py (float64 NumPy), evaluated on
the same keyword dicts that build the schedules.
"""

from __future__ import annotations

import dataclasses
import functools
import json

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.typing import ArrayLike

import jaxsched
import reference as keras_ref
from cases import BY_ID, SWEPT_IDS, jit_apply, tolerance
from cases import build_sweep as build
from cases import expected_sweep as expected

CLASSES = SWEPT_IDS
# Rows whose sweep configs are plain numbers and lists (no nested schedules).
FLAT = [name for name in CLASSES if all(
    isinstance(v, (int, float, list)) and not any(hasattr(x, "build") for x in
                                                  np.atleast_1d(np.asarray(v, object)))
    for kw in BY_ID[name].sweep for v in kw.values())]

# Steps that cross staircase, warmup, restart and piecewise boundaries and go
# past the end of every decay.
STEPS = np.array(
    [0, 1, 4, 5, 9, 10, 11, 15, 19.5, 20, 24, 25, 26, 30, 35, 40, 70, 1000]
)


# Everything runs under jit: eager dispatch compiles every primitive on its
# own, which makes the longer schedules slow to test.


@functools.partial(jax.jit, static_argnums=1)
def _vmapped(batched, axes, steps):
    """(members, steps) learning rates through vmap over the sweep axis."""
    return jax.vmap(lambda s: s(steps), in_axes=(axes,))(batched)


@functools.partial(jax.jit, static_argnums=1)
def _sweep_calls(batched, axes, idiom, steps):
    """Every way of evaluating a sweep, in one program (one compilation per
    row): ``vmap`` over ``stack``'s sweep axes; over the plain
    ``tree_map(stack)`` idiom (every leaf stacked, axis 0); and the batched
    schedule called directly on a scalar step and on (T, 1) steps, which
    broadcast against its (members,) leaves."""
    return (jax.vmap(lambda s: s(steps), in_axes=(axes,))(batched),
            jax.vmap(lambda s: s(steps))(idiom),
            batched(10), batched(steps[:, None]))


_call = jit_apply  # the suite's one user jit (its programs shared across files)


# --------------------------------------------------------------------------
# stack + sweep_axes + vmap; the tree_map idiom; direct calls


@pytest.mark.parametrize("name", CLASSES)
def test_stack_vmap_and_direct_calls_match_the_reference_per_member(name, x64):
    schedules = build(name)
    batched, axes = jaxsched.stack(schedules), jaxsched.sweep_axes(schedules)
    n, steps = len(schedules), jnp.asarray(STEPS)
    ref = expected(name, STEPS)  # (n, T)
    if x64:  # float64 sweeps: vmap over stack's axes (the rest as without x64)
        out = _vmapped(batched, axes, steps)
        assert out.shape == (n, len(STEPS)) and out.dtype == jnp.float64
        np.testing.assert_allclose(out, ref, **tolerance(out.dtype))
        return
    idiom = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *schedules)
    vmapped, plain, at_ten, curves = _sweep_calls(batched, axes, idiom, steps)
    for out in (vmapped, plain):
        assert out.shape == (n, len(STEPS))
        np.testing.assert_allclose(out, ref, **tolerance(out.dtype))
    assert at_ten.shape == (n,)
    np.testing.assert_allclose(at_ten, expected(name, 10), **tolerance(at_ten.dtype))
    assert curves.shape == (len(STEPS), n)
    np.testing.assert_allclose(curves, ref.T, **tolerance(curves.dtype))


@pytest.mark.parametrize("name", CLASSES)
def test_batched_schedule_captured_or_without_jit_broadcasts_against_the_step(name):
    # Captured by the user's jit, its stacked leaves are NumPy arrays while
    # tracing (the formulas' host paths, which must take arrays as well as
    # scalars): (T, 1) steps against (n,) leaves. Under the user's
    # disable_jit, the leaves as stored, every operation run on its own (a
    # program each): a scalar step, one value per member.
    batched = jaxsched.stack(build(name))
    steps = np.asarray(STEPS)[:, None]
    captured = jax.jit(lambda t: batched(t))(jnp.asarray(steps))
    ref = expected(name, STEPS).T
    assert captured.shape == ref.shape
    np.testing.assert_allclose(captured, ref, **tolerance(captured.dtype))
    i = list(STEPS).index(70)  # one step, as a float32 scalar
    with jax.disable_jit():
        plain = batched(np.float32(STEPS[i]))
    assert plain.shape == ref[i].shape
    np.testing.assert_allclose(plain, ref[i], **tolerance(plain.dtype))


def test_leaves_equal_in_every_schedule_are_shared_not_stacked():
    schedules = build("CosineDecayRestarts")
    batched = jaxsched.stack(schedules)
    axes = jaxsched.sweep_axes(schedules)
    # first_decay_steps is 10 everywhere: kept once, as given.
    assert batched.first_decay_steps is schedules[0].first_decay_steps
    assert (axes.initial_learning_rate, axes.first_decay_steps) == (0, None)
    assert (axes.t_mul, axes.m_mul, axes.alpha) == (0, 0, 0)
    assert np.shape(batched.t_mul) == (4,)
    # Concrete Python values stack with NumPy: exactly the values given.
    assert isinstance(batched.t_mul, np.ndarray)
    np.testing.assert_array_equal(batched.t_mul, [2.0, 1.0, 0.5, 1.5])

    everything = jaxsched.stack(schedules, share=False)
    all_axes = jaxsched.sweep_axes(schedules, share=False)
    assert all(a == 0 for a in jax.tree_util.tree_leaves(all_axes))
    assert all(np.shape(leaf)[0] == 4 for leaf in jax.tree_util.tree_leaves(everything))
    chex.assert_trees_all_close(
        _vmapped(everything, 0, jnp.asarray(STEPS)),
        _vmapped(batched, axes, jnp.asarray(STEPS)),
    )


@pytest.mark.parametrize(
    "first, second, shared",
    [
        (100, 100, True),
        (100, 100.0, False),  # int and float: stacked (promoted), not shared
        (np.float32(0.5), np.float32(0.5), True),
        (np.float32(0.5), np.float64(0.5), False),  # dtypes differ
        (np.array([1.0, 2.0]), np.array([1.0, 2.0]), True),
        (jnp.float32(0.5), jnp.float32(0.5), True),
        (jnp.float32(0.5), jnp.float32(0.25), False),
    ],
)
def test_sharing_requires_same_type_dtype_shape_and_value(first, second, shared):
    a = jaxsched.ExponentialDecay(0.1, first, 0.5)
    b = jaxsched.ExponentialDecay(0.2, second, 0.5)
    dtypes = {jax.dtypes.canonicalize_dtype(np.asarray(x).dtype) for x in (first, second)}
    if len(dtypes) > 1 and all(jnp.issubdtype(d, jnp.floating) for d in dtypes):
        # float32 and float64 under x64: one leaf, two float dtypes.
        with pytest.raises(ValueError, match="`ExponentialDecay.decay_steps` differs in"):
            jaxsched.sweep_axes([a, b])
        return
    axes = jaxsched.sweep_axes([a, b])
    assert axes.decay_steps == (None if shared else 0)
    batched = jaxsched.stack([a, b])
    if shared:
        assert batched.decay_steps is first
    else:
        assert np.shape(batched.decay_steps) == (2,) + np.shape(first)


def test_jit_takes_a_new_sweep_of_the_same_shapes_without_retracing():
    @jax.jit
    @chex.assert_max_traces(n=1)
    def curves(batched):
        return batched(jnp.arange(50)[:, None])

    one = [
        jaxsched.CosineDecay(0.0, 30, warmup_target=t, warmup_steps=w)
        for t, w in ((0.1, 5), (0.2, 0))
    ]
    two = [
        jaxsched.CosineDecay(0.0, 30, warmup_target=t, warmup_steps=w)
        for t, w in ((0.3, 1), (0.05, 9))
    ]
    for schedules in (one, two):
        out = curves(jaxsched.stack(schedules))
        ref = np.stack(
            [
                keras_ref.cosine_decay(
                    np.arange(50), 0.0, 30, warmup_target=t, warmup_steps=w
                )
                for t, w in ((s.warmup_target, s.warmup_steps) for s in schedules)
            ]
        )
        np.testing.assert_allclose(out, ref.T, **tolerance(out.dtype))


def test_stack_works_inside_jit_on_traced_hyperparameters():
    @jax.jit
    def rates(initial, decay):
        schedules = [
            jaxsched.ExponentialDecay(i, 10, d) for i, d in zip(initial, decay)
        ]
        batched = jaxsched.stack(schedules)
        return jax.vmap(lambda s: s(15), in_axes=(jaxsched.sweep_axes(schedules),))(
            batched
        )

    initial, decay = jnp.array([0.1, 0.2, 0.4]), jnp.array([0.5, 0.9, 0.1])
    out = rates(initial, decay)
    ref = [
        keras_ref.exponential_decay(15, float(i), 10, float(d))
        for i, d in zip(initial, decay)
    ]
    np.testing.assert_allclose(out, ref, **tolerance(out.dtype))


# --------------------------------------------------------------------------
# PRNG keys


def _noisy(**kwargs):
    return jaxsched.NoisyLinearCosineDecay(0.1, 40, initial_variance=0.5, **kwargs)


@pytest.mark.parametrize(
    "make",
    [
        lambda i: _noisy(seed=i, alpha=0.1 * i),
        lambda i: _noisy(key=jax.random.key(i), beta=0.01 * i),
    ],
    ids=["seed", "key"],
)
def test_prng_keys_stack_and_each_member_keeps_its_noise(make):
    schedules = [make(i) for i in range(4)]
    batched, axes = jaxsched.stack(schedules), jaxsched.sweep_axes(schedules)
    assert jax.dtypes.issubdtype(batched.key.dtype, jax.dtypes.prng_key)
    assert batched.key.shape == (4,) and axes.key == 0
    steps = jnp.arange(0, 60, 7)
    out = _vmapped(batched, axes, steps)
    # Batching changes nothing: each row is that member evaluated alone.
    members = jnp.stack([_call(s, steps) for s in schedules])
    np.testing.assert_allclose(out, members, rtol=1e-6, atol=1e-8)
    # Different keys give different noise.
    assert len({tuple(np.asarray(row).round(7)) for row in out}) == 4
    # Called directly, the keys broadcast like the other hyperparameters.
    np.testing.assert_allclose(
        _call(batched, steps[:, None]), out.T, rtol=1e-6, atol=1e-8
    )


def test_rbg_keys_stack():
    # Not compared with the members alone: JAX batches rbg keys "untruly"
    # (jax PR #20094), so their bits under vmap differ from unbatched ones.
    schedules = [_noisy(key=jax.random.key(i, impl="rbg")) for i in range(3)]
    batched = jaxsched.stack(schedules)
    assert batched.key.shape == (3,) and str(batched.key.dtype) == "key<rbg>"
    out = _vmapped(batched, jaxsched.sweep_axes(schedules), jnp.arange(5))
    assert out.shape == (3, 5) and bool(jnp.all(jnp.isfinite(out)))


def test_tree_map_stack_idiom_stacks_keys_too():
    schedules = [_noisy(seed=i) for i in range(3)]
    batched = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *schedules)
    out = _vmapped(batched, 0, jnp.arange(5))
    np.testing.assert_allclose(
        out,
        jnp.stack([_call(s, jnp.arange(5)) for s in schedules]),
        rtol=1e-6,
        atol=1e-8,
    )


# --------------------------------------------------------------------------
# Errors


def _pair(**kwargs):
    return [
        jaxsched.ExponentialDecay(0.1, 10, 0.5),
        jaxsched.ExponentialDecay(**kwargs),
    ]


@pytest.mark.parametrize(
    "schedules, words",
    [
        (
            [
                jaxsched.ExponentialDecay(0.1, 10, 0.5),
                jaxsched.InverseTimeDecay(0.1, 10, 0.5),
            ],
            [
                "class",
                "'ExponentialDecay' in schedules[0]",
                "'InverseTimeDecay' in schedules[1]",
            ],
        ),
        (
            _pair(
                initial_learning_rate=0.2,
                decay_steps=10,
                decay_rate=0.5,
                staircase=True,
            ),
            [
                "static option `ExponentialDecay.staircase`",
                "False in schedules[0]",
                "True in schedules[1]",
            ],
        ),
        (
            _pair(initial_learning_rate=0.2, decay_steps=10, decay_rate=0.5, name="b"),
            ["`ExponentialDecay.name`", "None in schedules[0]", "'b' in schedules[1]"],
        ),
        (
            [
                jaxsched.PolynomialDecay(0.1, 10),
                jaxsched.PolynomialDecay(0.1, 10),
                jaxsched.PolynomialDecay(0.1, 10, cycle=True),
            ],
            ["`PolynomialDecay.cycle`", "True in schedules[2]"],
        ),
        (
            [
                jaxsched.CosineDecay(0.1, 10),
                jaxsched.CosineDecay(0.0, 10, warmup_target=0.2),
            ],
            [
                "`CosineDecay.warmup_target`",
                "None in schedules[0]",
                "0.2 in schedules[1]",
            ],
        ),
        (
            [
                jaxsched.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1]),
                jaxsched.PiecewiseConstantDecay([5], [1.0, 0.5]),
            ],
            [
                "`PiecewiseConstantDecay.boundaries`",
                "shape",
                "(2,) in schedules[0]",
                "(1,) in schedules[1]",
            ],
        ),
        (
            [_noisy(seed=1), _noisy()],
            [
                "`NoisyLinearCosineDecay.seed`",
                "1 in schedules[0]",
                "None in schedules[1]",
            ],
        ),
        (
            [_noisy(key=jax.random.key(0)), _noisy(key=jax.random.key(0, impl="rbg"))],
            ["`NoisyLinearCosineDecay.key`", "key<fry>", "key<rbg>"],
        ),
        (
            [jaxsched.ExponentialDecay(jnp.float16(0.1), 10, 0.5),
             jaxsched.ExponentialDecay(jnp.float32(0.1), 10, 0.5)],
            ["`ExponentialDecay.initial_learning_rate`", "float dtype",
             "'float16' in schedules[0]", "'float32' in schedules[1]"],
        ),
        (
            [jaxsched.PiecewiseConstantDecay([5], [1.0, 0.5]),
             jaxsched.PiecewiseConstantDecay([5], np.array([1.0, 0.5], np.float16))],
            ["`PiecewiseConstantDecay.values`", "float dtype", "'float16' in schedules[1]"],
        ),
        ([], ["empty"]),
    ],
    ids=[
        "class",
        "staircase",
        "name",
        "cycle",
        "warmup_target",
        "boundaries",
        "seed",
        "key_impl",
        "float16-float32",
        "float-float16",
        "empty",
    ],
)
def test_stack_explains_what_differs(schedules, words):
    for fn in (jaxsched.stack, jaxsched.sweep_axes):
        with pytest.raises(ValueError) as info:
            fn(schedules)
        for word in words:
            assert word in str(info.value)


def test_a_sweep_of_one_or_of_equal_schedules_keeps_its_sweep_axis():
    """The README's sweep code, for a sweep of one (and the axes of n equal
    schedules): every leaf is stacked, so vmap has an axis to map."""
    kw = dict(initial_learning_rate=0.1, first_decay_steps=100, t_mul=2.0, m_mul=0.5)
    for n in (3, 1):
        schedules = [jaxsched.CosineDecayRestarts(**kw) for _ in range(n)]
        batched = jaxsched.stack(schedules)
        axes = jaxsched.sweep_axes(schedules)
        assert batched.t_mul.shape == (n,) and batched.first_decay_steps.shape == (n,)
        assert axes.t_mul == 0 and axes.first_decay_steps == 0
        members = jaxsched.unstack(batched, axes)
        assert [m.get_config() for m in members] == [s.get_config() for s in schedules]
    lrs = jax.jit(jax.vmap(lambda s: s(250), in_axes=(axes,)))(batched)  # n == 1
    want = keras_ref.cosine_decay_restarts(250, 0.1, 100, 2.0, 0.5, 0.0)
    np.testing.assert_allclose(lrs, [want], rtol=1e-5)


def test_stack_rejects_what_is_not_a_list_of_schedules():
    with pytest.raises(TypeError, match=r"schedules\[1\] is not"):
        jaxsched.stack([jaxsched.ExponentialDecay(0.1, 10, 0.5), 0.1])
    with pytest.raises(TypeError, match="not one schedule"):
        jaxsched.stack(jaxsched.ExponentialDecay(0.1, 10, 0.5))


# A composed schedule (as warmup wrappers are): the checks recurse into it.
@dataclasses.dataclass(frozen=True, eq=False)
class _Scaled(jaxsched.LearningRateSchedule):
    inner: jaxsched.LearningRateSchedule = dataclasses.field(metadata={"kind": "any"})
    factor: ArrayLike = 1.0

    def __call__(self, step):
        return self.factor * self.inner(step)


def test_nested_schedules_stack_and_errors_name_the_inner_field():
    schedules = [
        _Scaled(jaxsched.ExponentialDecay(lr, 10, 0.5), f)
        for lr, f in ((0.1, 1.0), (0.2, 0.5))
    ]
    batched, axes = jaxsched.stack(schedules), jaxsched.sweep_axes(schedules)
    assert (axes.inner.initial_learning_rate, axes.inner.decay_steps, axes.factor) == (
        0,
        None,
        0,
    )
    out = _vmapped(batched, axes, jnp.asarray(STEPS))
    ref = np.stack(
        [
            f * keras_ref.exponential_decay(STEPS, lr, 10, 0.5)
            for lr, f in ((0.1, 1.0), (0.2, 0.5))
        ]
    )
    np.testing.assert_allclose(out, ref, **tolerance(out.dtype))

    mixed = [
        schedules[0],
        _Scaled(jaxsched.ExponentialDecay(0.1, 10, 0.5, staircase=True)),
    ]
    with pytest.raises(ValueError, match=r"`_Scaled\.inner\.staircase` differs"):
        jaxsched.stack(mixed)
    other = [schedules[0], _Scaled(jaxsched.InverseTimeDecay(0.1, 10, 0.5))]
    with pytest.raises(ValueError, match=r"_Scaled\.inner differs in class"):
        jaxsched.stack(other)


# --------------------------------------------------------------------------
# unstack


@pytest.mark.parametrize("name", CLASSES)
def test_unstack_gives_back_the_configs(name):
    schedules = build(name)
    # With and without shared leaves in one test: the members' programs are
    # the same, compiled once.
    members = []
    for share in (True, False):
        batched = jaxsched.stack(schedules, share=share)
        unstacked = jaxsched.unstack(batched, jaxsched.sweep_axes(schedules, share=share))
        assert len(unstacked) == len(schedules)
        members += unstacked
    for member, original, hp in zip(members, schedules * 2, BY_ID[name].sweep * 2):
        assert type(member).__name__ == name
        # JSON round trip: the values given, as Python numbers and lists.
        config = json.loads(json.dumps(jaxsched.serialize(member)))["config"]
        given = json.loads(json.dumps(jaxsched.serialize(BY_ID[name].build(hp))))
        assert {k: config[k] for k in hp} == {k: given["config"][k] for k in hp}
        assert config == json.loads(json.dumps(original.get_config()))
        again = jaxsched.deserialize(jaxsched.serialize(member))
        out = _call(again, jnp.asarray(STEPS))
        want = BY_ID[name].reference(STEPS, hp)
        np.testing.assert_allclose(out, want, **tolerance(out.dtype))


def test_unstack_of_a_tree_map_stack_with_axes_zero():
    schedules = [_noisy(seed=i, alpha=0.1 * i) for i in range(3)]
    batched = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *schedules)
    for member, original in zip(jaxsched.unstack(batched), schedules):
        np.testing.assert_allclose(
            _call(member, jnp.arange(9)), _call(original, jnp.arange(9)), rtol=1e-6
        )
        np.testing.assert_array_equal(
            jax.random.key_data(member.key), jax.random.key_data(original.key)
        )


def test_unstack_errors():
    schedules = build("ExponentialDecay")
    batched = jaxsched.stack(schedules)
    with pytest.raises(ValueError, match="has no sweep axis"):
        jaxsched.unstack(batched)  # decay_steps is shared: a scalar
    bad = jax.tree_util.tree_map(lambda a: 1, jaxsched.sweep_axes(schedules))
    with pytest.raises(ValueError, match="must hold 0"):
        jaxsched.unstack(batched, bad)
    with pytest.raises(ValueError, match="no leaf is swept"):
        jaxsched.unstack(batched, None)
    ragged = jaxsched.ExponentialDecay(
        np.array([0.1, 0.2]), np.array([10, 20]), np.array([0.5, 0.6, 0.7])
    )
    with pytest.raises(ValueError, match="disagree on the size"):
        jaxsched.unstack(ragged, jax.tree_util.tree_map(lambda _: 0, ragged))
    with pytest.raises(TypeError):
        jaxsched.unstack([batched])


# --------------------------------------------------------------------------
# The plain idioms, without jaxsched.stack


def _columns(name):
    """(each hyperparameter of the sweep as one float64 array, members first;
    the static options, equal in every member)."""
    members = BY_ID[name].sweep
    static = {k: v for k, v in members[0].items() if isinstance(v, (bool, str))}
    columns = {
        k: jnp.asarray(np.array([hp[k] for hp in members], dtype=float))
        for k in members[0] if k not in static
    }
    return columns, static


@pytest.mark.parametrize("name", FLAT)
def test_schedule_built_inside_vmap_from_traced_hyperparameters(name):
    cls = getattr(jaxsched, name)
    columns, static = _columns(name)

    def curve(hp):  # hp holds tracers: the constructor must not concretize them
        return cls(**hp, **static)(jnp.asarray(STEPS))

    out = jax.jit(jax.vmap(curve))(columns)
    np.testing.assert_allclose(out, expected(name, STEPS), **tolerance(out.dtype))


def test_array_hyperparameters_broadcast_against_the_step():
    rates = jnp.array([0.1, 0.2, 0.4])
    sched = jaxsched.ExponentialDecay(rates, 1000, 0.9)
    ref = np.stack(
        [keras_ref.exponential_decay(STEPS, r, 1000, 0.9) for r in (0.1, 0.2, 0.4)]
    )
    scalar = _call(sched, 2500)
    assert scalar.shape == (3,)
    at_2500 = [
        keras_ref.exponential_decay(2500, r, 1000, 0.9) for r in (0.1, 0.2, 0.4)
    ]
    np.testing.assert_allclose(scalar, at_2500, **tolerance(scalar.dtype))
    curves = _call(sched, jnp.asarray(STEPS)[:, None])
    assert curves.shape == (len(STEPS), 3)
    np.testing.assert_allclose(curves, ref.T, **tolerance(curves.dtype))
    # Steps along a trailing axis of their own do not line up with 3 configs.
    with pytest.raises((ValueError, TypeError)):
        _call(sched, jnp.arange(7))
    # Hyperparameters shaped (3, 1) give one curve per row instead.
    rows = _call(
        jaxsched.ExponentialDecay(rates[:, None], 1000, 0.9), jnp.asarray(STEPS)
    )
    np.testing.assert_allclose(rows, ref, **tolerance(rows.dtype))


def test_piecewise_with_a_batch_of_boundaries_and_values():
    boundaries = np.array([[10, 20], [5, 30]])
    values = np.array([[1.0, 0.5, 0.1], [0.3, 0.2, 0.1]])
    sched = jaxsched.PiecewiseConstantDecay(boundaries, values)
    out = _call(sched, jnp.asarray(STEPS)[:, None])
    ref = np.stack(
        [
            keras_ref.piecewise_constant_decay(STEPS, b, v)
            for b, v in zip(boundaries, values)
        ]
    )
    np.testing.assert_allclose(out, ref.T, **tolerance(out.dtype))


def test_array_hyperparameters_are_validated_elementwise():
    with pytest.raises(ValueError, match="decay_steps"):
        jaxsched.ExponentialDecay(jnp.array([0.1, 0.2]), np.array([10, 0]), 0.5)
    with pytest.raises(ValueError, match="t_mul"):
        jaxsched.CosineDecayRestarts(0.1, 10, t_mul=np.array([2.0, -1.0]))


def test_batched_piecewise_takes_python_and_numpy_float_steps():
    # Array boundaries (jnp.stack) with a float64 NumPy / Python step: no
    # float64 request without x64 (filterwarnings = error), Keras' values.
    schedules = build("PiecewiseConstantDecay")
    batched = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *schedules)
    for step in (24.5, np.float64(10.0), np.array([9.5, 10.5, 25.0])):
        out = batched(np.asarray(step)[..., None]) if np.ndim(step) else batched(step)
        ref = expected("PiecewiseConstantDecay", step)
        np.testing.assert_allclose(out, np.moveaxis(ref, 0, -1), **tolerance(out.dtype))
