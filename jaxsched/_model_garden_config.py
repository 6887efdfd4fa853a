"""Build a schedule from a TF Model Garden optimization config.

Model Garden's training configs (the ``optimizer_config`` of a BERT or vision
experiment YAML) describe the learning rate as two one-of sections::

    learning_rate: {type: polynomial, polynomial: {initial_learning_rate: 1e-4,
                                                   decay_steps: 100000}}
    warmup: {type: linear, linear: {warmup_steps: 10000}}

``from_model_garden_config`` reads that dict the way Model Garden's
``OptimizerFactory.build_learning_rate`` does, with the defaults of Model
Garden's config dataclasses (which are not always the classes' own: the power
schedules default to ``power=-0.5`` there).
"""

from __future__ import annotations

import numbers
from typing import Any, Mapping

from ._checks import float32_problem
from ._config import _check_bounds, _short
from ._core import LearningRateSchedule
from ._model_garden import (
    DirectPowerDecay,
    PowerAndLinearDecay,
    PowerDecayWithOffset,
    StepCosineDecayWithOffset,
)
from ._offset import (
    CosineDecayWithOffset,
    ExponentialDecayWithOffset,
    PiecewiseConstantDecayWithOffset,
    PolynomialDecayWithOffset,
)
from ._warmup import LinearWarmup, PolynomialWarmUp

__all__ = ["from_model_garden_config"]

# type -> (class, Model Garden's config defaults). None: Model Garden
# requires the value.
_LEARNING_RATES: dict[str, tuple[type | None, dict[str, Any]]] = {
    "constant": (None, dict(name="Constant", learning_rate=0.1)),
    "stepwise": (PiecewiseConstantDecayWithOffset,
                 dict(name="PiecewiseConstantDecay", boundaries=None, values=None,
                      offset=0)),
    "exponential": (ExponentialDecayWithOffset,
                    dict(name="ExponentialDecay", initial_learning_rate=None,
                         decay_steps=None, decay_rate=None, staircase=None, offset=0)),
    "polynomial": (PolynomialDecayWithOffset,
                   dict(name="PolynomialDecay", initial_learning_rate=None,
                        decay_steps=None, end_learning_rate=0.0001, power=1.0,
                        cycle=False, offset=0)),
    "cosine": (CosineDecayWithOffset,
               dict(name="CosineDecay", initial_learning_rate=None, decay_steps=None,
                    alpha=0.0, offset=0)),
    "power": (DirectPowerDecay,
              dict(name="DirectPowerDecay", initial_learning_rate=None, power=-0.5)),
    "power_linear": (PowerAndLinearDecay,
                     dict(name="PowerAndLinearDecay", initial_learning_rate=None,
                          total_decay_steps=None, power=-0.5, linear_decay_fraction=0.1,
                          offset=0)),
    "power_with_offset": (PowerDecayWithOffset,
                          dict(name="PowerDecayWithOffset", initial_learning_rate=None,
                               power=-0.5, offset=0, pre_offset_learning_rate=1.0e6)),
    "step_cosine_with_offset": (StepCosineDecayWithOffset,
                                dict(name="StepCosineDecayWithOffset", boundaries=None,
                                     values=None, offset=0)),
}

_WARMUPS: dict[str, tuple[type, dict[str, Any]]] = {
    "linear": (LinearWarmup,
               dict(name="linear", warmup_learning_rate=0, warmup_steps=None)),
    "polynomial": (PolynomialWarmUp,
                   dict(name="polynomial", power=1, warmup_steps=None)),
}


def _one_of(config: Mapping[str, Any], key: str, table: dict, required: bool):
    """(type, its arguments over Model Garden's defaults) of a one-of section."""
    section = config.get(key)
    if section is not None and not isinstance(section, Mapping):
        raise TypeError(
            f"from_model_garden_config: `{key}` must be a dict (a one-of section "
            f"with a 'type' key). Received: {key}={_short(section)}"
        )
    kind = section.get("type") if section is not None else None
    if kind is not None and not isinstance(kind, str):
        raise TypeError(
            f"from_model_garden_config: the 'type' of `{key}` must be a string (one "
            f"of {sorted(table)}). Received: {key}.type={_short(kind)}"
        )
    if kind is None:
        if required:
            raise ValueError(
                f"from_model_garden_config: `{key}` needs a 'type' (one of "
                f"{sorted(table)}). Received: {key}={_short(section)}"
            )
        return None, None
    if kind not in table:
        raise ValueError(
            f"from_model_garden_config: unknown {key} type {_short(kind, 100)}; Model "
            f"Garden's types are {sorted(table)}. Received: {key}={_short(section)}"
        )
    args = section.get(kind)
    args = {} if args is None else args
    if not isinstance(args, Mapping):
        raise TypeError(
            f"from_model_garden_config: `{key}.{kind}` must be a dict of arguments. "
            f"Received: {key}.{kind}={_short(args)}"
        )
    bad_keys = [k for k in args if not isinstance(k, str)]
    if bad_keys:
        raise TypeError(
            f"from_model_garden_config: the argument names of `{key}.{kind}` must "
            f"be strings. Received: {_short(bad_keys)}"
        )
    defaults = table[kind][1]
    unknown = sorted(set(args) - set(defaults))
    if unknown:
        raise ValueError(
            f"from_model_garden_config: unknown argument(s) {_short(unknown)} in "
            f"`{key}.{kind}`; "
            f"it takes {sorted(defaults)}. Received: {key}.{kind}={_short(args)}"
        )
    for name, value in args.items():  # as deserialize checks its configs
        _check_bounds(value, name, f"from_model_garden_config: argument `{name}` of "
                     f"`{key}.{kind}`")
    return kind, {**defaults, **args}


