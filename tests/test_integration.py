"""jaxsched schedules inside optax: inject_hyperparams, chain, contrib, and
schedules saved and restored as part of a train state; the README's sweep and
optax sections run as written.

Expected learning rates come from tests/reference.py; optimizer trajectories
are compared with the same optax optimizer driven by a lookup table of those
reference rates (a plain callable, no jaxsched involved).
"""

from __future__ import annotations

import json
import pathlib
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxsched
import reference
from cases import run_fast_compiled

# Warmup from 0.01 to 0.05 over 3 steps, then cosine decay to 10% over 12.
SCHEDULE = dict(
    initial_learning_rate=0.01,
    decay_steps=12,
    alpha=0.1,
    warmup_target=0.05,
    warmup_steps=3,
)
N_STEPS = 20


def _schedule():
    return jaxsched.CosineDecay(**SCHEDULE)


def _reference_rates(n=64):
    return reference.cosine_decay(np.arange(n), **SCHEDULE)


def _table_schedule():
    """The same schedule as a lookup table of reference values."""
    table = jnp.asarray(_reference_rates(), jnp.float32)
    return lambda count: table[count]


A = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 0.5], [0.1, 0.0, 0.3]])


def _loss(params):
    return 0.5 * jnp.sum((params["w"] * A) ** 2) + 0.5 * jnp.sum(
        (params["b"] - 1.0) ** 2
    )


def _params():
    return {"w": jnp.ones((4, 3)), "b": jnp.zeros(3)}


def _constant_schedule():
    return lambda count: jnp.float32(SCHEDULE["warmup_target"])


def _train(*optimizers, steps=N_STEPS):
    """(final params, per-step losses) of each optimizer on _loss, each in a
    scan, all in one jitted program (one compilation)."""

    def train(optimizer, params):
        tx = optax.with_extra_args_support(optimizer)

        def step(carry, _):
            params, state = carry
            loss, grads = jax.value_and_grad(_loss)(params)
            updates, state = tx.update(grads, state, params, value=loss, obj_fn=_loss)
            return (optax.apply_updates(params, updates), state), loss

        (params, _), losses = jax.lax.scan(
            step, (params, tx.init(params)), None, length=steps
        )
        return params, losses

    # The optimizers are compared with each other within the program, and
    # their parameters checked for finiteness: compiled for speed
    # (cases.FAST_COMPILE).
    results = run_fast_compiled(
        jax.jit(lambda params: [train(o, params) for o in optimizers]), _params())
    return results[0] if len(optimizers) == 1 else results


def _trains_like_the_reference_rates(make):
    """The optimizer `make(lr)` with our schedule follows the same optimizer
    with the reference rates tabulated, and differs from a constant rate."""
    ours, table, constant = _train(make(_schedule()), make(_table_schedule()),
                                   make(_constant_schedule()))
    assert all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree_util.tree_leaves(ours))
    assert _max_difference(ours, table) < 1e-5
    return _moved_differently(ours, constant)


def _moved_differently(a, b):
    """max |(a - start) - (b - start)| / max |b - start| over the final params."""
    (pa, _), (pb, _) = a, b
    start = _params()
    worst = 0.0
    for x, y, x0 in zip(*(jax.tree_util.tree_leaves(t) for t in (pa, pb, start))):
        dy = y - x0
        worst = max(
            worst, float(jnp.max(jnp.abs((x - x0) - dy)) / jnp.max(jnp.abs(dy)))
        )
    return worst


def _max_difference(a, b):
    """Largest difference relative to max(|b|, 1) over the leaves of two trees."""
    return max(
        float(jnp.max(jnp.abs(x - y) / jnp.maximum(jnp.abs(y), 1.0)))
        for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b))
    )


# --------------------------------------------------------------------------
# inject_hyperparams and chain


