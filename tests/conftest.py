"""Fixtures shared by the test files.

* ``call``: evaluates ``sched(step)`` eagerly and under ``jit`` with the
  schedule captured in the closure (its hyperparameters become XLA constants,
  which is where ``s / c`` turns into ``s * (1 / c)``). An eager call runs
  the schedule's compiled program; under ``jit`` with the schedule as an
  argument (the pytree path) the same program is inlined, and
  ``test_properties.py`` checks that the two are equal bit for bit for every
  class, so the fixture does not repeat that path. A 1-D batch of steps is
  evaluated padded to a multiple of ``cases.BATCH`` steps and comes back as
  NumPy.
* ``x64``: runs a test with ``jax_enable_x64`` off and on.
"""

import jax
import pytest

from cases import CALLS, clear_closures


@pytest.fixture(params=list(CALLS), ids=list(CALLS))
def call(request):
    return CALLS[request.param]


@pytest.fixture(autouse=True)
def _fresh_closures():
    """The call fixture's jitted closures live for one test (see cases.py)."""
    yield
    clear_closures()


@pytest.fixture(params=[False, True], ids=["x32", "x64"])
def x64(request):
    with jax.enable_x64(request.param):
        yield request.param

