"""The examples run through main() with small sizes and do what their
docstrings say."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import pathlib
import sys

import jax
import numpy as np
import optax
import pytest

import jaxsched
from cases import BY_ID

EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"
STEPS = 40


def _load(name):
    if str(EXAMPLES) not in sys.path:  # as `python examples/x.py` does: for _toy
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(
        f"example_{name}", EXAMPLES / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _quiet(fn, *args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = fn(*args)
    return result, out.getvalue()


@pytest.fixture(scope="module")
def sweep_run():
    """One run of the sweep example's main() (compiling its train loop, twice,
    is most of its cost), shared by the four tests below (once per xdist
    worker that runs one of them: an xdist group would pin them to one worker,
    but ``--dist loadgroup`` costs the whole suite more than a second run)."""
    module = _load("sweep")
    result, printed = _quiet(
        module.main, ["--per-class", "8", "--steps", str(STEPS), "--top", "5"]
    )
    return module, result, printed


def test_sweep_example_trains_every_model_with_its_own_schedule(sweep_run):
    _check_every_model_trains_with_its_own_schedule(sweep_run[1])


def test_sweep_example_model_equals_training_it_alone_with_optax_sgd(sweep_run):
    module, result, _ = sweep_run
    _check_a_model_equals_training_it_alone_with_optax_sgd(module, result)


def test_sweep_example_sharded_run_equals_unsharded_run_on_all_devices(sweep_run):
    _check_sharded_run_equals_unsharded_run_on_all_devices(*sweep_run[1:])


def test_sweep_example_prints_a_ranked_table_and_the_best_config(sweep_run):
    _check_ranked_table_and_best_config(*sweep_run[1:])


def _check_every_model_trains_with_its_own_schedule(result):
    members = result["members"]
    assert len(members) == 32
    assert {type(s).__name__ for _, s in members} == {
        "ExponentialDecay",
        "CosineDecay",
        "CosineDecayRestarts",
        "PiecewiseConstantDecay",
    }
    # The rate each model trained with at each step is its schedule's, by the
    # float64 reference (not only the initial rate differs across members).
    for i, (name, schedule) in enumerate(members):
        config = schedule.get_config()
        ref = BY_ID[name].reference(np.arange(STEPS), config)
        np.testing.assert_allclose(
            result["lr_history"][:, i], ref, rtol=2e-6, atol=1e-8
        )
    assert len({tuple(np.round(col, 6)) for col in result["lr_history"].T}) == 32


def _check_a_model_equals_training_it_alone_with_optax_sgd(module, result):
    key_data, key_init = jax.random.split(jax.random.key(0))
    x, y = module.make_data(key_data)
    members = (0, 13, 22, 31)  # one of each class
    optimizers = [optax.sgd(result["members"][i][1], momentum=module.MOMENTUM)
                  for i in members]

    @jax.jit  # the four trainings in one program (one compilation)
    def fit_each(params):
        def fit(optimizer):
            def step(carry, _):
                params, state = carry
                grads = jax.grad(module.loss_fn)(params, x, y)
                updates, state = optimizer.update(grads, state, params)
                return (optax.apply_updates(params, updates), state), None

            carry = (params, optimizer.init(params))
            return module.loss_fn(jax.lax.scan(step, carry, None, length=STEPS)[0][0], x, y)

        return [fit(optimizer) for optimizer in optimizers]

    for i, alone in zip(members, fit_each(module.init_mlp(key_init))):
        np.testing.assert_allclose(result["final"][i], alone, rtol=1e-4)


def _check_sharded_run_equals_unsharded_run_on_all_devices(result, printed):
    assert result["mesh_devices"] == jax.device_count()
    np.testing.assert_allclose(result["sharded_final"], result["final"], rtol=1e-5)
    assert result["max_diff"] == float(
        np.max(np.abs(result["sharded_final"] - result["final"]))
    )
    assert f"on {jax.device_count()} devices, shard shape" in printed


def _check_ranked_table_and_best_config(result, printed):
    lines = printed.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("rank"))
    rows = [line.split() for line in lines[start + 1 : start + 6]]
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4, 5]
    losses = [float(r[1]) for r in rows]
    assert losses == sorted(losses)
    np.testing.assert_allclose(losses, np.sort(result["final"])[:5], atol=1e-5)

    best_line = lines[
        lines.index(next(ln for ln in lines if ln.startswith("Best"))) + 1
    ]
    assert best_line == result["best_json"]
    restored = jaxsched.deserialize(json.loads(best_line))
    name, best = result["members"][int(np.argmin(result["final"]))]
    assert type(restored).__name__ == name == rows[0][2]
    assert restored.get_config() == best.get_config()


def test_hypergradient_example_raises_a_too_small_rate_and_lowers_the_loss():
    module = _load("hypergradient")
    result, _ = _quiet(module.main, ["--inner-steps", "50", "--outer-steps", "4"])
    history = result["history"]
    rates, losses, grads = zip(*history)
    assert grads[0] < 0  # d loss / d log lr < 0: a larger rate helps
    assert all(b > a for a, b in zip(rates, rates[1:]))
    assert losses[-1] < losses[0]
    assert isinstance(result["grads"], jaxsched.ExponentialDecay)
    assert all(
        np.isfinite(float(v)) for v in jax.tree_util.tree_leaves(result["grads"])
    )
    # The learned rate is the schedule's value at step 0.
    np.testing.assert_allclose(result["learned"](0), rates[-1], rtol=1e-5)


def test_quickstart_trains(tmp_path):
    quickstart = _load("quickstart")
    out = tmp_path / "curve.png"
    losses, printed = _quiet(quickstart.main, ["--steps", "120", "--out", str(out)])
    assert "learning rate" in printed and "final loss" in printed
    assert np.mean(losses[-10:]) < 0.2 * np.mean(losses[:10])
    if importlib.util.find_spec("matplotlib") is not None:
        assert out.exists() and out.stat().st_size > 10_000
    else:
        assert "matplotlib not installed" in printed
