"""Every schedule is a frozen dataclass pytree (DESIGN.md §1).

Leaves are the numeric hyperparameters, static fields are in the tree
structure, unflattening does not validate, jit does not retrace for new
values, results have the shape of the step and the dtype of the rate.
(vmap over stacked schedules of every class: ``test_sweep.py``; gradients
with respect to every float hyperparameter of every class:
``test_grad.py``.)
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsched
from cases import EXAMPLES, STEP_PATHS, STEPS, batch, build, public_classes

NAMES = sorted(EXAMPLES)


def test_catalog_covers_every_class():
    assert sorted(EXAMPLES) == public_classes()


def _is_float_leaf(x):
    return isinstance(x, float) or (
        hasattr(x, "dtype") and jnp.issubdtype(x.dtype, jnp.floating)
    )


def _perturbed(sched, factor):
    """The same schedule with every float leaf scaled (dtypes unchanged)."""
    return jax.tree_util.tree_map(
        lambda x: x * factor if _is_float_leaf(x) else x, sched
    )


@pytest.mark.parametrize("name", NAMES)
def test_flatten_unflatten_round_trip(name):
    sched = build(name)
    leaves, treedef = jax.tree_util.tree_flatten(sched)
    assert leaves
    for leaf in leaves:
        assert not isinstance(leaf, (str, bool)), leaf
    again = jax.tree_util.tree_unflatten(treedef, leaves)
    assert type(again) is type(sched)
    steps = np.asarray(STEPS[:-1])
    np.testing.assert_array_equal(batch(again, steps), batch(sched, steps))


@pytest.mark.parametrize("name", NAMES)
def test_unflatten_does_not_run_validation(name):
    """vmap in_axes trees, sharding trees and tracers rebuild schedules with
    leaves that are not hyperparameters: None, 0, objects, invalid numbers."""
    sched = build(name)
    n = len(jax.tree_util.tree_leaves(sched))
    for fill in (0, -1.0, object()):
        rebuilt = jax.tree_util.tree_map(lambda _: fill, sched)
        assert type(rebuilt) is type(sched)
        leaves = jax.tree_util.tree_leaves(rebuilt)
        assert len(leaves) == n and all(leaf is fill for leaf in leaves)
    # None leaves, as in a vmap in_axes tree:
    axes = jax.tree_util.tree_map(lambda _: None, sched)
    assert type(axes) is type(sched)
    assert jax.tree_util.tree_leaves(axes) == []


@pytest.mark.parametrize("name", NAMES)
def test_key_paths_name_the_fields(name):
    sched = build(name)
    fields = {f.name for f in dataclasses.fields(sched)}
    for path, _ in jax.tree_util.tree_flatten_with_path(sched)[0]:
        assert isinstance(path[0], jax.tree_util.GetAttrKey)
        assert path[0].name in fields


@pytest.mark.parametrize("name", NAMES)
def test_frozen(name):
    sched = build(name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sched.name = "changed"


@pytest.mark.parametrize("name", NAMES)
def test_no_retrace_for_new_hyperparameter_values(name):
    traces = []

    @jax.jit
    def lr(sched, step):
        traces.append(1)  # runs once per trace, not per call
        return sched(step)

    sched = build(name)
    for factor in (1.0, 0.5, 0.25):
        for step in (jnp.int32(3), jnp.int32(25)):
            got = lr(_perturbed(sched, factor), step)
            want = _perturbed(sched, factor)(step)
            np.testing.assert_allclose(got, want, rtol=1e-6)
    assert len(traces) == 1


def test_static_options_are_part_of_the_tree_structure():
    a = jaxsched.ExponentialDecay(0.1, 10, 0.5)
    b = jaxsched.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    c = jaxsched.ExponentialDecay(0.1, 10, 0.5, name="other")
    ta, tb, tc = (jax.tree_util.tree_structure(s) for s in (a, b, c))
    assert ta != tb and ta != tc
    # ... so a jitted function compiles once per option, and gets it right:
    f = jax.jit(lambda s: s(15))
    assert float(f(a)) == pytest.approx(0.1 * 0.5**1.5, rel=1e-6)
    assert float(f(b)) == pytest.approx(0.05, rel=1e-6)






@pytest.mark.parametrize("name", NAMES)
def test_result_has_the_shape_of_the_step(name):
    sched = build(name)
    # Any shape, abstractly: the traced body of the compiled call (the shapes
    # not compiled below for every class).
    for shape in [(0,), (4, 1, 2)]:
        out = jax.eval_shape(sched, jax.ShapeDtypeStruct(shape, jnp.int32))
        assert out.shape == shape
    # Compiled and run, values included: a scalar and a 2-D array for every
    # class, and a 1-D and an empty array for one class of each way a class
    # consumes the step (STEP_PATHS: the base class owns the call).
    # (3, 4): the shape of test_step_types' array steps, one program for both.
    shapes = [(), (3, 4)] + ([(5,), (0,)] if name in STEP_PATHS else [])
    for shape in shapes:
        steps = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape) * 7
        out = sched(steps)
        assert out.shape == shape
        flat = [float(sched(int(s))) for s in np.asarray(steps).reshape(-1)]
        np.testing.assert_allclose(np.asarray(out).reshape(-1), flat, rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_result_dtype_follows_the_rate(name, x64):
    default = jnp.float64 if x64 else jnp.float32
    # On a padded batch (the values tests' program); a scalar step on one
    # row of each way a class consumes the step (the base class's conversion).
    assert batch(build(name), [5]).dtype == default
    if name in STEP_PATHS:
        assert build(name)(5).dtype == default
    if build(name)._result_dtype() is None or not x64:
        # Wrappers: the inner schedules' dtype, checked below. Without x64 a
        # float32 rate is the default dtype: nothing more to see.
        return
    # A float32 rate gives float32 also under x64 (where the default is
    # float64). (bfloat16 and float16 rates, for every class:
    # test_precision.py, values included.)
    key = getattr(jaxsched, name)._dtype_from
    for dtype in (jnp.float32,):
        rate = jnp.asarray(EXAMPLES[name][key], dtype)
        out = build(name, **{key: rate})(jnp.arange(3))
        assert out.dtype == dtype, (dtype, out.dtype)
        assert np.all(np.isfinite(np.asarray(out, np.float32)))


def test_wrappers_take_the_inner_dtype(x64):
    inner = jaxsched.ExponentialDecay(jnp.bfloat16(0.1), 10, 0.5)
    assert jaxsched.WithOffset(inner, 5)(3).dtype == jnp.bfloat16
    assert jaxsched.LinearWarmup(inner, 5, 0.0)(3).dtype == jnp.bfloat16


def test_a_schedule_is_usable_as_a_jit_function_and_a_dict_key():
    sched = jaxsched.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert float(jax.jit(sched)(15)) == 0.5
    assert {sched: 1}[sched] == 1
    assert sched == sched and sched != jaxsched.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])


def test_no_reserved_optax_method_names():
    """optax treats an object with init/update as a stateful schedule."""
    for name in NAMES:
        cls = getattr(jaxsched, name)
        assert not hasattr(cls, "init") and not hasattr(cls, "update"), name


# End points under jit, with the schedule captured in the closure: XLA turns
# `s / c` into `s * (1 / c)` for a constant c, so `1 - s / c` is not exactly
# 0 at s == c. Expected values here are exact by hand.


def test_end_points_are_exact_under_jit(call):
    steps = jnp.arange(0, 2000, dtype=jnp.int32)
    # A decay to zero lands on zero and never goes negative.
    for sched in (
        jaxsched.PolynomialDecay(0.1, 3, end_learning_rate=0.0, power=0.5),
        jaxsched.PolynomialDecay(0.1, 7, end_learning_rate=0.0),
        jaxsched.CosineDecay(0.1, 3),
        jaxsched.CosineDecay(0.0, 7, warmup_target=0.3, warmup_steps=3),
        jaxsched.LinearCosineDecay(0.1, 3, beta=0.0),
    ):
        out = np.asarray(call(sched, steps))
        assert np.all(out >= 0), sched
        assert out[1000] == 0.0, sched
    # power=0.5 reaches end_learning_rate exactly (Keras under jit gives NaN).
    sched = jaxsched.PolynomialDecay(0.1, 3, end_learning_rate=0.01, power=0.5)
    assert float(call(sched, jnp.int32(3))) == np.float32(0.01)


@pytest.mark.parametrize("k", [3, 7, 10, 100, 1000])
def test_staircase_steps_land_on_multiples_under_jit(call, k):
    n = np.arange(1, 40)
    steps = jnp.asarray(np.stack([n * k - 1, n * k]).T.reshape(-1), jnp.int32)
    exp = np.asarray(call(jaxsched.ExponentialDecay(1.0, k, 0.5, staircase=True), steps))
    # exponent n - 1 just before n * k, exactly n on it
    want = 0.5 ** np.stack([n - 1, n]).T.reshape(-1)
    np.testing.assert_array_equal(exp, want.astype(exp.dtype))
    inv = np.asarray(call(jaxsched.InverseTimeDecay(1.0, k, 1.0, staircase=True), steps))
    want = 1 / (1 + np.stack([n - 1, n]).T.reshape(-1))
    np.testing.assert_allclose(inv, want, rtol=1e-7)


@pytest.mark.parametrize("k", [3, 7, 10, 1000])
def test_uniform_restarts_start_at_full_value_under_jit(call, k):
    sched = jaxsched.CosineDecayRestarts(1.0, k, t_mul=1.0, m_mul=0.5)
    n = np.arange(1, 20)
    got = np.asarray(call(sched, jnp.asarray(n * k, jnp.int32)))
    np.testing.assert_array_equal(got, (0.5**n).astype(got.dtype))


def test_cycle_restarts_right_after_each_multiple_under_jit(call):
    sched = jaxsched.PolynomialDecay(1.0, 7, end_learning_rate=0.0, cycle=True)
    n = np.arange(1, 50)
    on = np.asarray(call(sched, jnp.asarray(n * 7, jnp.int32)))
    after = np.asarray(call(sched, jnp.asarray(n * 7 + 1, jnp.int32)))
    # On a multiple: the end of cycle n (0). One step later decay_steps is
    # 7 (n + 1) (Keras' cycle stretches the horizon, it does not restart from
    # the initial rate): 1 - (7 n + 1) / (7 (n + 1)) = 6 / (7 (n + 1)).
    np.testing.assert_array_equal(on, np.zeros_like(on))
    np.testing.assert_allclose(after, 6 / (7 * (n + 1)), rtol=1e-6)