def test_inject_hyperparams_exposes_the_current_learning_rate():
    optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=_schedule())
    params = _params()
    state = optimizer.init(params)
    grads = jax.grad(_loss)(params)
    update = jax.jit(optimizer.update)
    expected = _reference_rates()
    np.testing.assert_allclose(
        state.hyperparams["learning_rate"], expected[0], rtol=1e-6
    )
    for t in range(N_STEPS):
        updates, state = update(grads, state, params)
        # The rate used by update number t (counted from 0) is lr(t).
        lr = state.hyperparams["learning_rate"]
        np.testing.assert_allclose(lr, expected[t], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(updates["w"], -expected[t] * grads["w"], rtol=1e-5)
    assert int(state.count) == N_STEPS


def test_inject_hyperparams_with_a_schedule_built_from_traced_hyperparameters():
    # The schedule's hyperparameters are jit arguments: new values, no retrace.
    traces = []

    @jax.jit
    def rates(peak, warmup):
        traces.append(None)
        schedule = jaxsched.CosineDecay(
            0.0, 12, warmup_target=peak, warmup_steps=warmup
        )
        optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=schedule)
        params = _params()
        grads = jax.tree_util.tree_map(jnp.ones_like, params)

        def step(state, _):
            _, state = optimizer.update(grads, state, params)
            return state, state.hyperparams["learning_rate"]

        return jax.lax.scan(step, optimizer.init(params), None, length=N_STEPS)[1]

    for peak, warmup in ((0.05, 3.0), (0.2, 5.0)):
        ref = reference.cosine_decay(
            np.arange(N_STEPS), 0.0, 12, warmup_target=peak, warmup_steps=warmup
        )
        np.testing.assert_allclose(rates(peak, warmup), ref, rtol=1e-5, atol=1e-8)
    assert len(traces) == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda lr: optax.chain(
            optax.clip_by_global_norm(1.0),
            optax.scale_by_adam(),
            optax.scale_by_learning_rate(lr),
        ),
        lambda lr: optax.chain(
            optax.add_decayed_weights(1e-3), optax.sgd(lr, momentum=0.9)
        ),
        lambda lr: optax.chain(
            optax.scale_by_rms(), optax.scale_by_schedule(lr), optax.scale(-1.0)
        ),
        lambda lr: optax.adamw(lr, weight_decay=1e-2),
    ],
    ids=["clip_adam_lr", "decay_sgd", "rms_schedule", "adamw"],
)
def test_chains_follow_the_reference_rates(make):
    # ... and the schedule matters: a constant rate trains differently.
    assert _trains_like_the_reference_rates(make) > 0.05


# --------------------------------------------------------------------------
# optax.contrib

CONTRIB = {
    "acprop": lambda lr: optax.contrib.acprop(lr),
    "ademamix": lambda lr: optax.contrib.ademamix(lr),
    "adopt": lambda lr: optax.contrib.adopt(lr),
    "cocob": lambda lr: optax.contrib.cocob(lr),
    "dadapt_adamw": lambda lr: optax.contrib.dadapt_adamw(lr),
    "dog": lambda lr: optax.contrib.dog(lr),
    "dowg": lambda lr: optax.contrib.dowg(lr),
    "galore": lambda lr: optax.contrib.galore(lr, rank=2, update_proj_gap=5),
    "madgrad": lambda lr: optax.contrib.madgrad(lr),
    "momo": lambda lr: optax.contrib.momo(lr),
    "momo_adam": lambda lr: optax.contrib.momo_adam(lr),
    "muon": lambda lr: optax.contrib.muon(lr),
    "prodigy": lambda lr: optax.contrib.prodigy(lr),
    "schedule_free": lambda lr: optax.contrib.schedule_free(
        optax.sgd(lr), learning_rate=lr
    ),
    "simplified_ademamix": lambda lr: optax.contrib.simplified_ademamix(lr),
    "sophia": lambda lr: optax.contrib.sophia(lr),
}


