"""Every step type and range, negative steps, and the values held past the end.

Expected values come from ``tests/reference.py`` (NumPy float64 transcriptions
of the Keras formulas) or are worked out by hand in the test.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsched
import reference as ref


@pytest.mark.parametrize(
    "decay_steps", [10**11, np.int64(10**11), np.uint64(10**11)], ids=type
)
def test_integer_hyperparameters_beyond_int32_are_exact_without_x64(decay_steps):
    # Without x64, jnp.asarray(10**11) raises OverflowError and an int64 NumPy
    # value wraps to int32 (10**11 -> 1215752192): the hyperparameter must be
    # converted to the float compute dtype on the host instead.
    sched = jaxsched.PolynomialDecay(0.1, decay_steps, end_learning_rate=0.0)
    with jax.enable_x64(False):
        got = sched(np.array([0, 10**10, 5 * 10**10, 10**11], np.float32))
    want = ref.polynomial_decay([0, 10**10, 5 * 10**10, 10**11], 0.1, 10**11, 0.0)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
