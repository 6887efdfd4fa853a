"""jaxsched: Keras' learning-rate schedules as pure, jittable, vmappable JAX pytrees.

Every schedule is a frozen dataclass registered as a JAX pytree and a
one-argument ``optax.Schedule``::

    sched = jaxsched.CosineDecay(0.0, 10_000, warmup_target=3e-4, warmup_steps=500)
    opt = optax.adamw(learning_rate=sched)
"""

from typing import TYPE_CHECKING

from ._config import deserialize as deserialize
from ._config import register_serializable as register_serializable
from ._config import serialize as serialize
from ._core import LearningRateSchedule as LearningRateSchedule
from ._core import check as check
from ._core import static_field as static_field
from ._arith import Constant as Constant
from ._arith import Maximum as Maximum
from ._arith import Minimum as Minimum
from ._arith import Product as Product
from ._arith import Quotient as Quotient
from ._arith import Scaled as Scaled
from ._arith import from_callable as from_callable
from ._arith import maximum as maximum
from ._arith import minimum as minimum
from ._compose import JoinSchedules as JoinSchedules
from ._compose import WithOffset as WithOffset
from ._cosine import CosineDecay as CosineDecay
from ._cosine import CosineDecayRestarts as CosineDecayRestarts
from ._cosine import LinearCosineDecay as LinearCosineDecay
from ._cosine import NoisyLinearCosineDecay as NoisyLinearCosineDecay
from ._exponential import ExponentialDecay as ExponentialDecay
from ._exponential import InverseTimeDecay as InverseTimeDecay
from ._model_garden import DirectPowerDecay as DirectPowerDecay
from ._model_garden import PowerAndLinearDecay as PowerAndLinearDecay
from ._model_garden import PowerDecayWithOffset as PowerDecayWithOffset
from ._model_garden import StepCosineDecayWithOffset as StepCosineDecayWithOffset
from ._modern import Cyclic as Cyclic
from ._modern import InverseSqrtDecay as InverseSqrtDecay
from ._modern import OneCycle as OneCycle
from ._modern import WarmupStableDecay as WarmupStableDecay
from ._offset import CosineDecayWithOffset as CosineDecayWithOffset
from ._offset import ExponentialDecayWithOffset as ExponentialDecayWithOffset
from ._offset import (
    PiecewiseConstantDecayWithOffset as PiecewiseConstantDecayWithOffset,
)
from ._offset import PolynomialDecayWithOffset as PolynomialDecayWithOffset
from ._optax_family import PiecewiseScales as PiecewiseScales
from ._optax_family import WarmupCosineDecay as WarmupCosineDecay
from ._piecewise import PiecewiseConstantDecay as PiecewiseConstantDecay
from ._polynomial import PolynomialDecay as PolynomialDecay
from ._warmup import LinearWarmup as LinearWarmup
from ._warmup import PolynomialWarmUp as PolynomialWarmUp

Schedule = LearningRateSchedule

# Imported on first use (PEP 562), so that `import jaxsched` costs only the
# schedules themselves: plotting, sweeps, Model Garden configs and the optax
# drop-in module define no schedule class of their own.
_LAZY = {
    "from_model_garden_config": "._model_garden_config",
    "plot": "._plot",
    "stack": "._sweep",
    "sweep_axes": "._sweep",
    "unstack": "._sweep",
    "optax": None,  # jaxsched.optax: optax's functions (not in __all__)
}

if TYPE_CHECKING:
    from . import optax as optax
    from ._model_garden_config import from_model_garden_config as from_model_garden_config
    from ._plot import plot as plot
    from ._sweep import stack as stack
    from ._sweep import sweep_axes as sweep_axes
    from ._sweep import unstack as unstack


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'jaxsched' has no attribute {name!r}")
    import importlib

    module = _LAZY[name]
    if module is None:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

__version__ = "0.1.0"

__all__ = [
    "Constant",
    "CosineDecay",
    "CosineDecayRestarts",
    "CosineDecayWithOffset",
    "Cyclic",
    "DirectPowerDecay",
    "ExponentialDecay",
    "ExponentialDecayWithOffset",
    "InverseSqrtDecay",
    "InverseTimeDecay",
    "JoinSchedules",
    "LearningRateSchedule",
    "LinearCosineDecay",
    "LinearWarmup",
    "Maximum",
    "Minimum",
    "NoisyLinearCosineDecay",
    "OneCycle",
    "PiecewiseConstantDecay",
    "PiecewiseConstantDecayWithOffset",
    "PiecewiseScales",
    "PolynomialDecay",
    "PolynomialDecayWithOffset",
    "PolynomialWarmUp",
    "PowerAndLinearDecay",
    "PowerDecayWithOffset",
    "Product",
    "Quotient",
    "Scaled",
    "Schedule",
    "StepCosineDecayWithOffset",
    "WarmupCosineDecay",
    "WarmupStableDecay",
    "WithOffset",
    "check",
    "deserialize",
    "from_callable",
    "from_model_garden_config",
    "maximum",
    "minimum",
    "plot",
    "register_serializable",
    "serialize",
    "stack",
    "static_field",
    "sweep_axes",
    "unstack",
]
