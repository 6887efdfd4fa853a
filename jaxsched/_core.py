"""The schedule base class: dataclass, pytree, and the one call harness.

Subclassing :class:`LearningRateSchedule` makes the subclass a frozen,
identity-equality dataclass and registers it as a JAX pytree: fields marked
with :func:`static_field` are auxiliary data (part of the tree structure,
hashed by ``jit``), every other field is a child (a leaf, or a nested
schedule). Unflattening builds the object directly, without calling
``__init__``, so JAX can rebuild a schedule from tracers, stacked arrays,
``vmap`` axis specs or shardings without re-running validation.

A built-in schedule is its fields, its validation (``__post_init__``) and
one method, ``_rate(step, dtype)``, the formula on a float step in the
compute dtype. ``__call__`` does the rest, once, here: host-side step
conversion, one compiled program per class and static options (traced in
place inside the user's ``jit``), the fmod-free branch for arrays of plain
steps (see ``_traced``), the offset shift, the result and compute dtypes,
the cast, and the final saturation.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from . import _numerics as nx
from ._checks import CHECKING, check_field_types, check_number, fail
from ._config import Configurable
from ._repr import schedule_repr

__all__ = ["LearningRateSchedule", "check", "static_field"]


def static_field(**kwargs: Any) -> Any:
    """A dataclass field that is static pytree data, not a leaf.

    Use it for switches (``staircase``, ``cycle``), names and counts: anything
    that changes the traced program rather than the numbers flowing through it.
    Static values must be hashable.
    """
    metadata = dict(kwargs.pop("metadata", None) or {})
    metadata["static"] = True
    return dataclasses.field(metadata=metadata, **kwargs)


def schedule_field(*, number_ok: bool = False, **kwargs: Any) -> Any:
    """A field holding a nested schedule (or, when `number_ok`, a number)."""
    kind = "schedule_or_number" if number_ok else "schedule"
    return dataclasses.field(metadata={"kind": kind}, **kwargs)


# --------------------------------------------------------------------------
# Pytree registration


@functools.lru_cache(maxsize=None)
def _split_fields(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(child field names, static field names) of a schedule class."""
    fields = dataclasses.fields(cls)
    children = tuple(f.name for f in fields if not f.metadata.get("static", False))
    static = tuple(f.name for f in fields if f.metadata.get("static", False))
    return children, static


def _flatten_with_keys(obj):
    children, static = _split_fields(type(obj))
    keyed = tuple((jax.tree_util.GetAttrKey(n), getattr(obj, n)) for n in children)
    return keyed, tuple(getattr(obj, n) for n in static)


def _flatten(obj):
    children, static = _split_fields(type(obj))
    return (
        tuple(getattr(obj, n) for n in children),
        tuple(getattr(obj, n) for n in static),
    )


def _unflatten(cls, aux, values):
    children, static = _split_fields(cls)
    obj = object.__new__(cls)  # no __init__, no __post_init__: no validation
    for name, value in zip(children, values):
        object.__setattr__(obj, name, value)
    for name, value in zip(static, aux):
        object.__setattr__(obj, name, value)
    return obj


def _make_dataclass(cls: type) -> None:
    """Makes `cls` a frozen, identity-equality dataclass, in place.

    Frozenness comes from the base class' ``__setattr__``, not a generated
    one, and the field objects stay on the class: so a user's own
    ``@dataclasses.dataclass(frozen=True, eq=False)`` on top processes the
    class again to the same result instead of failing or losing the
    metadata of static fields.
    """
    declared = {n: v for n, v in vars(cls).items() if isinstance(v, dataclasses.Field)}
    # repr=False: the base class' short constructor-call repr, not the dataclass'.
    dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls)
    for name in ("__setattr__", "__delattr__"):
        if name in vars(cls):
            delattr(cls, name)
    for name, f in declared.items():
        setattr(cls, name, f)


# --------------------------------------------------------------------------
# The base class


# Arrays of at least this many steps take the fmod-free branch (by default: see _traced).
PLAIN_BRANCH_MIN_STEPS = nx.MANY_STEPS


