"""Short, readable reprs: the constructor call, no NumPy noise, batched leaves
as dtype and shape (issue 12)."""

from __future__ import annotations

import dataclasses
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsched
from cases import EXAMPLES, STEPS, batch, build
from jaxsched._spec import parse_call

NAMES = sorted(EXAMPLES)
_NOISE = re.compile(r"np\.|array\(|Array\(|dtype=|overlaying")


def _short_dtype(dtype) -> str:
    names = {"float32": "f32", "float64": "f64", "int32": "i32", "int64": "i64"}
    return names[np.dtype(dtype).name]


@pytest.mark.parametrize("name", NAMES)
def test_repr_is_a_call_that_rebuilds_the_schedule(name):
    sched = build(name)
    text = repr(sched)
    assert text.startswith(f"{name}(") and str(sched) == text
    assert not _NOISE.search(text), text
    again = parse_call(text)  # literals only, never eval
    assert type(again) is type(sched)
    assert jaxsched.serialize(again) == jaxsched.serialize(sched)
    np.testing.assert_array_equal(batch(again, STEPS), batch(sched, STEPS))


@pytest.mark.parametrize("name", NAMES)
def test_repr_shows_no_argument_at_its_default(name):
    sched = build(name)
    keywords = re.findall(r"[(, ](\w+)=", repr(sched).split("(", 1)[1])
    fields = {f.name: f for f in dataclasses.fields(sched)}
    for arg in keywords:
        if arg in fields and fields[arg].default is not dataclasses.MISSING:
            value = getattr(sched, arg)
            assert not (
                np.shape(value) == np.shape(fields[arg].default)
                and np.all(np.asarray(value) == fields[arg].default)
            ), (arg, value)


@pytest.mark.parametrize("text", [
    "CosineDecay(0.1, 10000, warmup_target=1.0, warmup_steps=500)",
    "ExponentialDecay(0.1, 100, 0.5, staircase=True, name='lr')",
    "PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])",
    "JoinSchedules([PolynomialDecay(0.0, 10, end_learning_rate=0.1), "
    "CosineDecay(0.1, 30)], [10])",
    "LinearWarmup(WithOffset(PolynomialDecay(0.0001, 100000, end_learning_rate=0.0), "
    "offset=10000), 10000, 0.0)",
    "NoisyLinearCosineDecay(0.1, 1000, seed=3)",
])
def test_print_of_a_composition_reads_as_its_constructor_call(text):
    assert str(parse_call(text)) == text


def test_numpy_and_jax_scalars_are_shown_plainly():
    sched = jaxsched.ExponentialDecay(np.float64(0.1), np.int64(100), jnp.float32(0.5))
    assert repr(sched) == "ExponentialDecay(0.1, 100, 0.5)"
    assert repr(jaxsched.PolynomialDecay(np.float32(0.1), 10, power=np.float32(2.0))) \
        == "PolynomialDecay(0.1, 10, power=2.0)"


def test_stacked_leaves_are_shown_as_dtype_and_shape():
    members = [jaxsched.CosineDecayRestarts(lr, 100, t_mul=t)
               for lr in (0.1, 0.2) for t in (1.0, 2.0)]
    batched = jaxsched.stack(members)
    text = repr(batched)
    lr = batched.initial_learning_rate
    assert f"{_short_dtype(lr.dtype)}[4]" in text, text
    assert "t_mul=" in text and ", 100," in text  # 100 is shared: a number
    assert "0.2" not in text  # no values of the swept leaves


def test_long_arrays_are_shown_as_dtype_and_shape():
    boundaries = np.arange(1, 11) * 100
    sched = jaxsched.PiecewiseConstantDecay(boundaries, np.linspace(1, 0.1, 11))
    expected = f"{_short_dtype(sched.boundaries.dtype)}[10]"
    assert repr(sched).startswith(f"PiecewiseConstantDecay({expected}, ")


def test_keys_are_short_and_round_trip():
    key = jax.random.key(7)
    sched = jaxsched.NoisyLinearCosineDecay(0.1, 100, key=key)
    data = np.asarray(jax.random.key_data(key)).tolist()
    assert f"key={data}" in repr(sched)
    again = parse_call(repr(sched))
    assert float(again(5)) == float(sched(5))
    # The default key of `seed` is left out, a batch of keys is a shape.
    assert "key" not in repr(jaxsched.NoisyLinearCosineDecay(0.1, 100, seed=3))
    noisy = [jaxsched.NoisyLinearCosineDecay(0.1, 100, seed=i) for i in range(4)]
    stacked = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *noisy)
    assert f"key={stacked.key.dtype}[4]" in repr(stacked)


def test_traced_leaves_are_shown_as_dtype_and_shape():
    seen = []

    @jax.jit
    def rate(lr):
        sched = jaxsched.ExponentialDecay(lr, 100, 0.5)
        seen.append(repr(sched))
        return sched(10)

    rate(jnp.float32(0.1))
    assert seen == ["ExponentialDecay(f32[], 100, 0.5)"]


def test_a_user_subclass_gets_the_short_repr():
    class Halving(jaxsched.LearningRateSchedule):
        initial_learning_rate: float
        every: int = 10
        name: str | None = jaxsched.static_field(default=None)

        def _rate(self, step, dtype):
            return self.initial_learning_rate * 0.5 ** jnp.floor(step / self.every)

    assert repr(Halving(np.float64(0.5))) == "Halving(0.5)"
    assert repr(Halving(0.5, every=3)) == "Halving(0.5, every=3)"