@pytest.mark.parametrize("name", sorted(CONTRIB))
def test_contrib_optimizers_take_a_schedule(name):
    # The schedule is used: a constant rate moves the parameters otherwise.
    assert _trains_like_the_reference_rates(CONTRIB[name]) > 0.05


# --------------------------------------------------------------------------
# Checkpoints


def _to_numpy(leaf):
    if isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(
        leaf.dtype, jax.dtypes.prng_key
    ):
        return np.asarray(jax.random.key_data(leaf))
    return np.asarray(leaf)


def _from_numpy(saved, like):
    if isinstance(like, jax.Array) and jax.dtypes.issubdtype(
        like.dtype, jax.dtypes.prng_key
    ):
        return jax.random.wrap_key_data(saved, impl=jax.random.key_impl(like))
    return saved


def _save(folder, train_state, schedule_configs):
    leaves = [_to_numpy(x) for x in jax.tree_util.tree_leaves(train_state)]
    np.savez(folder / "state.npz", *leaves)
    (folder / "schedule.json").write_text(json.dumps(schedule_configs))


def _restore(folder, template):
    saved = np.load(folder / "state.npz")
    leaves, treedef = jax.tree_util.tree_flatten(template)
    assert len(saved.files) == len(leaves)
    restored = [_from_numpy(saved[f"arr_{i}"], like) for i, like in enumerate(leaves)]
    return jax.tree_util.tree_unflatten(treedef, restored)


def _fit(schedule, state, steps):
    """`steps` more steps of optax.sgd(schedule, momentum=0.9) from `state`."""
    optimizer = optax.sgd(schedule, momentum=0.9)

    def step(state, _):
        grads = jax.grad(_loss)(state["params"])
        updates, opt_state = optimizer.update(
            grads, state["opt_state"], state["params"]
        )
        return {
            **state,
            "params": optax.apply_updates(state["params"], updates),
            "opt_state": opt_state,
        }, None

    return jax.jit(lambda s: jax.lax.scan(step, s, None, length=steps)[0])(state)


def test_train_state_with_a_schedule_round_trips_through_a_checkpoint(tmp_path):
    schedule = jaxsched.NoisyLinearCosineDecay(0.05, 30, initial_variance=0.1, seed=7)
    optimizer = optax.sgd(schedule, momentum=0.9)
    state = {
        "params": _params(),
        "opt_state": optimizer.init(_params()),
        "schedule": schedule,
    }
    state = _fit(schedule, state, 10)
    _save(tmp_path, state, jaxsched.serialize(schedule))

    # Restore in a fresh "process": only the files.
    config = json.loads((tmp_path / "schedule.json").read_text())
    restored_schedule = jaxsched.deserialize(config)
    fresh = optax.sgd(restored_schedule, momentum=0.9)
    template = {
        "params": _params(),
        "opt_state": fresh.init(_params()),
        "schedule": restored_schedule,
    }
    restored = _restore(tmp_path, template)

    assert jax.tree_util.tree_structure(restored) == jax.tree_util.tree_structure(state)
    for a, b in zip(
        jax.tree_util.tree_leaves(restored), jax.tree_util.tree_leaves(state)
    ):
        np.testing.assert_array_equal(_to_numpy(a), _to_numpy(b))
    # The JSON config and the checkpointed schedule leaves agree.
    steps = jnp.arange(40)
    np.testing.assert_array_equal(restored_schedule(steps), restored["schedule"](steps))
    # Training resumes exactly where it stopped: 10 + 15 steps == 25 steps.
    resumed = _fit(restored["schedule"], restored, 15)
    straight = _fit(
        schedule,
        {
            "params": _params(),
            "opt_state": optimizer.init(_params()),
            "schedule": schedule,
        },
        25,
    )
    for a, b in zip(
        jax.tree_util.tree_leaves(resumed["params"]),
        jax.tree_util.tree_leaves(straight["params"]),
    ):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert int(resumed["opt_state"][-1].count) == 25