def from_model_garden_config(
    config: Mapping[str, Any],
) -> LearningRateSchedule | float:
    """The learning rate of a TF Model Garden optimization config.

    Reads the ``learning_rate`` and ``warmup`` sections of Model Garden's
    ``OptimizationConfig`` (as a dict, e.g. from the experiment YAML or
    ``OptimizationConfig.as_dict()``; other sections such as ``optimizer`` are
    ignored) as ``OptimizerFactory.build_learning_rate`` does: the schedule
    class of the ``learning_rate`` type, built with Model Garden's config
    defaults for the arguments not given, wrapped in the warmup of the
    ``warmup`` type when there is one. The result is a jaxsched schedule
    (``jaxsched.serialize`` writes it with nested class names), or, for a
    ``constant`` rate without warmup, the float, as in Model Garden.

    Types: ``constant``, ``stepwise``, ``exponential``, ``polynomial``,
    ``cosine``, ``power``, ``power_linear``, ``power_with_offset``,
    ``step_cosine_with_offset``; warmups ``linear`` and ``polynomial``.

    Raises:
        TypeError: if ``config``, a section (``learning_rate``, ``warmup``)
            or its arguments are not dicts, a ``type`` is not a string, or a
            ``constant`` rate is not a number.
        ValueError: for a missing or unknown type, an argument Model
            Garden's config does not have, an argument whose dicts and
            lists nest or repeat beyond :func:`jaxsched.deserialize`'s
            limits, or a ``constant`` rate that is not finite in float32 (as
            :class:`jaxsched.Constant` requires); the schedule's own
            ``ValueError`` or ``TypeError`` for a bad or missing value.

    Example:
        >>> sched = jaxsched.from_model_garden_config({
        ...     "learning_rate": {"type": "stepwise", "stepwise": {
        ...         "boundaries": [10000, 20000], "values": [0.1, 0.01, 0.001]}},
        ...     "warmup": {"type": "linear", "linear": {
        ...         "warmup_steps": 500, "warmup_learning_rate": 0.01}}})
        >>> type(sched).__name__, type(sched.after_warmup_lr_sched).__name__
        ('LinearWarmup', 'PiecewiseConstantDecayWithOffset')
        >>> print(" ".join(f"{float(sched(s)):.4f}" for s in (0, 250, 500, 10001)))
        0.0100 0.0550 0.1000 0.0100
    """
    if not isinstance(config, Mapping):
        raise TypeError(
            "from_model_garden_config: `config` must be a dict with a "
            f"'learning_rate' section. Received: config={_short(config)}"
        )
    kind, args = _one_of(config, "learning_rate", _LEARNING_RATES, required=True)
    cls = _LEARNING_RATES[kind][0]
    if cls is None:  # constant: a number, as Model Garden's float field
        lr = args["learning_rate"]
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise TypeError(
                "from_model_garden_config: `learning_rate.constant.learning_rate` "
                f"must be a number. Received: learning_rate={_short(lr)}"
            )
        problem = float32_problem(lr)  # as jaxsched.Constant checks its value
        if problem:
            raise ValueError(
                "from_model_garden_config: `learning_rate.constant.learning_rate` "
                f"{problem}. Received: learning_rate={_short(lr)}"
            )
        if not isinstance(args["name"], str):
            raise TypeError(
                "from_model_garden_config: `learning_rate.constant.name` must be a "
                f"string. Received: name={_short(args['name'])}"
            )
        lr = float(lr)
    else:
        lr = cls(**args)
    kind, args = _one_of(config, "warmup", _WARMUPS, required=False)
    if kind is not None:
        lr = _WARMUPS[kind][0](lr, **args)
    return lr
