"""A learning-rate schedule sweep: 64 small models trained at once, on all devices.

What it shows:

* Four schedule classes (``ExponentialDecay``, ``CosineDecay`` with warmup,
  ``CosineDecayRestarts``, ``PiecewiseConstantDecay``), 16 configurations
  each, sweeping more than the initial rate: decay rates, warmup lengths,
  ``t_mul`` / ``m_mul``, the values between boundaries. Each class becomes
  ONE batched schedule (``jaxsched.stack``): its hyperparameters are arrays
  with a leading sweep axis, and ``jaxsched.sweep_axes`` says which leaves
  are swept (0) and which are shared (None, e.g. ``decay_steps``).
* Every schedule ends with the training, so that the ranking compares
  schedules, not how far each got: the decays end at step ``--steps``, the
  step after the last update (optax's and HF's convention for the total).
  Keras' ``CosineDecay`` counts ``decay_steps`` AFTER its warmup, so it gets
  ``decay_steps = steps - warmup_steps``; ``CosineDecayRestarts`` gets the
  ``first_decay_steps`` whose three periods (each ``t_mul`` times the one
  before) fill the run; ``ExponentialDecay`` reaches ``decay_rate`` times
  its initial rate at the end.
* All 64 models (a two-layer MLP on y = sin(3x), SGD with momentum 0.9)
  train in ONE jitted program: a ``lax.scan`` over the steps whose body
  evaluates every schedule at the step (one ``vmap`` per class) and updates
  every model with one ``vmap``.
* The same program sharded over all local devices with ``jax.sharding``: a
  ``Mesh`` with a ``"sweep"`` axis, and ``NamedSharding``s that split the
  swept leaves, the parameters and the optimizer state along it (shared
  leaves and the data are replicated). Nothing else changes; jit follows the
  input shardings. The output shows how the arrays are spread and that the
  results equal the unsharded run.
* A ranked table of final losses, and the best configuration as a JSON
  config that ``jaxsched.deserialize`` reads back (checked against the
  learning rates the winner was trained with).

On a CPU-only host the script asks XLA for 8 virtual CPU devices (before
JAX starts), so the sharding is visible on a laptop; on a multi-GPU or TPU
host the same code spreads the sweep over the accelerators.

Run:
    python examples/sweep.py [--steps 300] [--per-class 16] [--top 16]
"""

from __future__ import annotations

import os

if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    # Only adds virtual CPU devices; the default backend (GPU/TPU) is unchanged.
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
    ).strip()

import argparse
import dataclasses
import itertools
import json
import math
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from _toy import init_mlp, loss_fn, make_data  # examples/_toy.py
from jax import lax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

import jaxsched

MOMENTUM = 0.9


# --------------------------------------------------------------------------
# The sweep: one list of schedules per class


