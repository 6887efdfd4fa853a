"""A batched schedule sharded over a device mesh with jax.sharding.

The test session has 8 virtual CPU devices (conftest.py sets
``--xla_force_host_platform_device_count=8``); on an accelerator host the
same tests use its devices.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, NamedSharding, PartitionSpec

import jaxsched
from cases import BY_ID, tolerance

pytestmark = pytest.mark.skipif(jax.device_count() < 2, reason="needs several devices")


def _sweep(n):
    """n CosineDecayRestarts differing in rate, t_mul and m_mul; the period shared."""
    hps = [
        dict(
            initial_learning_rate=0.05 * (1 + i % 4),
            first_decay_steps=10,
            t_mul=(1.0, 2.0)[i % 2],
            m_mul=(0.5, 1.0)[(i // 2) % 2],
        )
        for i in range(n)
    ]
    return hps, [jaxsched.CosineDecayRestarts(**hp) for hp in hps]


def _layout(mesh, axes):
    split = NamedSharding(mesh, PartitionSpec("sweep"))
    replicated = NamedSharding(mesh, PartitionSpec())
    return jax.tree.map(
        lambda a: replicated if a is None else split, axes, is_leaf=lambda a: a is None
    )


def test_swept_leaves_are_split_over_every_device_and_shared_ones_replicated():
    devices = jax.devices()
    mesh = Mesh(np.asarray(devices), ("sweep",))
    hps, schedules = _sweep(2 * len(devices))
    axes = jaxsched.sweep_axes(schedules)
    sharded = jax.device_put(jaxsched.stack(schedules), _layout(mesh, axes))

    for name in ("initial_learning_rate", "t_mul", "m_mul"):
        leaf = getattr(sharded, name)
        assert leaf.sharding.spec == PartitionSpec("sweep")
        assert leaf.sharding.device_set == set(devices)
        shards = leaf.addressable_shards
        assert len(shards) == len(devices)
        assert {s.data.shape for s in shards} == {(2,)}
        # Each device holds its own slice of the sweep.
        got = np.concatenate(
            [np.asarray(s.data) for s in sorted(shards, key=lambda s: s.index)]
        )
        np.testing.assert_allclose(got, [hp[name] for hp in hps], rtol=1e-6)
    shared = sharded.first_decay_steps
    assert shared.sharding.is_fully_replicated
    assert shared.sharding.device_set == set(devices)


def test_a_jitted_vmap_over_a_sharded_sweep_runs_on_every_device():
    devices = jax.devices()
    mesh = Mesh(np.asarray(devices), ("sweep",))
    hps, schedules = _sweep(len(devices))
    axes = jaxsched.sweep_axes(schedules)
    sharded = jax.device_put(jaxsched.stack(schedules), _layout(mesh, axes))
    steps = jnp.arange(0, 80, 3)

    curves = jax.jit(jax.vmap(lambda s: s(steps), in_axes=(axes,)))
    out = curves(sharded)
    assert out.shape == (len(devices), len(steps))
    # The result stays where its slice of the sweep was computed.
    assert out.sharding.device_set == set(devices)
    assert {s.data.shape for s in out.addressable_shards} == {(1, len(steps))}
    ref = np.stack(
        [BY_ID["CosineDecayRestarts"].reference(np.asarray(steps), hp) for hp in hps]
    )
    np.testing.assert_allclose(out, ref, **tolerance(out.dtype))
    # The same function on the unsharded sweep gives the same numbers.
    np.testing.assert_allclose(
        out, curves(jaxsched.stack(schedules)), rtol=1e-6, atol=1e-9
    )


def test_sharded_prng_keys_of_a_noisy_sweep():
    devices = jax.devices()
    mesh = Mesh(np.asarray(devices), ("sweep",))
    schedules = [
        jaxsched.NoisyLinearCosineDecay(0.1, 50, seed=i) for i in range(len(devices))
    ]
    batched = jaxsched.stack(schedules, share=False)
    sharded = jax.device_put(batched, NamedSharding(mesh, PartitionSpec("sweep")))
    assert sharded.key.sharding.device_set == set(devices)
    values = jax.jit(jax.vmap(lambda s: s(jnp.arange(10))))
    np.testing.assert_allclose(values(sharded), values(batched), rtol=1e-6, atol=1e-9)
