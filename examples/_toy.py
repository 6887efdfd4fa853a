"""The toy problem of the sweep and hypergradient examples (not an example).

A 1-D regression, y = sin(3x) + noise on [-1, 1], fitted by a one-hidden-layer
tanh MLP with a mean squared error.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp


@partial(jax.jit, static_argnames="n")  # one compilation, not one per op
def make_data(key, n=256):
    kx, kn = jax.random.split(key)
    x = jax.random.uniform(kx, (n, 1), minval=-1.0, maxval=1.0)
    return x, jnp.sin(3.0 * x) + 0.05 * jax.random.normal(kn, (n, 1))


@partial(jax.jit, static_argnames="width")
def init_mlp(key, width=32):
    k1, k2 = jax.random.split(key)
    return {
        "w1": jax.random.normal(k1, (1, width)) * jnp.sqrt(2.0),
        "b1": jnp.zeros(width),
        "w2": jax.random.normal(k2, (width, 1)) / jnp.sqrt(width),
        "b2": jnp.zeros(1),
    }


def loss_fn(params, x, y):
    hidden = jnp.tanh(x @ params["w1"] + params["b1"])
    return jnp.mean((hidden @ params["w2"] + params["b2"] - y) ** 2)
