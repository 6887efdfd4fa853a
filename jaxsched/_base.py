"""The schedule base class, pytree registration, validation and numeric helpers.

Every schedule is a frozen dataclass. Subclassing :class:`LearningRateSchedule`
registers the class as a JAX pytree: fields marked with :func:`static_field`
are auxiliary data (part of the tree structure, hashed by ``jit``), every other
field is a child (a leaf, or a nested schedule). Unflattening builds the object
directly, without calling ``__init__``, so JAX can rebuild a schedule from
tracers, stacked arrays, ``vmap`` axis specs or shardings without re-running
validation.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import inspect
import numbers
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

__all__ = ["LearningRateSchedule", "check", "static_field"]


# --------------------------------------------------------------------------
# Fields and pytree registration


def static_field(**kwargs: Any) -> Any:
    """A dataclass field that is static pytree data, not a leaf.

    Use it for switches (``staircase``, ``cycle``), names and counts: anything
    that changes the traced program rather than the numbers flowing through it.
    Static values must be hashable.
    """
    metadata = dict(kwargs.pop("metadata", None) or {})
    metadata["static"] = True
    return dataclasses.field(metadata=metadata, **kwargs)


@functools.lru_cache(maxsize=None)
def _split_fields(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(child field names, static field names) of a dataclass schedule class."""
    if not dataclasses.is_dataclass(cls):
        return None
    fields = dataclasses.fields(cls)
    children = tuple(f.name for f in fields if not f.metadata.get("static", False))
    static = tuple(f.name for f in fields if f.metadata.get("static", False))
    return children, static


def _flatten_with_keys(obj):
    split = _split_fields(type(obj))
    if split is None:  # a subclass that is not a dataclass: an opaque constant
        return (), obj
    children, static = split
    keyed = tuple((jax.tree_util.GetAttrKey(n), getattr(obj, n)) for n in children)
    return keyed, tuple(getattr(obj, n) for n in static)


def _flatten(obj):
    split = _split_fields(type(obj))
    if split is None:
        return (), obj
    children, static = split
    return (
        tuple(getattr(obj, n) for n in children),
        tuple(getattr(obj, n) for n in static),
    )


def _unflatten(cls, aux, values):
    split = _split_fields(cls)
    if split is None:
        return aux
    children, static = split
    obj = object.__new__(cls)  # no __init__, no __post_init__: no validation
    for name, value in zip(children, values):
        object.__setattr__(obj, name, value)
    for name, value in zip(static, aux):
        object.__setattr__(obj, name, value)
    return obj


# --------------------------------------------------------------------------
# The base class


