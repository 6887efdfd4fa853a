"""Train a small MLP with optax and a jaxsched schedule, and show the curve.

The model is a two-layer MLP fitted to a synthetic regression problem
(y = sin(3x) + noise). The learning rate comes from a jaxsched schedule,
``CosineDecay`` with a linear warmup, handed to ``optax.sgd`` unchanged; the
train step is jitted and the optimizer counts the steps. Every few steps the
script prints the loss and the learning rate the schedule gave at that step.
With matplotlib installed (``pip install -e ".[plot]"``) it also writes
``quickstart.png``: the learning-rate curve and the loss.

Run:
    python examples/quickstart.py [--steps 600] [--out quickstart.png]
"""

from __future__ import annotations

import argparse
from functools import partial

import jax
import jax.numpy as jnp
import optax

import jaxsched


@partial(jax.jit, static_argnames="n")  # one compilation, not one per op
def make_data(key, n=512):
    kx, kn = jax.random.split(key)
    x = jax.random.uniform(kx, (n, 1), minval=-1.0, maxval=1.0)
    y = jnp.sin(3.0 * x) + 0.05 * jax.random.normal(kn, (n, 1))
    return x, y


@partial(jax.jit, static_argnames="sizes")
def init_mlp(key, sizes=(1, 64, 64, 1)):
    params = []
    for k, (m, n) in zip(jax.random.split(key, len(sizes) - 1), zip(sizes[:-1], sizes[1:])):
        params.append({"w": jax.random.normal(k, (m, n)) * jnp.sqrt(2.0 / m), "b": jnp.zeros(n)})
    return params


def mlp(params, x):
    for layer in params[:-1]:
        x = jax.nn.relu(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


def loss_fn(params, x, y):
    return jnp.mean((mlp(params, x) - y) ** 2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--out", default="quickstart.png")
    args = parser.parse_args(argv)

    # Warm up from 0 to 0.1 over the first 10% of training, then cosine-decay
    # to 1% of the peak: Keras' CosineDecay signature, an optax schedule.
    warmup = args.steps // 10
    schedule = jaxsched.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=args.steps - warmup,
        alpha=0.01,
        warmup_target=0.1,
        warmup_steps=warmup,
    )
    optimizer = optax.sgd(learning_rate=schedule, momentum=0.9)

    key_data, key_init = jax.random.split(jax.random.key(0))
    x, y = make_data(key_data)
    params = init_mlp(key_init)
    opt_state = optimizer.init(params)

    @jax.jit
    def train_step(params, opt_state):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    losses = []
    print(f"{'step':>6} {'loss':>10} {'learning rate':>14}")
    for step in range(args.steps):
        params, opt_state, loss = train_step(params, opt_state)
        losses.append(float(loss))
        if step % 50 == 0 or step == args.steps - 1:
            print(f"{step:>6} {float(loss):>10.5f} {float(schedule(step)):>14.6f}")

    # The whole curve in one call: the schedule takes an array of steps.
    steps = jnp.arange(args.steps)
    lrs = schedule(steps)
    print(f"peak learning rate {float(lrs.max()):.4f} at step {int(lrs.argmax())}, "
          f"final {float(lrs[-1]):.6f}; final loss {losses[-1]:.5f}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print('matplotlib not installed: no plot (pip install -e ".[plot]")')
        return losses
    fig, (ax_lr, ax_loss) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax_lr.plot(steps, lrs)
    ax_lr.set(title="CosineDecay with warmup", xlabel="step", ylabel="learning rate")
    ax_loss.semilogy(losses)
    ax_loss.set(title="training loss (MSE)", xlabel="step")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
    return losses


if __name__ == "__main__":
    main()