def _pick(grid, n):
    """`n` configurations spread evenly over the grid (all of them if n >= len)."""
    grid = list(grid)
    n = min(n, len(grid))
    return [grid[i * len(grid) // n] for i in range(n)]


def first_period(steps: int, t_mul: float, periods: int = 3) -> float:
    """The ``first_decay_steps`` of a ``CosineDecayRestarts`` whose first
    `periods` periods (each `t_mul` times the one before) end at `steps`."""
    growth = periods if t_mul == 1 else (t_mul**periods - 1) / (t_mul - 1)
    return steps / growth


def make_sweep(steps: int, per_class: int) -> dict[str, list]:
    """Class name -> the list of schedules of that class, `per_class` each.

    Every decay ends at step `steps`, with the training (see the module
    docstring): Keras' ``decay_steps`` does not count the warmup."""
    rates = (0.02, 0.05, 0.1, 0.2)
    third = steps // 3
    grids = {
        "ExponentialDecay": [
            jaxsched.ExponentialDecay(lr, steps, decay_rate)
            for lr, decay_rate in itertools.product(rates, (0.01, 0.1, 0.3, 0.9))
        ],
        "CosineDecay": [
            jaxsched.CosineDecay(
                0.0,
                steps - warmup,  # Keras: the decay starts after the warmup
                alpha=0.01,
                warmup_target=peak,
                warmup_steps=warmup,
            )
            for peak, warmup in itertools.product(
                rates, (0, steps // 20, steps // 10, steps // 5)
            )
        ],
        "CosineDecayRestarts": [
            jaxsched.CosineDecayRestarts(
                lr, first_period(steps, t_mul), t_mul=t_mul, m_mul=m_mul
            )
            for lr, t_mul, m_mul in itertools.product(rates, (1.0, 2.0), (0.5, 1.0))
        ],
        "PiecewiseConstantDecay": [
            jaxsched.PiecewiseConstantDecay([third, 2 * third], [v, v * f, v * f * f])
            for v, f in itertools.product(rates, (0.1, 0.3, 0.5, 0.7))
        ],
    }
    return {name: _pick(grid, per_class) for name, grid in grids.items()}


# --------------------------------------------------------------------------
# One jitted train loop for every model of the sweep


def learning_rates(batched, axes, step):
    """The learning rate of every model at `step`: one vmap per class, concatenated."""
    return jnp.concatenate(
        [jax.vmap(lambda s: s(step), in_axes=(a,))(b) for b, a in zip(batched, axes)]
    )


def make_train(axes, steps: int):
    """A jitted ``train(batched, params, x, y) -> (final_losses, lr_history)``.

    `batched` is a tuple of batched schedules (one per class) and `params`
    the stacked parameters of every model. The `in_axes` trees are static,
    so they are closed over rather than passed. Each model runs
    ``optax.sgd(schedule, momentum=0.9)``: ``optax.trace`` is its momentum,
    and the step's learning rate scales the update after it, as in optax.sgd.
    """
    momentum = optax.trace(decay=MOMENTUM)

    def model_step(params, trace, lr, x, y):
        grads = jax.grad(loss_fn)(params, x, y)
        updates, trace = momentum.update(grads, trace)
        updates = jax.tree.map(lambda u: -lr * u, updates)
        return optax.apply_updates(params, updates), trace

    @jax.jit
    def train(batched, params, x, y):
        def body(carry, step):
            params, trace = carry
            lr = learning_rates(batched, axes, step)
            params, trace = jax.vmap(model_step, in_axes=(0, 0, 0, None, None))(
                params, trace, lr, x, y
            )
            return (params, trace), lr

        carry = (params, jax.vmap(momentum.init)(params))
        (params, _), lr_history = lax.scan(body, carry, jnp.arange(steps))
        final = jax.vmap(loss_fn, in_axes=(0, None, None))(params, x, y)
        return final, lr_history

    return train


def run(train, batched, params, x, y):
    """(final losses, learning-rate history, seconds of the first call (compile
    and run), seconds of a second call (run only))."""
    seconds = []
    for _ in range(2):
        start = time.perf_counter()
        final, lr_history = jax.block_until_ready(train(batched, params, x, y))
        seconds.append(time.perf_counter() - start)
    return final, lr_history, seconds


# --------------------------------------------------------------------------
# Sharding over a device mesh


def sweep_mesh(per_class: int) -> Mesh:
    """A 1-D mesh named "sweep" over as many local devices as split every
    class evenly (all of them when the count divides `per_class`)."""
    devices = jax.local_devices()
    n = math.gcd(len(devices), per_class)
    return Mesh(np.asarray(devices[:n]), ("sweep",))


def shard_sweep(mesh: Mesh, batched, axes, params, x, y):
    """Puts the sweep on `mesh`: swept leaves and per-model arrays split along
    "sweep", shared leaves and the data replicated."""
    split = NamedSharding(mesh, PartitionSpec("sweep"))
    replicated = NamedSharding(mesh, PartitionSpec())

    def layout(axes_tree):
        # None marks a shared leaf; JAX treats None as an empty subtree.
        return jax.tree.map(
            lambda a: replicated if a is None else split,
            axes_tree,
            is_leaf=lambda a: a is None,
        )

    batched = tuple(jax.device_put(b, layout(a)) for b, a in zip(batched, axes))
    params = jax.device_put(params, split)
    return batched, params, jax.device_put(x, replicated), jax.device_put(y, replicated)


def describe_sharding(label, array):
    shapes = {tuple(s.data.shape) for s in array.addressable_shards}
    return (
        f"  {label:<50} shape {tuple(array.shape)!s:<12} "
        f"on {len(array.sharding.device_set)} "
        f"devices, shard shape {', '.join(map(str, sorted(shapes)))}"
    )


# --------------------------------------------------------------------------
# Reporting


def split_fields(schedule, axes):
    """(swept field names, shared field names) of one class of the sweep."""
    swept, shared = [], []
    for f in dataclasses.fields(axes):
        if f.metadata.get("static", False) or getattr(schedule, f.name) is None:
            continue  # a static option, or an optional field left unset
        (shared if getattr(axes, f.name) is None else swept).append(f.name)
    return swept, shared


def swept_hyperparameters(schedule, axes) -> str:
    """`name=value` for the fields this sweep varies (the leaves with axis 0)."""
    config = schedule.get_config()
    swept, _ = split_fields(schedule, axes)
    return " ".join(f"{name}={_fmt(config[name])}" for name in swept)


def _timing(seconds):
    return f"{seconds[0]:.2f} s with compilation, {seconds[1]:.2f} s to run again"


def _fmt(value):
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument(
        "--per-class", type=int, default=16, help="configs per class (max 16)"
    )
    parser.add_argument("--top", type=int, default=16, help="rows of the ranked table")
    args = parser.parse_args(argv)

    sweep = make_sweep(args.steps, args.per_class)
    names = list(sweep)
    members = [(name, s) for name in names for s in sweep[name]]
    batched = tuple(jaxsched.stack(sweep[name]) for name in names)
    axes = tuple(jaxsched.sweep_axes(sweep[name]) for name in names)
    n = len(members)

    key_data, key_init = jax.random.split(jax.random.key(0))
    x, y = make_data(key_data)
    one = init_mlp(key_init)  # the same initial weights for every model
    params = jax.tree.map(lambda p: jnp.broadcast_to(p, (n, *p.shape)), one)

    print(
        f"Sweep: {n} models ({', '.join(f'{len(sweep[k])} {k}' for k in names)}), "
        f"{args.steps} steps each, one jitted lax.scan."
    )
    for name, a in zip(names, axes):
        swept, shared = split_fields(sweep[name][0], a)
        print(f"  {name:<24} swept: {', '.join(swept)}; shared: {', '.join(shared)}")

    train = make_train(axes, args.steps)
    final, lr_history, seconds = run(train, batched, params, x, y)
    print(f"\nUnsharded, on {jax.devices()[0]}: {_timing(seconds)}")

    mesh = sweep_mesh(args.per_class)
    s_batched, s_params, s_x, s_y = shard_sweep(mesh, batched, axes, params, x, y)
    s_final, s_lr_history, s_seconds = run(train, s_batched, s_params, s_x, s_y)
    print(
        f"Sharded over a Mesh {dict(mesh.shape)} of {mesh.devices.size} "
        f"{jax.devices()[0].platform.upper()} devices: {_timing(s_seconds)}"
    )
    print(
        describe_sharding(
            f"{names[0]}.initial_learning_rate", s_batched[0].initial_learning_rate
        )
    )
    print(
        describe_sharding(
            f"{names[0]}.decay_steps (shared: replicated)",
            jnp.asarray(s_batched[0].decay_steps),
        )
    )
    print(describe_sharding("params['w1']", s_params["w1"]))
    print(describe_sharding("final losses (output)", s_final))
    # Gathered to the host: the two runs compared element by element.
    final, s_final = np.asarray(final), np.asarray(s_final)
    max_diff = float(np.max(np.abs(s_final - final)))
    rel_diff = float(np.max(np.abs(s_final - final) / np.abs(final)))
    lr_diff = float(np.max(np.abs(np.asarray(s_lr_history) - np.asarray(lr_history))))
    # Not bit for bit: XLA compiles the per-device program on its own (other
    # shapes, fusions and vectorization), which can change the last bit.
    print(
        f"Sharded vs unsharded, equal to float32 rounding: learning rates max "
        f"|difference| {lr_diff:.3g}; final losses max |difference| {max_diff:.3g} "
        f"(relative {rel_diff:.3g})"
    )

    order = np.argsort(final)
    print(f"\n{'rank':>4}  {'final loss':>10}  {'schedule':<24} hyperparameters")
    for rank, i in enumerate(order[: args.top], start=1):
        name, schedule = members[i]
        hp = swept_hyperparameters(schedule, axes[names.index(name)])
        print(f"{rank:>4}  {final[i]:>10.5f}  {name:<24} {hp}")
    if args.top < n:
        print(f"  ... {n - args.top} more, worst {final[order[-1]]:.5f}")

    best_name, best = members[order[0]]
    best_json = json.dumps(jaxsched.serialize(best))
    print(f"\nBest configuration ({best_name}, final loss {final[order[0]]:.5f}):")
    print(best_json)
    restored = jaxsched.deserialize(json.loads(best_json))
    replay = np.asarray(restored(jnp.arange(args.steps)))
    replay_diff = float(np.max(np.abs(replay - np.asarray(lr_history)[:, order[0]])))
    print(
        f"deserialize(best JSON) -> {type(restored).__name__}; its learning rates "
        f"match the winner's training run: max |difference| = {replay_diff:.3g}"
    )
    return {
        "final": final,
        "sharded_final": s_final,
        "lr_history": np.asarray(lr_history),
        "members": members,
        "order": order,
        "best_json": best_json,
        "max_diff": max_diff,
        "rel_diff": rel_diff,
        "lr_diff": lr_diff,
        "replay_diff": replay_diff,
        "mesh_devices": mesh.devices.size,
        "seconds": seconds,
        "sharded_seconds": s_seconds,
    }


if __name__ == "__main__":
    main()
