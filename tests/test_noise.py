"""NoisyLinearCosineDecay: noise from explicit keys (DESIGN.md §3).

The expected noise is rebuilt from jax.random directly (fold_in(key, t), a
standard normal, scaled by the docstring's standard deviation), and the
distribution across many keys is compared with the Gaussian moments of the
docstring formula (tests/reference.py).
"""

from __future__ import annotations

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsched
import reference as ref
from cases import compile_with_xla_defaults

KW = dict(initial_learning_rate=0.1, decay_steps=1000, initial_variance=0.5,
          variance_decay=0.55, num_periods=0.5, alpha=0.1, beta=0.01)


def _sched(**overrides):
    return jaxsched.NoisyLinearCosineDecay(**{**KW, **overrides})


def _noise_from_value(values, steps, **overrides):
    """Solve lr * ((alpha + linear + eps) * cosine + beta) = value for eps."""
    kw = {**KW, **overrides}
    s = np.minimum(np.asarray(steps, np.float64), kw["decay_steps"])
    linear = (kw["decay_steps"] - s) / kw["decay_steps"]
    cosine = 0.5 * (1 + np.cos(np.pi * 2 * kw["num_periods"] * s / kw["decay_steps"]))
    decayed = np.asarray(values, np.float64) / kw["initial_learning_rate"]
    return (decayed - kw["beta"]) / cosine - kw["alpha"] - linear


def _std(steps, **overrides):
    kw = {**KW, **overrides}
    s = np.minimum(np.asarray(steps, np.float64), kw["decay_steps"])
    return np.sqrt(kw["initial_variance"] / (1 + s) ** kw["variance_decay"])


def test_noise_at_step_t_comes_from_fold_in_key_t():
    key = jax.random.key(7)
    sched = _sched(key=key)
    steps = np.arange(0, 900, 37)
    eps = _noise_from_value(sched(steps), steps)
    draws = np.array([float(jax.random.normal(jax.random.fold_in(key, int(t)))) for t in steps])
    np.testing.assert_allclose(eps, _std(steps) * draws, rtol=1e-3, atol=1e-5)