class LearningRateSchedule(Configurable):
    """Base class of every jaxsched schedule (also exported as ``Schedule``).

    A schedule is a pure function of the step, held in a frozen dataclass
    that is a JAX pytree. To write your own, subclass this with annotated
    fields (no decorator needed; ``@dataclasses.dataclass(frozen=True,
    eq=False)`` on top is accepted too): numeric fields become leaves, fields
    declared with :func:`jaxsched.static_field` become static. Implement
    either ``__call__(self, step)`` (anything jittable), or
    ``_rate(self, step, dtype)``, the formula on a float step of the compute
    dtype, and let the base class convert the step, compile the call, cast
    to the rate's dtype and saturate::

        class Halving(jaxsched.LearningRateSchedule):
            initial_learning_rate: ArrayLike
            every: ArrayLike
            name: str | None = jaxsched.static_field(default=None)

            def _rate(self, step, dtype):
                return self.initial_learning_rate * 0.5 ** jnp.floor(step / self.every)

    Subclasses get ``get_config`` / ``from_config`` for free (the dataclass
    fields are the constructor arguments); register them with
    :func:`jaxsched.register_serializable` so that ``deserialize`` finds them.

    Schedules keep identity equality and hashing, so a schedule with array
    hyperparameters can still be used as a ``jax.jit`` function or a dict key.
    """

    # The field whose float dtype is the result dtype (None: see _result_dtype).
    _dtype_from = "initial_learning_rate"
    # _rate gets the step as given (integer or float), not as a float.
    _raw_step = False
    # The step is shifted by the `offset` field (held at 0 with a true
    # `hold_before_offset` field) before _rate sees it.
    _shifted = False
    # _rate's result is in the finite range already (no final saturation).
    _saturated = False
    # The formula calls nx.wrap or nx.remainder: a tuple (maybe empty) of the
    # hyperparameters that must be integers for its plain form (see _traced);
    # None when it has none.
    _plain: tuple[str, ...] | None = None
    # The fewest steps an array needs to take the fmod-free branch.
    _plain_min_steps = PLAIN_BRANCH_MIN_STEPS
    # The least value of the `_plain` hyperparameters in the plain branch
    # (nx.floor_div's plain form wants a divisor of at least 2); None: any.
    _plain_at_least: float | None = None
    # The formula has a cheaper form for steps >= 0 (nx.known_nonnegative
    # in it), taken only where a wrapper knows its step is (never tested).
    _nonnegative_form = False
    # The class is jaxsched's own (set for each subclass; a user's formula
    # is traced as the user wrote it: see _own_code and _staged).
    _own = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._own = cls.__module__.startswith(__package__ + ".")
        if not cls._own:
            # A user's formula runs with jit as the user has it (see _own_code).
            for name in ("__call__", "_rate"):
                if name in cls.__dict__:
                    setattr(cls, name, _as_user_code(cls.__dict__[name]))
        _make_dataclass(cls)
        jax.tree_util.register_pytree_with_keys(
            cls,
            _flatten_with_keys,
            functools.partial(_unflatten, cls),
            flatten_func=_flatten,
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def __post_init__(self) -> None:
        check_field_types(self, nested=LearningRateSchedule)

    def __repr__(self) -> str:
        """The constructor call, short: required arguments, then only those
        that differ from their defaults; stacked leaves and long arrays as
        dtype and shape (``f32[4]``).

        Example:
            >>> jaxsched.CosineDecay(0.1, 1000, warmup_target=1.0, warmup_steps=50)
            CosineDecay(0.1, 1000, warmup_target=1.0, warmup_steps=50)
        """
        return schedule_repr(self)

    def __call__(self, step: ArrayLike) -> jax.Array:
        """The learning rate at ``step`` (a scalar or an array of steps)."""
        return self._call(step)

    def _call(self, step: ArrayLike, *extra: Any) -> jax.Array:
        if type(self)._rate is LearningRateSchedule._rate:
            raise NotImplementedError(
                f"{type(self).__name__} must implement __call__(self, step) or "
                "_rate(self, step, dtype)."
            )
        step = nx.host_step(step)
        if _staging():
            # Inside the user's jit (or scan, cond): trace the formula in
            # place, with the arguments as jit would pass them (JAX arrays,
            # Python numbers weakly typed), and the leaves too, except the
            # float and integer scalars of jaxsched's classes known while
            # tracing, which stay on the host (_staged). The program of the
            # nested jit, without the nested function to trace, lower and
            # inline, and less the arithmetic on constants: a first call
            # traces and compiles faster.
            this = _staged(self)
            step, extra = jax.tree.map(jnp.asarray, (step, extra))
            return jnp.asarray(this._traced(step, *extra))  # (not a NumPy constant)
        if _swept(self, step):
            return _compiled_sweep(self, step, *extra)
        return _compiled(self, step, *extra)

    def _rate(self, step: jax.Array, dtype: np.dtype, *extra: Any) -> jax.Array:
        """The formula: the rate at a float `step` of the compute `dtype`."""
        raise NotImplementedError

    def _result_dtype(self) -> np.dtype | None:
        """The dtype of the result; None lets ``_rate`` choose (wrappers)."""
        return nx.result_dtype(getattr(self, self._dtype_from, None))

    def _traced(self, step: jax.Array, *extra: Any, sweep: bool = False) -> jax.Array:
        """The body of every compiled call (``step`` is a JAX array; `sweep`:
        see ``_compiled_sweep``), traced with jnp's jits inlined (see
        ``_own_code``)."""
        with _own_code():
            return self._traced_inline(step, *extra, sweep=sweep)

    def _traced_inline(self, step: jax.Array, *extra: Any, sweep: bool = False) -> jax.Array:
        plain = None
        held = getattr(self, "hold_before_offset", False)
        if ((self._plain == () or self._nonnegative_form)
                and (held if self._shifted else nx.known_nonnegative(step))):
            # Steps known >= 0 (or NaN) by construction (a warmup's inner
            # schedule, or held at 0 before an offset), and a formula whose
            # plain variant differs only before step 0: that one, untested.
            if self._shifted:
                step = nx.shift(step, self.offset, hold=True)
            with nx.plain_steps():
                return self._formula(step, *extra)
        if self._plain is not None and (np.size(step) >= self._plain_min_steps
                                        or (sweep and np.ndim(step) > 0)) \
                and self._needs_plain_branch(step):
            # The formula twice: once for steps in [0, 2**mantissa) with the
            # integral hyperparameters integers, the usual case, without the
            # fmod of nx.wrap and nx.remainder (a library call per element
            # that stops XLA from vectorizing the loop), once as it is. The
            # same formula: vectorized, XLA's cosine can differ from the
            # scalar one in the fmod loop by an ulp. Only for arrays of at
            # least `_plain_min_steps` steps: where the fmod is only for
            # steps before 0 (the cosines), whole curves (2**14 steps), as
            # below that the fmod costs less than compiling the formula
            # twice; where it is on every step (Cyclic), any array. A scalar
            # step keeps one formula. In a sweep (vmap over the
            # hyperparameters, the steps shared: _compiled_sweep) the work is
            # configs x steps however few the steps: there any array of steps
            # takes it. (Only the schedule called: a nested schedule's step
            # may be computed from swept hyperparameters.) Hyperparameters
            # known while tracing that rule the plain branch out: none.
            hyper = self._plain_hyperparameters()
            plain = (None if nx.on_host(hyper) and not hyper
                     else self._plain_steps(step) & hyper)  # (steps before a shift)
            finite = None if plain is None else self._finite_test()
            if finite is not None:
                # Swept hyperparameters whose rate stays finite: the plain
                # branch without the final clamp (one operation per step).
                plain = plain & finite
            if self._shifted and plain is not None:
                # Offsets: steps in [0, 2**mantissa) shifted by an offset the
                # class accepts lie where the plain formula is exact (for a
                # cosine, that includes the mirror before step 0).
                offset_ok = self._plain_offset_ok()
                plain = None if offset_ok is None else plain & offset_ok
        if self._shifted:
            step = nx.shift(step, self.offset, getattr(self, "hold_before_offset", False))
        if plain is not None:
            # One decision for a whole vmap batch (nx.every): the test on
            # swept hyperparameters would otherwise make the lax.cond a
            # select that computes both branches.
            mirror = self._shifted and not getattr(self, "hold_before_offset", False)

            def plain_formula():
                token = _FINITE_TESTED.set(self if finite is not None else None)
                try:
                    with nx.plain_steps(mirror=mirror):
                        return self._formula(step, *extra)
                finally:
                    _FINITE_TESTED.reset(token)

            return jax.lax.cond(nx.every(plain), plain_formula,
                                lambda: self._formula(step, *extra))
        return self._formula(step, *extra)

    def _plain_steps(self, step: jax.Array) -> jax.Array:
        """True when every step is in [0, 2**mantissa) of the compute dtype."""
        bound_bits = jnp.finfo(nx.compute_dtype(self._result_dtype())).nmant + 1
        if jnp.issubdtype(step.dtype, jnp.integer):
            # One OR over the steps (a third cheaper than comparing each):
            # no bit at or above bound_bits set, the sign bit included.
            bits = jax.lax.reduce(step, step.dtype.type(0), jax.lax.bitwise_or,
                                  tuple(range(step.ndim)))
            if bound_bits < jnp.iinfo(step.dtype).bits - 1:
                ok = (bits >> bound_bits) == 0
            else:  # every step below the bound: only the sign matters
                ok = bits >= 0
        else:
            ok = jnp.all((step >= 0) & (step < 2**bound_bits))
        return ok

    def _plain_hyperparameters(self) -> Any:
        """True when every hyperparameter named in ``_plain`` is an integer
        (at least ``_plain_at_least``): a NumPy bool where all are known
        while tracing."""
        ok = np.True_
        for name in self._plain:
            value = getattr(self, name)
            if value is None:
                continue
            xp = np if nx.on_host(value) else jnp
            value = xp.asarray(value)
            if not xp.issubdtype(value.dtype, np.integer):
                ok = ok & xp.all(value == xp.floor(value))
            if self._plain_at_least is not None:
                ok = ok & xp.all(value >= self._plain_at_least)
        return ok

    def _needs_plain_branch(self, step: jax.Array) -> bool:
        """False where the formula, for these steps and hyperparameters known
        while tracing, has no fmod for the plain branch to avoid."""
        return True

    def _wrapped_period(self, dtype: np.dtype) -> jax.Array | None:
        """For a shifted class with a plain formula: the period ``k`` its
        cosine wraps before step 0 (``nx.wrap``), in `dtype`; None: no plain
        formula for shifted steps."""
        return None

    def _plain_offset_ok(self) -> Any:
        """True when steps in [0, 2**mantissa), shifted by the offset, stay
        where the plain formula is exact: held at 0 (``hold_before_offset``),
        or not before minus twice the wrapped period, where ``nx.wrap``'s
        mirror needs no reduction. None: no plain formula for shifted steps."""
        dtype = nx.compute_dtype(self._result_dtype())
        period = self._wrapped_period(dtype)
        if period is None:
            return None
        if getattr(self, "hold_before_offset", False):
            return True  # no step before 0
        return jnp.all(nx.as_float(self.offset, dtype) <= 2 * period)

    def _formula(self, step: jax.Array, *extra: Any) -> jax.Array:
        # The lowest step an integer step can be (nx.lowest_step), for the
        # formula to drop guards that such steps cannot need.
        with nx.step_floor(step):
            out = self._result_dtype()
            if out is None:
                return self._rate(step, None, *extra)
            dtype = nx.compute_dtype(out)
            if not self._raw_step:
                step = nx.as_float(step, dtype)
            rate = self._rate(step, dtype, *extra)
            # (_finite_rate knows the compute dtype's range: a narrower
            # result, half precision, keeps its clamp.)
            finite = self._saturated or (
                np.dtype(out) == np.dtype(dtype)
                and (_FINITE_TESTED.get() is self or self._finite_rate(dtype)))
        return (rate if finite else nx.saturate(rate, out)).astype(out)

    def _finite_rate(self, dtype: np.dtype) -> bool:
        """True when `_rate` is known, while tracing, to stay in the finite
        range for every step it can see (see ``nx.lowest_step``): no final
        saturation. (``_saturated``: for every step.)"""
        return False

    def _float_step_dtype(self) -> np.dtype | None:
        """The compute dtype, where the formula's value on an integer step
        is its value on that step converted to this dtype and the formula
        uses nothing else of the step's dtype (no ``nx.highest_step``, no
        ``nx.lowest_step`` but through ``nx.known_nonnegative``, no raw
        step): a wrapper may then pass the float (see ``_warmup_point``).
        None: pass the step as it is. jaxsched's own classes only."""
        return None

    def _finite_test(self) -> jax.Array | None:
        """For a class with a plain branch, whose hyperparameters are not all
        known while tracing: a traced boolean, true where ``_rate`` stays
        in the finite range of the compute dtype at every step the plain
        branch takes (``_finite_rate``'s test on traced values). It joins
        the branch's condition, and the branch drops the final clamp. None:
        no test (the clamp stays, or ``_finite_rate`` decides)."""
        return None

    def _rate_bound(self, dtype: np.dtype, low: float) -> float | None:
        """A bound on ``|self(step)|`` over every step from `low` on (a float,
        before any offset), known while tracing (the hyperparameters it needs
        captured as constants), in the compute `dtype`; None where there is
        none. For a wrapper that calls this schedule on steps it knows
        (``LinearWarmup``'s inner schedule sees steps from its warmup's end
        on): a rate known to stay well inside the range needs no clamp.
        jaxsched's own classes only (see ``_bound``); a user's subclass,
        whose formula may differ, gets None."""
        if not type(self)._own:
            return None
        if self._shifted:
            offset = nx.as_float(self.offset, np.float64)
            if not nx.on_host(offset) or np.ndim(offset):
                return None
            low = low - float(offset)
            if getattr(self, "hold_before_offset", False):
                low = max(low, 0.0)
        bound = self._bound(dtype, low)
        if bound is None or not bound < float(np.finfo(dtype).max) / 4:
            return None
        return float(bound)

    def _bound(self, dtype: np.dtype, low: float) -> float | None:
        """``_rate_bound`` of the formula itself, on steps from `low` on."""
        return None

    # Arithmetic that stays a schedule: ``0.5 * s``, ``s * 2``, ``s1 * s2``,
    # ``s / k`` build the nodes of jaxsched/_arith.py, which registers its
    # `multiply` and `divide` here when it is imported (it subclasses this
    # class, so importing it from here would be a cycle). No ``__add__``:
    # ``sum`` would start from the number 0. NumPy scalars defer to
    # ``__rmul__`` instead of building an object array.
    __array_ufunc__ = None
    _operators: Any = None

    def __mul__(self, other: Any) -> Any:
        return LearningRateSchedule._operators.multiply(self, other)

    def __rmul__(self, other: Any) -> Any:
        return LearningRateSchedule._operators.multiply(other, self)

    def __truediv__(self, other: Any) -> Any:
        return LearningRateSchedule._operators.divide(self, other)


try:  # JAX's tracing state (private; without it, always the nested jit, and
    # sweeps take _compiled)
    from jax._src.core import trace_ctx as _trace_ctx
    from jax._src.interpreters.batching import BatchTrace as _BatchTrace
    from jax._src.interpreters.batching import BatchTracer as _BatchTracer
    from jax._src.interpreters.partial_eval import DynamicJaxprTrace as _JaxprTrace
    from jax._src.interpreters.partial_eval import DynamicJaxprTracer as _JaxprTracer
except ImportError:  # pragma: no cover
    _trace_ctx = _JaxprTrace = _JaxprTracer = _BatchTrace = _BatchTracer = None


# Where jaxsched's own code was entered (None outside it): whether jit was
# disabled, and NumPy's error handling: the settings a user's code nested in
# a schedule runs with.
_USER_SETTINGS: contextvars.ContextVar[tuple[bool, dict] | None] = contextvars.ContextVar(
    "jaxsched_user_settings", default=None)


# The schedule whose plain branch is being traced with its `_finite_test`
# in the branch's condition (see _traced_inline): its formula needs no clamp.
_FINITE_TESTED: contextvars.ContextVar = contextvars.ContextVar(
    "jaxsched_finite_tested", default=None)


@contextlib.contextmanager
def _own_code():
    """jaxsched's formulas trace with jit disabled.

    jnp's functions are jits of their own (``jnp.multiply``, behind ``*``,
    too): each one a formula calls is traced once per argument signature,
    into a cache that JAX empties with its others, and the few that are not
    inlined are lowered as functions of their own. With jit disabled while a
    formula traces (inside ``_compiled``'s or the user's ``jit``), they bind
    their primitives in place: the same operations without the nested
    traces, a schedule's first trace 20-50% shorter. (Under a user's own
    ``disable_jit`` everything runs eagerly anyway.) NumPy's warnings are
    off too: hyperparameters known while tracing are NumPy scalars there
    (``_staged``), and a far extrapolation may overflow, as in the program.
    A user's code nested in a schedule (a subclass's ``__call__`` or
    ``_rate``, ``from_callable``'s function) runs with the user's settings
    (``user_code``): under disable_jit, ``lax.scan`` and ``fori_loop`` would
    run as Python loops.
    """
    token = None
    if _USER_SETTINGS.get() is None:
        token = _USER_SETTINGS.set((bool(jax.config.jax_disable_jit), np.geterr()))
    try:
        with jax.disable_jit(), np.errstate(all="ignore"):
            yield
    finally:
        if token is not None:
            _USER_SETTINGS.reset(token)


@contextlib.contextmanager
def user_code():
    """A user's code called from a formula: jit and NumPy's error handling
    as the user has them (see ``_own_code``); jaxsched's code it calls in
    turn takes the user's settings from there."""
    outer = _USER_SETTINGS.get()
    if outer is None:
        yield
        return
    disable_jit, errors = outer
    token = _USER_SETTINGS.set(None)
    try:
        with jax.disable_jit(disable_jit), np.errstate(**errors):
            yield
    finally:
        _USER_SETTINGS.reset(token)


def _as_user_code(method: Any) -> Any:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with user_code():
            return method(*args, **kwargs)

    return wrapper


def _staged(schedule: LearningRateSchedule) -> LearningRateSchedule:
    """The schedule as its formula sees it inside the user's ``jit``: leaves
    as ``nx.staged_leaf`` gives them, those of a user's class (its formula is
    written for what ``jit`` passes: weakly typed Python numbers) as JAX
    arrays."""
    def users(node: Any) -> bool:
        return isinstance(node, LearningRateSchedule) and not node._own

    def leaf(node: Any) -> Any:
        return jax.tree.map(jnp.asarray, node) if users(node) else nx.staged_leaf(node)

    return jax.tree.map(leaf, schedule, is_leaf=users)


def _staging() -> bool:
    """True while JAX traces into a jaxpr directly (inside ``jit``, ``scan``,
    ``cond``; not under ``vmap`` or ``grad`` transforms running eagerly)."""
    return _trace_ctx is not None and type(_trace_ctx.trace) is _JaxprTrace


@jax.jit
def _compiled(schedule: LearningRateSchedule, step: jax.Array, *extra: Any):
    """One compiled program per schedule class and static options.

    Eagerly, a schedule would otherwise dispatch (and on first use compile)
    each of its dozens of small ops one by one; compiled, a call costs one
    dispatch and runs the same program as inside the user's own ``jit``
    (where ``_call`` traces ``_traced`` in place instead, and under ``vmap``
    or ``grad`` inside it, where this ``jit`` is inlined). The schedule is a
    pytree argument: new hyperparameter values reuse the program.
    """
    return schedule._traced(step, *extra)


def _swept(schedule: LearningRateSchedule, step: Any) -> bool:
    """Under ``vmap`` over hyperparameters with the steps not batched: a
    sweep of configs over shared steps. Only where ``vmap`` wraps the call
    itself (the current trace) and the steps are concrete or staged by an
    outer ``jit`` (a step under ``jvp`` or ``grad`` may carry a batch axis
    inside). An eager call returns at the first test."""
    if _trace_ctx is None or type(_trace_ctx.trace) is not _BatchTrace:
        return False
    if isinstance(step, jax.core.Tracer) and type(step) is not _JaxprTracer:
        return False
    return any(isinstance(leaf, _BatchTracer) for leaf in jax.tree.leaves(schedule))


@jax.jit
def _compiled_sweep(schedule: LearningRateSchedule, step: jax.Array, *extra: Any):
    """``_compiled`` for a sweep (see ``_swept``): the same formula, where a
    formula with an fmod-free branch for plain steps (``_plain``) takes it
    for any array of steps (see ``_traced``). A jit of its own, so that its
    programs are cached apart from ``_compiled``'s."""
    return schedule._traced(step, *extra, sweep=True)


_FIELD = object()  # check_schedule: the value is the field `arg` itself


def check_schedule(obj: Any, arg: str, value: Any = _FIELD, *,
                   number_ok: bool = False) -> None:
    """A field holding a nested schedule (or, when `number_ok`, a number)."""
    value = getattr(obj, arg) if value is _FIELD else value
    if isinstance(value, LearningRateSchedule):
        return
    kind = "a jaxsched schedule (LearningRateSchedule)" + (
        " or a number" if number_ok else ""
    )
    if isinstance(value, dict):
        fail(
            obj, arg, f"must be {kind}; a nested config dict needs its "
            "'class_name' and 'config' keys (Model Garden's get_config drops "
            "the class name: add it)", value, TypeError,
        )
    if callable(value):
        fail(
            obj, arg, f"must be {kind}; wrap a plain function with "
            "jaxsched.from_callable(fn) (jit and optax, not serializable), or "
            "write it as a LearningRateSchedule subclass to serialize it",
            value, TypeError,
        )
    if not number_ok:
        fail(obj, arg, f"must be {kind}", value, TypeError)
    check_number(obj, arg, value)


# --------------------------------------------------------------------------
# jaxsched.check


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
    token = CHECKING.set(True)
    try:
        schedule.__post_init__()
    finally:
        CHECKING.reset(token)
    for f in dataclasses.fields(schedule):
        value = getattr(schedule, f.name)
        for inner in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(inner, LearningRateSchedule):
                check(inner)
    return schedule
