"""Learn a schedule hyperparameter by gradient descent (hypergradients).

A jaxsched schedule is a pytree of numbers, so the loss after training is a
differentiable function of its hyperparameters. This script trains a small
MLP for ``--inner-steps`` steps with ``optax.sgd(schedule, momentum=0.9)``
inside ``lax.scan``, takes ``jax.grad`` of the held-out loss with respect to
``initial_learning_rate`` (in log space) straight through the whole training
run, and improves it with an outer Adam loop. It starts from a rate that is
far too small and prints, per outer step, the rate, the held-out loss and the
hypergradient; at the end, the gradient of the loss with respect to every
hyperparameter of the learned schedule (a schedule of gradients).

Run:
    python examples/hypergradient.py [--inner-steps 100] [--outer-steps 25]
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import optax
from _toy import init_mlp, loss_fn, make_data  # examples/_toy.py
from jax import lax

import jaxsched


def held_out_loss(schedule, params, train, valid, steps):
    """Trains `params` for `steps` steps with optax.sgd(schedule), returns the
    loss on `valid`. Differentiable with respect to the schedule's leaves."""
    optimizer = optax.sgd(schedule, momentum=0.9)

    def step(carry, _):
        params, state = carry
        grads = jax.grad(loss_fn)(params, *train)
        updates, state = optimizer.update(grads, state, params)
        return (optax.apply_updates(params, updates), state), None

    (params, _), _ = lax.scan(
        step, (params, optimizer.init(params)), None, length=steps
    )
    return loss_fn(params, *valid)


def make_schedule(log_lr, steps):
    """The schedule being tuned: its initial rate is exp(log_lr)."""
    return jaxsched.ExponentialDecay(jnp.exp(log_lr), decay_steps=steps, decay_rate=0.1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inner-steps", type=int, default=100)
    parser.add_argument("--outer-steps", type=int, default=25)
    parser.add_argument("--initial-lr", type=float, default=0.003)
    parser.add_argument(
        "--meta-lr", type=float, default=0.15, help="Adam step on log lr"
    )
    args = parser.parse_args(argv)

    k_train, k_valid, k_init = jax.random.split(jax.random.key(0), 3)
    train, valid = make_data(k_train), make_data(k_valid)
    params = init_mlp(k_init)
    steps = args.inner_steps

    # d held-out loss / d log(initial_learning_rate), through `steps` SGD steps.
    @jax.jit
    def meta_loss_and_grad(log_lr):
        return jax.value_and_grad(
            lambda v: held_out_loss(
                make_schedule(v, steps), params, train, valid, steps
            )
        )(log_lr)

    meta = optax.adam(args.meta_lr)
    log_lr = jnp.log(jnp.float32(args.initial_lr))
    meta_state = meta.init(log_lr)
    history = []
    print(
        f"{'outer':>5} {'initial_learning_rate':>22} {'held-out loss':>14} "
        f"{'d loss / d log lr':>18}"
    )
    for outer in range(args.outer_steps + 1):
        loss, grad = meta_loss_and_grad(log_lr)
        history.append((float(jnp.exp(log_lr)), float(loss), float(grad)))
        if outer % 5 == 0 or outer == args.outer_steps:
            print(
                f"{outer:>5} {float(jnp.exp(log_lr)):>22.5f} {float(loss):>14.5f} "
                f"{float(grad):>18.5f}"
            )
        if outer == args.outer_steps:
            break
        updates, meta_state = meta.update(grad, meta_state)
        log_lr = optax.apply_updates(log_lr, updates)

    learned = make_schedule(log_lr, steps)
    print(
        f"\nHeld-out loss {history[0][1]:.5f} at initial_learning_rate="
        f"{history[0][0]:g} -> {history[-1][1]:.5f} at {history[-1][0]:.4f}."
    )

    # The gradient with respect to the schedule itself is a schedule of
    # gradients: one number per hyperparameter (decay_steps as a float here).
    floats = jax.tree_util.tree_map(lambda v: jnp.asarray(v, jnp.float32), learned)
    by_leaf = jax.jit(
        jax.grad(lambda s: held_out_loss(s, params, train, valid, steps))
    )(floats)
    print("d held-out loss / d hyperparameters of the learned schedule:")
    for name in ("initial_learning_rate", "decay_steps", "decay_rate"):
        print(f"  {name:<22} {float(getattr(by_leaf, name)):+.5f}")
    return {"history": history, "learned": learned, "grads": by_leaf}


if __name__ == "__main__":
    main()