class LearningRateSchedule:
    """Base class of every jaxsched schedule (also exported as ``Schedule``).

    A schedule is a pure function of the step, held in a frozen dataclass
    that is a JAX pytree. To write your own, subclass this and decorate with
    ``@dataclasses.dataclass(frozen=True, eq=False)``; numeric fields become
    leaves, fields declared with :func:`jaxsched.static_field` become static::

        @dataclasses.dataclass(frozen=True, eq=False)
        class Halving(jaxsched.LearningRateSchedule):
            initial_learning_rate: ArrayLike
            every: ArrayLike
            name: str | None = jaxsched.static_field(default=None)

            def __call__(self, step):
                return self.initial_learning_rate * 0.5 ** (step // self.every)

    Subclasses get ``get_config`` / ``from_config`` for free (the dataclass
    fields are the constructor arguments); register them with
    :func:`jaxsched.register_serializable` so that ``deserialize`` finds them.

    ``eq=False`` keeps identity equality and hashing, so a schedule with array
    hyperparameters can still be used as a ``jax.jit`` function or a dict key.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The dataclass decorator runs after this hook, so field lookup is
        # lazy (done on first flatten) and the class object is the same one.
        jax.tree_util.register_pytree_with_keys(
            cls,
            _flatten_with_keys,
            functools.partial(_unflatten, cls),
            flatten_func=_flatten,
        )

    def __call__(self, step: ArrayLike) -> jax.Array:
        """The learning rate at ``step`` (a scalar or an array of steps)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement __call__(self, step)."
        )

    def __post_init__(self) -> None:
        _check_field_types(self)

    # Serialization. Concrete schedules inherit these; see _serialization.py.

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments as JSON-ready Python values.

        Arrays become (nested) lists, NumPy scalars Python numbers, nested
        schedules their :func:`jaxsched.serialize` dict. ``name`` is left out
        when it is ``None`` so that Keras, which needs a string there, reads
        the config too.
        """
        from ._serialization import to_json

        if not dataclasses.is_dataclass(self):
            raise NotImplementedError(
                f"{type(self).__name__} is not a dataclass: implement get_config."
            )
        config = {}
        for f in dataclasses.fields(self):
            if not f.init:
                continue
            value = getattr(self, f.name)
            if f.name == "name" and value is None:
                continue
            config[f.name] = to_json(value, f"{type(self).__name__}.{f.name}")
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]):
        """Builds a schedule from the output of :meth:`get_config`.

        Raises:
            ValueError: if ``config`` has arguments the class does not take,
                or lacks one it requires.
        """
        from ._serialization import from_json

        if not isinstance(config, dict):
            raise TypeError(
                f"{cls.__name__}.from_config: `config` must be a dict. "
                f"Received: config={config!r}"
            )
        params = inspect.signature(cls).parameters
        accepted = [
            n
            for n, p in params.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        unknown = sorted(set(config) - set(accepted))
        if unknown:
            raise ValueError(
                f"{cls.__name__}.from_config: unknown argument(s) {unknown}. "
                f"{cls.__name__} takes {accepted}. Received: config={config!r}"
            )
        missing = [
            n
            for n in accepted
            if params[n].default is inspect.Parameter.empty and n not in config
        ]
        if missing:
            raise ValueError(
                f"{cls.__name__}.from_config: missing required argument(s) "
                f"{missing}. Received: config={config!r}"
            )
        kwargs = {k: from_json(v, k) for k, v in config.items()}
        return cls(**kwargs)


# --------------------------------------------------------------------------
# Validation


def _is_concrete(value: Any) -> bool:
    """True for Python/NumPy values and non-traced JAX arrays."""
    if isinstance(value, jax.core.Tracer):
        return False
    if isinstance(value, (list, tuple)):
        return all(_is_concrete(v) for v in value)
    return True


def _fail(obj: Any, arg: str, requirement: str, value: Any, exc=ValueError):
    raise exc(
        f"{type(obj).__name__}: argument `{arg}` {requirement}. "
        f"Received: {arg}={value!r}"
    )


def _check(obj: Any, arg: str, ok: Callable[[Any], Any], requirement: str) -> None:
    """Raises a ValueError naming `arg` unless `ok(value)` holds everywhere.

    Does nothing for traced values (inside jit/vmap) and for None, so that
    constructing a schedule never concretizes a tracer; under
    :func:`jaxsched.check`, traced values get a checkify check instead.
    `ok` must accept NumPy arrays and tracers: write it with operators
    (``v > 0``, ``b[1:] > b[:-1]``, ``v % 1 == 0``); np functions fail on
    tracers, and jnp ones round float64 NumPy values to float32 without x64.
    """
    value = getattr(obj, arg)
    if value is None:
        return
    if not _is_concrete(value):
        if _CHECKING.get():
            _checkify(obj, arg, jnp.all(ok(value)), requirement, value)
        return
    # Concrete: jnp in `ok` must evaluate now, also while a jit is tracing.
    with np.errstate(invalid="ignore"), jax.ensure_compile_time_eval():
        good = np.all(ok(np.asarray(value)))
    if not good:
        _fail(obj, arg, requirement, value)


# True while jaxsched.check re-runs a schedule's validation.
_CHECKING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "jaxsched_checking", default=False
)


def _checkify(obj: Any, arg: str, good: jax.Array, requirement: str, value) -> None:
    """A checkify check with the message _fail would raise (value at runtime)."""
    from jax.experimental import checkify

    text = f"{type(obj).__name__}: argument `{arg}` {requirement}. Received: {arg}="
    text = text.replace("{", "{{").replace("}", "}}")
    checkify.check(good, text + "{value}", value=value)


def check(schedule: LearningRateSchedule) -> LearningRateSchedule:
    """Validates a schedule's hyperparameters, also when they are traced.

    Constructors check concrete hyperparameters and skip traced ones (inside
    ``jit``, ``vmap`` or ``grad`` they never concretize a tracer), and
    schedules rebuilt from leaves (``tree_map``, unflattening) are not checked
    at all. Without a check, traced hyperparameters are used as they are: NaN
    gives NaN, ``decay_steps=0`` gives inf or NaN, a negative ``decay_steps``
    turns a decay into growth.

    ``check`` runs the constructor's checks again, on nested schedules too.
    Concrete values raise the constructor's ``ValueError`` / ``TypeError``.
    Traced values become ``jax.experimental.checkify`` checks with the same
    message: call ``check`` inside a function transformed by
    ``checkify.checkify`` (JAX rejects a check that is not) and raise or read
    the error outside::

        from jax.experimental import checkify

        def lr_at(decay_steps, step):
            sched = jaxsched.check(jaxsched.ExponentialDecay(0.1, decay_steps, 0.5))
            return sched(step)

        err, lr = checkify.checkify(jax.jit(lr_at))(0.0, 10)
        err.throw()  # JaxRuntimeError: ... argument `decay_steps` must be > 0 ...

    Args:
        schedule: The schedule to validate.

    Returns:
        ``schedule`` itself, so that ``sched = jaxsched.check(Cls(...))`` reads
        naturally.

    Raises:
        TypeError, ValueError: for concrete invalid hyperparameters.
    """
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(
            "check: expected a jaxsched.LearningRateSchedule. "
            f"Received: schedule={schedule!r}"
        )
    token = _CHECKING.set(True)
    try:
        schedule.__post_init__()
    finally:
        _CHECKING.reset(token)
    if dataclasses.is_dataclass(schedule):
        for f in dataclasses.fields(schedule):
            value = getattr(schedule, f.name)
            for inner in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(inner, LearningRateSchedule):
                    check(inner)
    return schedule


def _is_key(value: Any) -> bool:
    return isinstance(value, jax.Array) and jax.dtypes.issubdtype(
        value.dtype, jax.dtypes.prng_key
    )


def _check_number(obj: Any, arg: str, value: Any) -> None:
    """A numeric hyperparameter: a real number or an array of them, finite."""
    if isinstance(value, bool) or (
        isinstance(value, (np.ndarray, np.generic, jax.Array))
        and value.dtype == np.bool_
    ):
        _fail(obj, arg, "must be a number, not a bool", value, TypeError)
    if isinstance(value, (numbers.Real, np.ndarray, np.generic, jax.Array)):
        if isinstance(value, int) and not -(2**63) <= value < 2**64:
            _fail(obj, arg, "must fit in 64 bits", value)
        dtype = np.asarray(value).dtype if not isinstance(value, jax.Array) else value.dtype
        if not (jnp.issubdtype(dtype, np.integer) or jnp.issubdtype(dtype, np.floating)):
            _fail(obj, arg, f"must be a real number (got dtype {dtype})", value, TypeError)
        if _is_concrete(value):
            _check_float32_range(obj, arg, value)
        elif _CHECKING.get():
            _checkify(obj, arg, jnp.all(jnp.isfinite(value)), "must be finite", value)
        return
    _fail(obj, arg, f"must be a number (got {type(value).__name__})", value, TypeError)


_F32 = np.finfo(np.float32)


def _check_float32_range(obj: Any, arg: str, value: Any) -> None:
    """Finite, and usable in float32, the least precision schedules compute in.

    Without x64 a Python float of 1e39 becomes inf and one of 1e-40 is
    flushed to zero (a zero `decay_steps` gives 0/0 = NaN at step 0), so such
    values are rejected whatever the x64 flag is.
    """
    v = np.asarray(value, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        if not np.all(np.isfinite(v)):
            _fail(obj, arg, "must be finite", value)
        if not np.all(np.isfinite(v.astype(np.float32))):
            _fail(obj, arg, f"must be finite in float32 (at most {_F32.max:.8g} in "
                  "magnitude)", value)
    if np.any((v != 0) & (np.abs(v) < _F32.tiny)):
        _fail(obj, arg, f"must be 0 or at least {_F32.tiny:.8g} in magnitude "
              "(float32 flushes smaller numbers to zero)", value)


def _check_field_types(obj: Any) -> None:
    """Type checks shared by every schedule, from the dataclass fields.

    Static ``bool`` fields must be bools, ``name`` a string or None, and
    every child field a finite real number or array, a nested schedule, a
    PRNG key, or None where the default is None.
    """
    if not dataclasses.is_dataclass(obj):
        return
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.metadata.get("static", False):
            if f.name == "name":
                if value is not None and not isinstance(value, str):
                    _fail(obj, f.name, "must be a string or None", value, TypeError)
            elif f.type in ("bool", bool):
                if not isinstance(value, (bool, np.bool_)):
                    _fail(obj, f.name, "must be a bool", value, TypeError)
            continue
        if f.metadata.get("kind") in ("key", "schedule_or_number", "any"):
            continue
        if value is None and f.default is None:
            continue
        _check_number(obj, f.name, value)
        # Hyperparameters are jit arguments of every call: an integer beyond
        # int32 would raise (Python int) or wrap (NumPy int64) there without
        # x64; as a float it stays exact up to 2**53.
        if isinstance(value, int) and not -(2**31) <= value < 2**31:
            object.__setattr__(obj, f.name, float(value))
        elif isinstance(value, (np.ndarray, np.generic)):
            safe = _jit_safe(np.asarray(value))
            if safe.dtype != np.asarray(value).dtype:
                object.__setattr__(obj, f.name, safe)


def _jit_safe(array: np.ndarray) -> np.ndarray:
    """A host integer array that keeps its values as a jit argument.

    Without x64, JAX narrows int64 arguments to int32, wrapping values
    beyond its range; as float64 they stay exact up to 2**53.
    """
    if array.dtype.kind in "iu" and not np.all((array >= -(2**31)) & (array < 2**31)):
        return array.astype(np.float64)
    return array


def _to_vector(obj: Any, arg: str, *, float_default: bool = False) -> None:
    """Turns a list/tuple field into one array leaf (in place, at construction).

    Concrete lists become NumPy arrays (so that configs keep exact Python
    values); lists holding tracers are stacked with jnp. Arrays pass through.
    """
    value = getattr(obj, arg)
    if isinstance(value, (list, tuple)):
        if len(value) == 0:
            _fail(obj, arg, "must not be empty", value)
        for v in value:
            if isinstance(v, (list, tuple)):
                continue
            _check_number(obj, arg, v)
        if _is_concrete(value):
            try:
                array = np.asarray(value)
            except ValueError:  # NumPy's "inhomogeneous shape" names nothing
                _fail(obj, arg, "must be a flat list of numbers (nested lists "
                      "must be rectangular)", value)
        else:
            array = jnp.stack([jnp.asarray(v) for v in value])
        object.__setattr__(obj, arg, array)
    elif not isinstance(value, (np.ndarray, jax.Array)):
        _fail(obj, arg, "must be a list or an array of numbers", value, TypeError)
    value = getattr(obj, arg)
    if value.ndim == 0:
        _fail(obj, arg, "must be a list or a 1-D array, not a scalar", value)
    if value.shape[-1] == 0:
        _fail(obj, arg, "must not be empty", value)
    _check_number(obj, arg, value)
    if isinstance(value, np.ndarray):
        object.__setattr__(obj, arg, _jit_safe(value))


# --------------------------------------------------------------------------
# Compiled calls


def _host_step(step: Any) -> Any:
    """A step ready to be a jit argument, without integer overflow.

    JAX arrays and tracers pass through. Python and NumPy integers that do
    not fit JAX's integer dtype (a Python int of 2**40 without x64) become
    float64 NumPy values, which JAX takes as its default float; float steps
    beyond the default float's range saturate.
    """
    if isinstance(step, jax.Array):
        return step
    step = np.asarray(step)
    canonical = jax.dtypes.canonicalize_dtype(step.dtype)
    if canonical == step.dtype:
        return step
    if jnp.issubdtype(step.dtype, np.integer):
        info = np.iinfo(canonical)
        if np.all((step >= info.min) & (step <= info.max)):
            return step.astype(canonical)
        return step.astype(np.float64)
    if step.dtype.kind == "f":
        # A finite float64 step beyond float32 (1e300 without x64) saturates
        # at float32's largest value instead of overflowing to inf.
        big = np.finfo(canonical).max
        return np.where(np.isinf(step), step, np.clip(step, -big, big)).astype(canonical)
    return step


def _compiled_call(method: Callable) -> Callable:
    """Runs a built-in schedule's ``__call__`` as one compiled computation.

    Eagerly, a schedule would otherwise dispatch (and on first use compile)
    each of its dozens of small ops one by one; compiled, a call costs one
    dispatch and gives bit-for-bit the values it gives inside the user's own
    ``jit``. Inside a transformation the inner ``jit`` is simply inlined.
    The schedule is a pytree argument: new hyperparameter values reuse the
    compiled program, static fields select it.
    """
    compiled = jax.jit(method)

    @functools.wraps(method)
    def call(self, step, *args, **kwargs):
        return compiled(self, _host_step(step), *args, **kwargs)

    return call


# --------------------------------------------------------------------------
# Numeric helpers used inside __call__


def _result_dtype(value: Any) -> np.dtype:
    """The dtype a schedule returns: its rate's float dtype, or JAX's default.

    Python numbers, integers and lists of Python numbers (stored as float64
    NumPy arrays) give JAX's default float dtype: float32, or float64 under
    ``jax_enable_x64``.
    """
    dtype = getattr(value, "dtype", None)
    if dtype is not None and jnp.issubdtype(dtype, np.floating):
        return jax.dtypes.canonicalize_dtype(dtype)
    return jax.dtypes.canonicalize_dtype(float)


def _compute_dtype(dtype: np.dtype) -> np.dtype:
    """Arithmetic runs in at least float32, also for bfloat16/float16 rates."""
    return jnp.promote_types(dtype, jnp.float32)


def _cast(dtype: np.dtype, *values: Any) -> list[jax.Array]:
    # Host-side conversion, as for steps: a Python int hyperparameter beyond
    # int32 (decay_steps=10**11) must not pass through int32 without x64.
    return [_as_float_step(v, dtype) for v in values]


def _as_float_step(step: ArrayLike, dtype: np.dtype) -> jax.Array:
    """The step as a float array of `dtype`, without integer overflow.

    Python ints and NumPy values are converted on the host (a Python int of
    2**40 or a uint32 near its maximum never passes through int32). A finite
    float step beyond the range of `dtype` (1e300 without x64) saturates at
    its largest value instead of becoming inf.
    """
    xp = jnp if isinstance(step, jax.Array) else np
    step = xp.asarray(step)
    if step.dtype.kind == "f" and xp.finfo(step.dtype).max > xp.finfo(dtype).max:
        big = xp.finfo(dtype).max
        step = xp.where(xp.isinf(step), step, xp.clip(step, -big, big))
    return jnp.asarray(step.astype(dtype))


def _floor_div(s: jax.Array, k: jax.Array) -> jax.Array:
    """floor(s / k), exact at multiples of k.

    Under jit, XLA may rewrite `s / k` as `s * (1 / k)` when k is a constant,
    which can land just below an integer at s == n * k. One correction step
    each way restores the exact quotient (products of small integers are
    exact in floating point).
    """
    q = jnp.floor(s / k)
    q = jnp.where((q + 1) * k <= s, q + 1, q)
    return jnp.where(q * k > s, q - 1, q)


def _ceil_div(s: jax.Array, k: jax.Array) -> jax.Array:
    """ceil(s / k), exact at multiples of k."""
    return -_floor_div(-s, k)


def _safe_pow(x: jax.Array, p: jax.Array) -> jax.Array:
    """x ** p for x >= 0, with finite gradients at x == 0.

    ``0 ** p`` is 0 for p > 0 and 1 for p == 0; the gradient with respect to
    p there is 0 instead of ``0 * log(0) = nan``.
    """
    positive = x > 0
    safe = jnp.where(positive, x, jnp.ones_like(x))
    at_zero = jnp.where(p == 0, jnp.ones_like(p), jnp.zeros_like(p))
    # NaN (a NaN step) stays NaN rather than becoming 0 ** p.
    return jnp.where(positive, safe**p, jnp.where(jnp.isnan(x), x, at_zero))


def _saturate(x: jax.Array, dtype: np.dtype) -> jax.Array:
    """`x` clipped to the finite range of `dtype`; NaN passes through.

    Extrapolation (negative steps, ``decay_rate > 1``, ``m_mul > 1``) can
    leave the float range: the value then holds the largest finite number
    instead of becoming inf, and ``0 * inf = NaN`` further on.
    """
    big = jnp.finfo(dtype).max
    return jnp.clip(x, -big, big)


def _safe_divisor(d: jax.Array) -> jax.Array:
    """`d` with zeros replaced by ones, for a division in a branch not taken."""
    return jnp.where(d == 0, jnp.ones_like(d), d)


def _half_cosine(remaining: jax.Array) -> jax.Array:
    """0.5 * (1 + cos(pi * (1 - remaining))), written as sin(pi/2 * r) ** 2.

    The same value as Keras' formula, but exact at the end (remaining == 0)
    and without the cancellation of ``1 + cos(x)`` near x == pi, where the
    float32 form loses every significant digit of a small learning rate.
    """
    return jnp.square(jnp.sin((0.5 * np.pi) * remaining))
