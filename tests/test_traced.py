"""Traced hyperparameters: constructors never concretize, and
``jaxsched.check`` validates traced values through ``jax.experimental.checkify``.

What happens without ``check`` is documented too: inside ``jit``/``vmap`` the
constructor's checks are skipped and the formula is evaluated as written.
"""

import dataclasses
import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import checkify

import jaxsched
from cases import ROWS, Inner, run_fast_compiled

STEPS = jnp.array([0, 1, 5, 10, 11, 50, 100, 101, 1000])

# The arguments each row traces (its numbers, plus the two lists).
# A warmup's nested schedule is not a number to trace (a constant rate would be).
TRACED = {row.id: [n for n in row.numbers if not isinstance(row.example.get(n), Inner)]
          for row in ROWS}
TRACED["PiecewiseConstantDecay"] = ["boundaries", "values"]
TRACED["JoinSchedules"] = ["boundaries"]
# Product, Minimum, Maximum hold only nested schedules (whose own rows trace
# their numbers): nothing of theirs to trace.
TRACEABLE = [row for row in ROWS if TRACED[row.id]]
TRACEABLE_IDS = [row.id for row in TRACEABLE]


def _split(row):
    """(names of traced args, their values in the example or by default, the
    rest of the example)."""
    defaults = {
        n: p.default for n, p in inspect.signature(row.cls).parameters.items()
    }
    config = {**defaults, **row.example}
    names = [n for n in TRACED[row.id] if config.get(n) is not None]
    values = [jnp.asarray(config[n], jnp.float32) for n in names]
    static = {k: v for k, v in row.example.items() if k not in names}
    return names, values, static


@pytest.mark.parametrize("row", TRACEABLE, ids=TRACEABLE_IDS)
def test_constructor_never_concretizes_traced_hyperparameters(row):
    names, values, static = _split(row)

    def run(*traced):
        return row.build({**static, **dict(zip(names, traced))})(STEPS)

    total = jax.grad(lambda *t: run(*t).sum(), argnums=tuple(range(len(values))))

    # Built from tracers under jit, vmap and grad: tracing is what would
    # concretize, so vmap and grad are only traced (their values: sweeps and
    # gradients of every float leaf, test_sweep.py and test_grad.py).
    pairs = [jnp.stack([v, v]) for v in values]
    assert jax.eval_shape(jax.vmap(run), *pairs).shape == (2,) + STEPS.shape
    assert [g.shape for g in jax.eval_shape(total, *values)] == [v.shape for v in values]

    # Under jit, the values: against the same (float32) hyperparameters as
    # concrete arrays (constants of the program), in one program compiled
    # for speed (cases.FAST_COMPILE: compared within the program).
    want, jitted = run_fast_compiled(jax.jit(lambda *t: (run(*values), run(*t))), *values)
    np.testing.assert_allclose(jitted, want, rtol=1e-6)


@pytest.mark.parametrize("row", TRACEABLE, ids=TRACEABLE_IDS)
def test_concrete_hyperparameters_are_still_checked_inside_jit(row):
    # One traced rate, every other hyperparameter concrete: the constructor's
    # checks run on the concrete ones while jit traces (without concretizing
    # the tracer), and still reject a bad one.
    rates = [n for n in ("values", "initial_learning_rate") if n in row.example]
    rate = (rates or TRACED[row.id])[0]  # a warmup: its first traced number

    def run(r, **changes):
        return row.build({**row.example, rate: r, **changes})(STEPS)

    r = jnp.asarray(row.example[rate], jnp.float32)
    # Against the concrete rate, a constant of the same program.
    got, want = jax.jit(lambda t: (run(t), run(r)))(r)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    if row.positive:
        with pytest.raises(ValueError, match=f"`{row.positive[0]}` must be > 0"):
            jax.jit(lambda r: run(r, **{row.positive[0]: 0}))(r)


def test_lists_of_tracers_are_stacked_into_one_leaf():
    def run(b0, v0):
        sched = jaxsched.PiecewiseConstantDecay([b0, 20], [v0, 0.5, 0.1])
        return sched(STEPS)

    got = jax.jit(run)(10, 1.0)
    want = jaxsched.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])(STEPS)
    np.testing.assert_array_equal(got, want)


def test_without_check_traced_invalid_values_are_used_as_they_are():
    # The documented behaviour: no error, no silent fix; the formula as written.
    def exponential(decay_steps):
        return jaxsched.ExponentialDecay(0.1, decay_steps, 0.5)(jnp.array([0.0, 10.0]))

    zero = jax.jit(exponential)(0.0)
    assert bool(jnp.isnan(zero[0])) and float(zero[1]) == 0.0  # 0/0, then 10/0 = inf
    negative = jax.jit(exponential)(-10.0)
    np.testing.assert_allclose(negative, [0.1, 0.2], rtol=1e-6)  # growth
    nan = jax.jit(lambda lr: jaxsched.CosineDecay(lr, 100)(5))(jnp.nan)
    assert bool(jnp.isnan(nan))


# --------------------------------------------------------------------------
# jaxsched.check