def test_a_batched_schedule_checkpoints_as_leaves_plus_member_configs(tmp_path):
    schedules = [
        jaxsched.PiecewiseConstantDecay([10, 20], [v, v / 2, v / 4])
        for v in (0.1, 0.2, 0.4)
    ]
    batched, axes = jaxsched.stack(schedules), jaxsched.sweep_axes(schedules)
    configs = [jaxsched.serialize(s) for s in jaxsched.unstack(batched, axes)]
    _save(tmp_path, {"schedule": batched}, configs)

    members = [
        jaxsched.deserialize(c)
        for c in json.loads((tmp_path / "schedule.json").read_text())
    ]
    template = {"schedule": jaxsched.stack(members)}
    restored = _restore(tmp_path, template)["schedule"]
    out = jax.vmap(
        lambda s: s(jnp.arange(30)), in_axes=(jaxsched.sweep_axes(members),)
    )(restored)
    ref = np.stack(
        [
            reference.piecewise_constant_decay(
                np.arange(30), [10, 20], [v, v / 2, v / 4]
            )
            for v in (0.1, 0.2, 0.4)
        ]
    )
    np.testing.assert_allclose(out, ref, rtol=1e-6)


# --------------------------------------------------------------------------
# The README runs


def _readme_blocks(first: str, last: str) -> list[str]:
    text = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    start = text.index(first)
    section = text[start : text.index(last, start)]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def _run_blocks(first, last, least):
    """Every Python block between the two headings, each on its own, in a
    fresh namespace, as a reader pastes it (test_readme.py leaves these
    blocks to the tests here); their names, merged, for the checks."""
    blocks = _readme_blocks(first, last)
    assert len(blocks) >= least
    merged: dict = {}
    for block in blocks:
        namespace: dict = {}
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
        merged.update(namespace)
    return merged


# The README's sections (first heading, next heading) whose blocks the tests
# below run (and check).
SWEEPS = ("## Sweeps", "### Gradients through schedules")
GRADIENTS = ("### Gradients through schedules", "## With optax")
OPTAX = ("## With optax", "## TF Model Garden")
README_SECTIONS = [SWEEPS, GRADIENTS, OPTAX]


def test_readme_sweep_section_runs():
    namespace = _run_blocks(*SWEEPS, least=3)
    # A few of the values the README talks about, checked independently.
    ref = [
        reference.cosine_decay_restarts(250, lr, 100, t, m)
        for lr in (0.1, 0.3)
        for t in (1.0, 2.0)
        for m in (0.5, 1.0)
    ]
    np.testing.assert_allclose(namespace["lrs"], ref, rtol=1e-5)
    assert namespace["curves"].shape == (1000, 8)
    assert len(namespace["members"]) == 8


def test_readme_gradients_section_runs():
    namespace = _run_blocks(*GRADIENTS, least=1)
    # The hypergradient raised a too small rate, and the loss after training fell.
    assert float(jnp.exp(namespace["log_lr"])) > 0.01
    loss_after_training = namespace["loss_after_training"]
    assert loss_after_training(namespace["log_lr"]) < 0.1 * loss_after_training(np.log(0.001))
    grads = namespace["schedule_grads"]
    assert isinstance(grads, jaxsched.CosineDecay)
    # d lr(30) / d warmup_target = the cosine factor 20 steps into a 100-step decay.
    np.testing.assert_allclose(
        grads.warmup_target, 0.5 * (1 + np.cos(0.2 * np.pi)), rtol=1e-5
    )


def test_readme_optax_section_runs():
    namespace = _run_blocks(*OPTAX, least=2)
    restored = namespace["train_state"]
    np.testing.assert_array_equal(restored["params"]["w"], np.ones(3))
    assert isinstance(restored["schedule"], jaxsched.CosineDecay)