def test_whole_curves_draw_the_noise_of_the_steps_alone():
    # Arrays of at least 2**14 steps skip the high word's fold_in where every
    # step is in [0, 2**32) (a lax.cond): the same draws, bit for bit, as the
    # same steps in short arrays (one program, both fold_ins); and the draws
    # of fold_in(key, t) (by hand) on a sample of them. (The programs of
    # eager calls, compiled with XLA's defaults: the suite's setting rounds
    # the two programs' cosines apart by an ulp here and there.)
    key = jax.random.key(11)
    sched = _sched(key=key)
    n = 2**14
    call = jax.jit(lambda sched, t: sched(t))
    for steps in (np.arange(n, dtype=np.int32) * 61,  # every high word 0
                  np.arange(-n // 2, n // 2, dtype=np.int32) * 7):  # negative too
        with jax.enable_x64(False):
            assert "cond[" in str(jax.make_jaxpr(sched)(steps))
            whole = np.asarray(compile_with_xla_defaults(call, sched, steps)(sched, steps))
            chunks = np.split(steps, 8)
            part = compile_with_xla_defaults(call, sched, chunks[0])
            parts = np.concatenate([np.asarray(part(sched, c)) for c in chunks])
        np.testing.assert_array_equal(whole, parts, err_msg=str(steps.dtype))
    steps = np.arange(n, dtype=np.int32) * 7  # (the noise shows before step 1000)
    sample = steps[:143:11]
    eps = _noise_from_value(np.asarray(sched(steps))[:143:11], sample)
    draws = np.array([float(jax.random.normal(jax.random.fold_in(key, int(t))))
                      for t in sample])
    np.testing.assert_allclose(eps, _std(sample) * draws, rtol=1e-3, atol=1e-5)


def test_seed_gives_the_default_key():
    for seed, key in ((None, jax.random.key(0)), (5, jax.random.key(5))):
        steps = jnp.arange(50)
        np.testing.assert_array_equal(_sched(seed=seed)(steps), _sched(key=key)(steps))


def test_reproducible_and_the_same_under_jit(call):
    steps = jnp.arange(200)
    a = _sched(seed=1)
    b = _sched(seed=1)
    np.testing.assert_array_equal(a(steps), b(steps))
    np.testing.assert_allclose(call(a, steps), a(steps), rtol=1e-6, atol=1e-9)
    assert float(a(17)) == float(a(17))


def test_a_step_has_one_value_whatever_its_type():
    sched = _sched(seed=2)
    want = float(sched(jnp.int32(123)))
    for step in (123, np.int64(123), np.uint32(123), 123.0, np.float32(123.0), jnp.arange(200)[123]):
        assert float(sched(step)) == want, step
    # float steps draw at floor(step): between integers only the formula moves
    assert _noise_from_value(sched(123.5), 123.5) == pytest.approx(
        _noise_from_value(sched(123), 123) * _std(123.5) / _std(123), rel=1e-3
    )


def test_key_override_for_one_call():
    sched = _sched(seed=3)
    steps = jnp.arange(100)
    other = jax.random.key(99)
    np.testing.assert_array_equal(sched(steps, key=sched.key), sched(steps))
    np.testing.assert_array_equal(sched(steps, key=other), _sched(key=other)(steps))
    assert not np.allclose(sched(steps, key=other), sched(steps))
    # raw uint32 keys work as well
    np.testing.assert_array_equal(
        sched(steps, key=jax.random.key_data(other)), sched(steps, key=other)
    )


def test_noise_is_independent_across_steps():
    long = dict(decay_steps=10**6)
    sched = _sched(seed=4, **long)
    steps = np.arange(0, 4000)
    z = _noise_from_value(sched(steps), steps, **long) / _std(steps, **long)
    assert abs(z.mean()) < 4 / math.sqrt(len(z))
    assert abs(z.std() - 1) < 0.05
    lag1 = np.corrcoef(z[:-1], z[1:])[0, 1]
    assert abs(lag1) < 4 / math.sqrt(len(z))


@pytest.mark.parametrize("step", [0, 10, 250, 700, 5000])
def test_mean_and_std_across_keys_match_the_formula(step):
    n = 4000
    keys = jax.random.split(jax.random.key(11), n)
    values = np.asarray(
        jax.vmap(lambda k: _sched(key=k)(step))(keys), np.float64
    )
    mean, std = ref.noisy_linear_cosine_decay_moments(step, **KW)
    if std == 0:  # past the end the cosine factor is 0: no noise left
        np.testing.assert_allclose(values, mean, rtol=1e-5)
        return
    assert abs(values.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(values.std() - std) < 5 * std / math.sqrt(2 * n)


def test_zero_variance_is_the_linear_cosine_decay():
    quiet = _sched(initial_variance=0.0)
    plain = jaxsched.LinearCosineDecay(0.1, 1000, 0.5, 0.1, 0.01)
    steps = jnp.arange(0, 1200, 7)
    np.testing.assert_allclose(quiet(steps), plain(steps), rtol=1e-6)


def test_config_keeps_seed_and_explicit_keys():
    assert "seed" not in _sched().get_config() and "key" not in _sched().get_config()
    assert _sched(seed=5).get_config()["seed"] == 5
    assert "key" not in _sched(seed=5).get_config()
    config = _sched(key=jax.random.key(42)).get_config()
    assert config["key"] == np.asarray(jax.random.key_data(jax.random.key(42))).tolist()
    again = jaxsched.NoisyLinearCosineDecay.from_config(config)
    np.testing.assert_array_equal(again(jnp.arange(30)), _sched(key=jax.random.key(42))(jnp.arange(30)))


def _expected_noise_key(key, t):
    """The documented fold of an integer step t (any size, any sign): its
    int64 two's-complement low word, then its high word when that is not 0."""
    t = max(min(t, 2**63 - 1), -(2**63)) % 2**64
    k = jax.random.fold_in(key, np.uint32(t % 2**32))
    return k if t >> 32 == 0 else jax.random.fold_in(k, np.uint32(t >> 32))


# Integer step values on both sides of 0, of 2**31, 2**32 and 2**53.
_VALUES = [-(2**40) - 3, -(2**32), -(2**31) - 1, -(2**31), -7, -1, 0, 5, 2**31 - 1,
           2**31, 2**32 - 1, 2**32 + 3, 2**53]


def _words(v):
    """The int64 two's-complement (high, low) words of v, clipped to int64."""
    t = max(min(v, 2**63 - 1), -(2**63)) % 2**64
    return t >> 32, t % 2**32


def _fits(v, dtype):
    if np.dtype(dtype).kind in "iu":
        return np.iinfo(dtype).min <= v <= np.iinfo(dtype).max
    return float(dtype(v)) == v


def test_noise_index_words_depend_on_the_integer_value_only():
    """Every step type holding an integer value gives that value's words:
    host steps (Python, NumPy) and JAX arrays (inside the program), with and
    without x64; float steps draw at floor(step); beyond int64: its ends."""
    from jaxsched._cosine import _host_noise_words, _noise_words

    values = _VALUES + [2**63 - 1]
    ints = [_host_noise_words(v) for v in values]
    np.testing.assert_array_equal(np.array(ints, np.uint64), [_words(v) for v in values])
    floats = [float(v) + 0.5 if abs(v) < 2**52 else float(v) for v in values]
    got = [_host_noise_words(s) for s in floats]  # floor: -7.5 draws at -8
    np.testing.assert_array_equal(np.array(got, np.uint64),
                                  [_words(math.floor(s)) for s in floats])
    # Fractional, huge and NaN float steps.
    odd = np.array([-7.5, 0.25, -0.5, 1e30, -1e30, np.inf, -np.inf, np.nan], np.float32)
    floors = [-8, 0, -1, 2**63 - 1, -(2**63), 2**63 - 1, -(2**63), 0]
    cases = {"odd": (odd, np.array([_words(v) for v in floors], np.uint64))}
    for dtype in (np.int32, np.uint32, np.float32, np.int64, np.uint64, np.float64):
        fits = [v for v in values if _fits(v, dtype)]
        cases[np.dtype(dtype).name] = (np.asarray(fits, dtype),
                                       np.array([_words(v) for v in fits], np.uint64))
    for name, (steps, want) in cases.items():
        got = np.array(_host_noise_words(steps), np.uint64).T
        np.testing.assert_array_equal(got, want, err_msg=f"host {name}")
    # Inside the program: every dtype in one compiled call per x64 mode.
    words = jax.jit(lambda steps: {k: _noise_words(v) for k, v in steps.items()})
    for x64 in (False, True):
        with jax.enable_x64(x64):
            arrays = {k: jnp.asarray(steps) for k, (steps, _) in cases.items()
                      if x64 or steps.dtype.itemsize == 4}
            for name, got in words(arrays).items():
                np.testing.assert_array_equal(np.array(got, np.uint64).T, cases[name][1],
                                              err_msg=f"{name} x64={x64}")


def test_negative_steps_draw_the_same_for_every_step_type():
    """The issue's example: sched(-7) and sched(jnp.int32(-7)) under x64; the
    draw is the documented fold of the key."""
    key = jax.random.key(5)
    sched = jaxsched.NoisyLinearCosineDecay(
        jnp.float32(1.0), 10, variance_decay=0.0, num_periods=0.0, alpha=0.0,
        beta=0.0, key=key)
    # No period, no variance decay: at step t < 0 the value is
    # linear(t) + eps_t, eps_t ~ N(0, 1), linear(t) = (10 - t) / 10.
    eps = float(jax.random.normal(_expected_noise_key(key, -7), (), jnp.float32))
    with jax.enable_x64(True):
        for step in (-7, jnp.int32(-7)):
            assert float(sched(step)) == pytest.approx(1.7 + eps, rel=1e-6), step


@pytest.mark.parametrize("seed", [2**31, np.uint32(2**32 - 1), -1, 2**63 - 1,
                                  -(2**63), np.uint64(2**64 - 1), np.int64(-5)],
                         ids=repr)
def test_any_seed_jax_random_key_accepts_works(seed):
    sched = _sched(seed=seed)
    want = jax.random.key_data(jax.random.key(seed))
    np.testing.assert_array_equal(jax.random.key_data(sched.key), want)
    if seed == 2**31:  # once: the seed leaf (int64) is a jit argument of the call
        assert np.all(np.isfinite(sched(jnp.arange(3))))
    # The config keeps the seed, and reads back to the same key.
    config = json.loads(json.dumps(jaxsched.serialize(sched)))
    again = jaxsched.deserialize(config)
    np.testing.assert_array_equal(jax.random.key_data(again.key), want)
    if isinstance(seed, int):
        assert config["config"]["seed"] == seed


def test_float_seed_is_a_type_error():
    for seed in (1.0, 2.5, np.float32(3), jnp.asarray(1.0), float("nan")):
        with pytest.raises(TypeError, match="`seed` must be an integer"):
            _sched(seed=seed)
    with pytest.raises(TypeError, match="`seed` must be an integer"):
        jax.jit(lambda s: _sched(seed=s).key)(1.0)  # traced