def _bad_values(row):
    """(argument, bad value) pairs the constructor rejects."""
    bad = [(arg, 0.0) for arg in row.positive] + [(arg, -1.0) for arg in row.positive]
    bad += [(arg, -1.0) for arg in row.nonnegative]
    bad += [(arg, float("nan")) for arg in row.numbers]
    bad += [(arg, float("inf")) for arg in row.numbers[:1]]
    return [(arg, value) for arg, value in bad if arg in TRACED[row.id]]


CHECKED = [row for row in ROWS if _bad_values(row)]


@pytest.mark.parametrize("row", CHECKED, ids=[row.id for row in CHECKED])
def test_check_under_checkify_names_the_traced_argument_and_value(row):
    names, values, static = _split(row)

    def run(*traced):
        sched = jaxsched.check(row.build({**static, **dict(zip(names, traced))}))
        return sched(STEPS)

    def run_and_want(*traced):
        # `want`: the concrete hyperparameters, constants of the same program.
        return run(*traced), row.build({**static, **dict(zip(names, values))})(STEPS)

    checked = jax.jit(checkify.checkify(run_and_want))
    err, (out, want) = checked(*values)
    assert err.get() is None
    np.testing.assert_allclose(out, want, rtol=1e-6)
    for arg, bad in _bad_values(row):
        args = [jnp.asarray(bad, jnp.float32) if n == arg else v
                for n, v in zip(names, values)]
        message = checked(*args)[0].get()  # the same compiled function
        assert message is not None, (arg, bad)
        assert f"{row.id}: argument `{arg}`" in message, message
        assert f"{arg}={bad}" in message, message


def test_check_in_vmap_reports_the_bad_element():
    def run(decay_steps):
        return jaxsched.check(jaxsched.PolynomialDecay(0.1, decay_steps))(50)

    err, out = checkify.checkify(jax.vmap(run))(jnp.array([100.0, -3.0, 200.0]))
    message = err.get()
    assert "PolynomialDecay: argument `decay_steps` must be > 0" in message
    assert "decay_steps=-3.0" in message
    err, out = checkify.checkify(jax.vmap(run))(jnp.array([100.0, 3.0, 200.0]))
    assert err.get() is None and out.shape == (3,)


def test_check_in_checkify_catches_unsorted_traced_boundaries():
    def run(boundaries):
        sched = jaxsched.PiecewiseConstantDecay(boundaries, [1.0, 0.5, 0.1])
        return jaxsched.check(sched)(5)

    err, _ = checkify.checkify(jax.jit(run))(jnp.array([20.0, 10.0]))
    assert "`boundaries` must be strictly increasing" in err.get()
    assert "boundaries=[20. 10.]" in err.get()
    err, _ = checkify.checkify(jax.jit(run))(jnp.array([10.0, 20.0]))
    assert err.get() is None


@pytest.mark.parametrize("row", CHECKED, ids=[row.id for row in CHECKED])
def test_check_raises_the_constructors_error_for_concrete_values(row):
    # Leaves replaced without validation (tree_map, unflatten) are caught.
    sched = row.build(row.example)
    assert jaxsched.check(sched) is sched
    for arg, bad in _bad_values(row):
        if arg not in row.example:
            continue
        leaves, treedef = jax.tree_util.tree_flatten_with_path(sched)
        new = [
            (np.full(np.shape(v), bad) if path[-1].name == arg else v)
            for path, v in leaves
        ]
        rebuilt = jax.tree_util.tree_unflatten(treedef, new)
        with pytest.raises(ValueError) as from_check:
            jaxsched.check(rebuilt)
        with pytest.raises(ValueError) as from_constructor:
            row.build({**row.example, arg: np.full(np.shape(row.example[arg]), bad)})
        assert str(from_check.value) == str(from_constructor.value)


def test_check_recurses_into_nested_schedules():
    @dataclasses.dataclass(frozen=True, eq=False)
    class Scaled(jaxsched.LearningRateSchedule):
        inner: jaxsched.LearningRateSchedule = dataclasses.field(
            metadata={"kind": "schedule_or_number"}
        )
        scale: float = 1.0

        def __call__(self, step):
            return self.scale * self.inner(step)

    sched = Scaled(jaxsched.ExponentialDecay(0.1, 10, 0.5), 2.0)
    assert jaxsched.check(sched) is sched
    broken = jax.tree_util.tree_map(lambda x: x * 0, sched)  # decay_steps = 0
    with pytest.raises(ValueError, match="ExponentialDecay: argument `decay_steps`"):
        jaxsched.check(broken)

    def run(decay_steps):
        inner = jaxsched.ExponentialDecay(0.1, decay_steps, 0.5)
        return jaxsched.check(Scaled(inner))(3)

    err, _ = checkify.checkify(jax.jit(run))(-1.0)
    assert "decay_steps=-1.0" in err.get()


def test_check_outside_checkify_is_refused_by_jax_under_jit():
    # Documented: a traced check needs checkify.checkify around it.
    def run(decay_steps):
        return jaxsched.check(jaxsched.ExponentialDecay(0.1, decay_steps, 0.5))(3)

    with pytest.raises(ValueError, match="checkify"):
        jax.jit(run)(10.0)


def test_check_rejects_what_is_not_a_schedule():
    with pytest.raises(TypeError, match="schedule="):
        jaxsched.check(lambda step: 0.1)
