"""jaxsched: Keras' learning-rate schedules as pure, jittable, vmappable JAX pytrees.

Every schedule is a frozen dataclass registered as a JAX pytree and a
one-argument ``optax.Schedule``::

    sched = jaxsched.CosineDecay(0.0, 10_000, warmup_target=3e-4, warmup_steps=500)
    opt = optax.adamw(learning_rate=sched)
"""

from ._base import LearningRateSchedule as LearningRateSchedule
from ._base import check as check
from ._base import static_field as static_field
from ._cosine import CosineDecay as CosineDecay
from ._cosine import CosineDecayRestarts as CosineDecayRestarts
from ._cosine import LinearCosineDecay as LinearCosineDecay
from ._cosine import NoisyLinearCosineDecay as NoisyLinearCosineDecay
from ._exponential import ExponentialDecay as ExponentialDecay
from ._exponential import InverseTimeDecay as InverseTimeDecay
from ._piecewise import PiecewiseConstantDecay as PiecewiseConstantDecay
from ._polynomial import PolynomialDecay as PolynomialDecay
from ._serialization import deserialize as deserialize
from ._serialization import register_serializable as register_serializable
from ._serialization import serialize as serialize

Schedule = LearningRateSchedule

__version__ = "0.1.0"

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "LinearCosineDecay",
    "NoisyLinearCosineDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "Schedule",
    "check",
    "deserialize",
    "register_serializable",
    "serialize",
    "static_field",
]
