"""The numeric kernel: steps, dtypes and safe math, each written once.

Everything a schedule's formula needs beyond plain ``jnp``: converting steps
without overflow, the result and compute dtypes, saturation, exact floor and
ceil division, powers and divisions with finite gradients, powers that
saturate at the largest float, Dekker's exact product, the half cosine, the
phase wrap, the exact step shift of offsets and joins, and segment
lookup. Nothing here knows about schedules; every function works on
scalars, arrays and tracers alike.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
from jax import custom_batching
import numpy as np
from jax.typing import ArrayLike

# --------------------------------------------------------------------------
# Values


def is_concrete(value: Any) -> bool:
    """True for Python/NumPy values and non-traced JAX arrays (lists and
    tuples of them, nested to any depth: walked without recursion)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, jax.core.Tracer):
            return False
        if isinstance(v, (list, tuple)):
            stack.extend(v)
    return True


def is_key(value: Any) -> bool:
    """True for a typed PRNG key array (``jax.random.key``)."""
    return isinstance(value, jax.Array) and jax.dtypes.issubdtype(
        value.dtype, jax.dtypes.prng_key
    )


# --------------------------------------------------------------------------
# Dtypes


def default_float() -> np.dtype:
    """JAX's default float dtype: float32, or float64 under x64."""
    return jax.dtypes.canonicalize_dtype(float)


def result_dtype(*values: Any) -> np.dtype:
    """The dtype a schedule returns: the float dtype of its rate(s).

    Python numbers, integers and lists of Python numbers (stored as float64
    NumPy arrays) give JAX's default float dtype (float32, or float64 under
    ``jax_enable_x64``); several values promote (a join of a bfloat16 and a
    float32 schedule returns float32).
    """
    dtypes = []
    for value in values:
        dtype = getattr(value, "dtype", None)
        if dtype is not None and jnp.issubdtype(dtype, np.floating):
            dtypes.append(jax.dtypes.canonicalize_dtype(dtype))
        else:
            dtypes.append(default_float())
    return jax.dtypes.canonicalize_dtype(jnp.result_type(*dtypes)) if dtypes else (
        default_float()
    )


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """Arithmetic runs in at least float32, also for bfloat16/float16 rates."""
    return jnp.promote_types(dtype, jnp.float32)


# --------------------------------------------------------------------------
# Steps


def host_step(step: Any) -> Any:
    """A step ready to be a jit argument, without integer overflow.

    JAX arrays and tracers pass through. Python and NumPy integers that do
    not fit JAX's integer dtype (a Python int of 2**40 without x64) become
    float64 NumPy values, which JAX takes as its default float; float steps
    beyond the default float's range saturate.

    Raises:
        TypeError: naming ``step`` when it is not a real number or array.
    """
    if isinstance(step, jax.Array):
        if not (jnp.issubdtype(step.dtype, np.integer)
                or jnp.issubdtype(step.dtype, np.floating)):
            raise TypeError(
                f"a schedule's `step` must be an integer or float number or array "
                f"(got dtype {step.dtype}). Received: step={step!r}"
            )
        narrow = _widened(step.dtype)
        return step if narrow is None else step.astype(narrow)
    try:
        array = np.asarray(step)
    except (TypeError, ValueError):
        array = None
    if array is None or not (jnp.issubdtype(array.dtype, np.integer)
                             or jnp.issubdtype(array.dtype, np.floating)):
        raise TypeError(
            "a schedule's `step` must be an integer or float number or array "
            f"(got {type(step).__name__}). Received: step={step!r}"
        )
    step = array
    narrow = _widened(step.dtype)
    if narrow is not None:
        return step.astype(narrow)
    canonical = jax.dtypes.canonicalize_dtype(step.dtype)
    if canonical == step.dtype:
        return step
    if step.dtype.kind in "iu":
        info = np.iinfo(canonical)
        if np.all((step >= info.min) & (step <= info.max)):
            return step.astype(canonical)
        return step.astype(np.float64)
    return clip_to_dtype(step, canonical).astype(canonical)


def _widened(dtype: np.dtype) -> np.dtype | None:
    """int32 for 8- and 16-bit integer steps, float32 for half-precision ones
    (None otherwise). Exact, and the schedule computes in at least float32
    anyway: every narrow step type runs the int32 or float32 program instead
    of compiling one of its own."""
    if jnp.dtype(dtype).itemsize >= 4:
        return None
    return np.dtype(np.int32) if jnp.issubdtype(dtype, np.integer) else np.dtype(
        np.float32)


def clip_to_dtype(x: Any, dtype: np.dtype) -> Any:
    """A float `x` clipped to the finite range of `dtype`; inf and NaN stay.

    A finite float64 step beyond float32 (1e300 without x64) becomes
    float32's largest value instead of overflowing to inf.
    """
    xp = jnp if isinstance(x, jax.Array) else np
    if x.dtype.kind != "f" or xp.finfo(x.dtype).max <= xp.finfo(dtype).max:
        return x
    big = xp.finfo(dtype).max
    return xp.where(xp.isinf(x), x, xp.clip(x, -big, big))


def as_float(value: ArrayLike, dtype: np.dtype) -> jax.Array | np.ndarray:
    """`value` (a step or a hyperparameter) as a float array of `dtype`.

    Host values are converted on the host (a Python int of 10**11 never
    passes through int32) and stay NumPy values (a formula's arithmetic on
    them alone is done once, on the host: see :func:`staged_leaf`); floats
    beyond the range of `dtype` saturate.
    """
    if isinstance(value, jax.Array) and not _small_table(value):
        return clip_to_dtype(value, dtype).astype(dtype)
    value = clip_to_dtype(np.asarray(value), dtype).astype(dtype)
    # A scalar hyperparameter known while tracing stays on the host (see
    # staged_leaf), and so does a table of up to 16 entries, which `take`
    # reads entry by entry; larger tables, which a traced index reads, do not.
    return value if value.ndim == 0 or _small_table(value) else jnp.asarray(value)


def _small_table(value: Any) -> bool:
    """A table known while tracing that :func:`take` reads entry by entry."""
    return (np.ndim(value) > 0 and np.shape(value)[-1] <= SELECT_CHAIN
            and not isinstance(value, jax.core.Tracer))


def staged_leaf(value: Any) -> Any:
    """A schedule's leaf as its formula sees it inside the user's ``jit``: a
    JAX array, as ``jit`` would pass it; but a float or integer scalar known
    while tracing (a hyperparameter the user's ``jit`` captured, a constant
    of the program) as a NumPy scalar of the dtype ``jit`` would give it
    (strongly typed, where ``jit`` makes a Python number weakly typed:
    jaxsched's formulas cast every hyperparameter first, and a user's class
    is not staged, see ``_core._staged``). Arithmetic on such
    hyperparameters alone then happens once, on the host, instead of in the
    program (the same IEEE operations that XLA would fold; the saturation
    bounds of :func:`scaled_power`): fewer operations to trace and
    compile."""
    if isinstance(value, int) and not isinstance(value, bool):
        dtype = jax.dtypes.canonicalize_dtype(int)
        if not np.iinfo(dtype).min <= value <= np.iinfo(dtype).max:
            return jnp.asarray(value)  # (the OverflowError jit raises)
        return np.asarray(value, dtype)
    dtype = np.dtype(float) if isinstance(value, float) else getattr(value, "dtype", None)
    if (isinstance(value, jax.core.Tracer) or (np.ndim(value) != 0 and not _small_table(value))
            or not isinstance(dtype, np.dtype) or dtype.kind not in "fiu"):
        return jnp.asarray(value)  # (bfloat16, whose kind is "V", keys, bools)
    with np.errstate(over="ignore"):  # (1e300 without x64: inf, as jnp.asarray gives)
        return np.asarray(value).astype(jax.dtypes.canonicalize_dtype(dtype))


def on_host(*values: Any) -> bool:
    """True when every one of `values` is a NumPy value (known while
    tracing: see :func:`staged_leaf`)."""
    return all(isinstance(v, (np.ndarray, np.generic)) for v in values)


def rounded(x: Any) -> Any:
    """`x`, rounded to its dtype before the next operation uses it.

    XLA's CPU backend fuses a product and the sum that uses it into one
    multiply-add, rounded once: ``pct * total - 1`` with ``pct = 0.1``,
    ``total = 10`` gives 1.5e-8 in a program, 0 on the host (the product
    rounds to 1). A select between them (``x`` where ``x == x``, NaN
    otherwise: ``x`` itself, NaN included) keeps the product rounded. A
    value known while tracing is rounded already: returned as it is.
    """
    if on_host(x):
        return x
    return where(x == x, x, jnp.asarray(np.nan, jnp.result_type(x)))


def host_abs_max(value: Any, dtype: np.dtype) -> float | None:
    """The largest ``|value|`` (a number or a table) in `dtype`, where it is
    known while tracing; None otherwise. (For the bounds of ``_bound``.)"""
    value = as_float(value, dtype)
    return float(np.max(np.abs(value))) if on_host(value) else None


def cast(dtype: np.dtype, *values: Any) -> list[jax.Array]:
    """Each of `values` as a float array of `dtype` (see :func:`as_float`)."""
    return [as_float(v, dtype) for v in values]


def shift(step: jax.Array, offset: ArrayLike, hold: bool = False) -> jax.Array:
    """``step - offset`` (``max(step - offset, 0)`` when `hold`), exactly.

    The one offset mechanism: offsets, ``JoinSchedules`` boundaries and the
    Model Garden offsets all shift the step with it, in the same compiled
    program whether the call is eager or inside ``jit``.

    Integer steps and integer offsets subtract in integers (at least int32,
    the step's integer dtype if wider), exact at any size; a difference
    beyond the integer range saturates at its end. Anything else subtracts in
    JAX's default float dtype (or the wider float dtype of the step or the
    offset): a fractional offset is a hyperparameter like any other, rounded
    to that dtype once.
    """
    step = jnp.asarray(step)
    offset = offset if on_host(offset) else jnp.asarray(offset)
    ints = (jnp.issubdtype(step.dtype, np.integer)
            and jnp.issubdtype(offset.dtype, np.integer))
    if ints:
        itype = jax.dtypes.canonicalize_dtype(
            jnp.promote_types(jnp.promote_types(step.dtype, offset.dtype), jnp.int32))
        # Signed, and holding both (no uint32 in int32 without x64).
        ints = jnp.issubdtype(itype, np.signedinteger) and all(
            jnp.iinfo(d).max <= jnp.iinfo(itype).max for d in (step.dtype, offset.dtype))
    if ints:
        s, o = step.astype(itype), offset.astype(itype)
        # s - o leaves the range exactly where s < min + o (o > 0) or
        # s > max + o (o < 0): clamping s first (bounds computed once per
        # offset, without overflow, on the host for an offset known while
        # tracing) saturates the difference there, one clamp and one
        # subtraction per step.
        info = np.iinfo(itype)
        if on_host(o) and np.ndim(o) == 0:  # (the dtype's own bound: left out)
            if o == 0:
                d = s
            else:
                d = (jnp.maximum(s, info.min + o) if o > 0 else jnp.minimum(s, info.max + o)) - o
        else:
            d = jnp.clip(s, info.min + jnp.maximum(o, 0), info.max + jnp.minimum(o, 0)) - o
    else:
        dtype = default_float()
        for x in (step, offset):
            if jnp.issubdtype(x.dtype, np.floating):
                dtype = jnp.promote_types(dtype, x.dtype)
        d = as_float(step, dtype) - as_float(offset, dtype)
    return jnp.maximum(d, 0) if hold else d


# --------------------------------------------------------------------------
# Safe math


def where(condition: Any, x: Any, y: Any) -> jax.Array:
    """``jnp.where(condition, x, y)``, traced inline as one ``select_n``.

    ``jnp.where`` is a ``jit`` of its own, which every trace enters and every
    lowering emits as a function of its own, wherever jit is enabled (the
    formulas trace with it disabled, see ``_core._own_code``; this one
    select is still less Python per call than jnp.where's checks, and a
    schedule holds dozens: 40 in CosineDecayRestarts). Same result where the result is strongly typed: the dtype of
    ``jax.dtypes.result_type(x, y)``, NumPy broadcasting, Python numbers
    converted as jnp.where converts them. A weakly typed result, or a
    condition that is not boolean, takes ``jnp.where`` itself.
    """
    dtype, weak = jax.dtypes.result_type(x, y, return_weak_type_flag=True)
    if weak or jnp.result_type(condition) != np.bool_:
        return jnp.where(condition, x, y)
    shape = jnp.broadcast_shapes(np.shape(condition), np.shape(x), np.shape(y))
    # (A Python number becomes an array of JAX's default type first, as in
    # jnp.where: an int beyond int32 raises OverflowError without x64.)
    x, y = (jnp.broadcast_to(jax.lax.convert_element_type(jnp.asarray(v), dtype), shape)
            for v in (x, y))
    return jax.lax.select(jnp.broadcast_to(condition, shape), x, y)


def saturate(x: jax.Array, dtype: np.dtype) -> jax.Array:
    """`x` clipped to the finite range of `dtype` (maybe narrower than x's).

    Extrapolation (negative steps, ``decay_rate > 1``, ``m_mul > 1``) can
    leave the float range: the value then holds the largest finite number
    instead of becoming inf, and ``0 * inf = NaN`` further on. NaN passes.
    (A value known while tracing is clipped on the host.)
    """
    big = np.asarray(jnp.finfo(dtype).max, x.dtype)
    if on_host(x):
        return np.clip(x, -big, big)
    return jax.lax.clamp(-big, x, big)  # (a primitive: no nested jit to trace)


def well_inside(dtype: np.dtype, *values: Any) -> bool:
    """True when every one of `values` is known while tracing (see
    :func:`staged_leaf`) and at most a quarter of `dtype`'s largest finite
    value in magnitude: a rate between such values, or a sum of two of
    them, is finite (see ``_core``'s ``_finite_rate``)."""
    if not on_host(*values):
        return False
    limit = _quarter(dtype)
    with np.errstate(all="ignore"):
        return all(bool(np.all(np.abs(np.asarray(v, np.float64)) < limit)) for v in values)


def inside_test(dtype: np.dtype, *values: Any) -> jax.Array:
    """:func:`well_inside`'s test in the program, for traced values (a
    sweep's; see ``_core``'s ``_finite_test``): one boolean, false for NaN."""
    limit = _quarter(dtype)
    ok = jnp.asarray(True)
    for v in values:
        ok = ok & jnp.all(jnp.abs(v) < limit)
    return ok


def _quarter(dtype: np.dtype) -> float:
    return float(np.finfo(dtype).max) / 4


def scaled_power(lr: jax.Array, base: jax.Array, p: jax.Array,
                 power: Any = jnp.power, per_step: str = "p",
                 nonnegative: bool = False, constant_p: bool = False) -> jax.Array:
    """``lr * power(base, p)`` for base > 0 (base >= 0 with :func:`safe_pow` as
    `power`), holding the dtype's largest finite
    value (with the sign of `lr`) where it would overflow, with finite
    gradients everywhere.

    Saturation is decided in logarithms, where the value or the power alone
    would overflow: ``p * log(base) > log(max / max(|lr|, 1))`` (with a
    margin of 2**-10, 0.1%, for the rounding of that product). Where it
    holds, the value is the largest finite one (0 for ``lr = 0``), and the
    power's argument that varies with the step is replaced by a harmless one
    in the derivatives (the double ``where`` that keeps NaN out of the
    cotangents of the branch not taken). So for ``|lr| < 1`` the value holds
    the largest float from where it is ``|lr| * max`` on.

    ``per_step`` names the argument that varies with the step, so that no
    logarithm is taken per step: ``"p"`` (a hyperparameter base, as
    ``decay_rate ** (step / k)``) tests ``p * log(base)``, a product and a
    compare per step; ``"base"`` (a hyperparameter exponent, as
    ``remaining ** power``) tests the base against ``exp(room / p)``,
    computed once per configuration: one compare per step. The power keeps
    its hyperparameter operand as it is (XLA simplifies ``x ** 1.0``).
    `nonnegative`: ``p >= 0`` (or NaN) by construction; with a base at
    most 1 and the room known while tracing, nothing is held and nothing
    is tested. `constant_p`: `p` has no derivative (a floor's result, whose
    tangent is JAX's symbolic zero): with `lr` and `base` known while
    tracing nothing in the power has one either, and the value needs no
    guarded JVP (a captured staircase's program, without the custom_jvp).

    The guards that only keep derivatives finite (the inner ``where``, the
    zero test of :func:`safe_pow`) are in the JVP alone: the value is
    computed with a plain power and one select, the same numbers with
    fewer operations per step (a ``custom_jvp``). So `power` is used for
    the derivatives only; the value is ``jnp.power``'s, which differs from
    :func:`safe_pow`'s only outside its domain (``0 ** p`` for p < 0 or
    NaN: unvalidated, traced hyperparameters).
    """
    mode, held, a, b = _saturation(lr, base, p, per_step, nonnegative)
    if on_host(lr, base) and (constant_p or (
            mode == "never" and bool(np.all(np.asarray(base) > 0)))):
        # Only `p` traced, and either without a derivative, or with nothing
        # held and a positive base, where the power's own derivative is
        # finite: no guard to hide (a captured schedule's program, without
        # a custom_jvp to trace).
        return _scaled_power_value(mode, held, a, b, lr, base, p)
    return _scaled_power(power, mode, held, a, b, lr, base, p)


def _saturation(lr, base, p, per_step, nonnegative=False):
    """(mode, held, a, b) for :func:`_scaled_power`: the value held where ``lr
    * base ** p`` would overflow (``sign(lr) * max``), and how the step decides
    it. Mode "p": ``p * b > a`` (a the room below the largest float, b
    ``log(base)``); modes "p>" and "p<" (b known while tracing): p against
    the bound ``a / b``; mode "never". Mode "base": the base against the bound ``a``, above it
    for p > 0, at or below it for p < 0, and clamped to ``b`` (the bound
    for p > 0, inf otherwise); modes "base+" and "base-" where every p has
    that sign.

    On the host where the hyperparameters are known while tracing (NumPy
    values: see :func:`staged_leaf`), in float64 rounded once: these bounds
    only decide (a step within an ulp of one may be held one step apart from
    the traced bound's, inside the margin), so the program has a dozen
    operations fewer to trace and compile.
    """
    hyper = lr, (base if per_step == "p" else p)
    dtype = np.dtype(p.dtype)
    host = on_host(*hyper)
    if host:  # (in float64, each bound rounded to the dtype once, below)
        xp, select = np, np.where
        lr, other = (np.asarray(h, np.float64) for h in hyper)
    else:
        xp, select = jnp, where
        other = hyper[1]
    big = np.finfo(dtype).max
    held = xp.sign(lr) * big  # (0 for lr = 0)
    room = float(np.log(big)) - 2.0**-10 - xp.log(xp.maximum(xp.abs(lr), 1))
    if per_step == "p":
        mode, a, b = "p", room, xp.log(other)
        if host and nonnegative and np.all(b <= 0) and np.all(a >= 0):
            mode = "never"  # p * log(base) <= 0 <= room
        elif host and np.ndim(b) == 0 and np.isfinite(b) and b != 0:
            # p * b > a  <=>  p beyond a / b: one compare per step, no
            # product (the bound within an ulp of the product's, inside the
            # margin).
            mode, a = ("p>" if b > 0 else "p<"), a / b
    else:
        # p * log(base) > room  <=>  base > exp(room / p) for p > 0, and
        # base < exp(room / p) for p < 0 (never for p == 0; `<=` there, as
        # the bound is 0 where it underflows: 0 ** p is held too).
        a = xp.exp(room / select(other == 0, 1, other))
        b = select(other > 0, a, np.inf)
        mode = "base"
        if host and np.all(other > 0):
            mode = "base+"
        elif host and np.all(other < 0):
            mode = "base-"
    if host:
        held, a, b = (np.asarray(x).astype(dtype) for x in (held, a, b))
    return mode, held, a, b


def _over(mode, a, b, base, p):
    """Where the value is held (see :func:`_saturation` for the modes)."""
    if mode == "never":
        return jnp.zeros(np.shape(p), bool)
    if mode == "p":
        return p * b > a
    if mode in ("p>", "p<"):
        return p > a if mode == "p>" else p < a
    if mode == "base":
        return where(p > 0, base > a, (p < 0) & (base <= a))
    return base > a if mode == "base+" else base <= a


def _scaled_power_value(mode, held, a, b, lr, base, p):
    over = _over(mode, a, b, base, p)
    if mode in ("base", "base+"):
        # min(base, bound): the same where the value is not held, an
        # operation between the multiplications of the step by constants
        # (``(k - s) / k`` and `lr`) that XLA would otherwise reassociate
        # when ``p == 1`` (``s * (-0.1 * 0.1)``: 5e-9 at a rate of exactly 0).
        # (No bound for p <= 0, where only small bases are held.)
        base = jnp.minimum(base, b)
    if mode == "never":
        return lr * jnp.power(base, p)
    return where(over, held, lr * jnp.power(base, p))


@functools.partial(jax.custom_jvp, nondiff_argnums=(0, 1))
def _scaled_power(power, mode, held, a, b, lr, base, p):
    # (`held`, `a` and `b` from _saturation: they only decide, or hold
    # sign(lr) * max, so the derivatives take them as constants. safe_pow
    # and jnp.power agree wherever the value is not held: 0 ** p is held for
    # p < 0, see _saturation.)
    return _scaled_power_value(mode, held, a, b, lr, base, p)


@_scaled_power.defjvp
def _scaled_power_jvp(power, mode, primals, tangents):
    # The value's own decision (so value_and_grad gives the value), and the
    # derivative of `power` on a harmless argument where the value is held.
    held, a, b, lr, base, p = primals
    over = _over(mode, a, b, base, p)

    def guarded(lr, base, p):
        if mode in ("p", "p>", "p<", "never"):  # (the step varies p)
            return where(over, held, lr * power(base, where(over, 0, p)))
        return where(over, held, lr * power(where(over, 1, base), p))

    _, tangent = jax.jvp(guarded, (lr, base, p), tuple(tangents[3:]))
    return _scaled_power_value(mode, *primals), tangent


def two_product(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(a * b rounded, its rounding error), so that a * b == p + e exactly
    (Dekker's product: each factor split into halves whose products are
    exact). Finite for |a|, |b| up to the dtype's max / 2**13 (float32)."""
    factor = 2.0 ** ((jnp.finfo(a.dtype).nmant + 2) // 2) + 1

    def split(x):
        c = factor * x
        high = c - (c - x)
        return high, x - high

    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def floor_div(s: jax.Array, k: jax.Array) -> jax.Array:
    """floor(s / k), exact at multiples of k.

    Under jit, XLA may rewrite `s / k` as `s * (1 / k)` when k is a constant,
    which can land just below an integer at s == n * k. One correction step
    each way restores the exact quotient (products of small integers are
    exact in floating point).

    In :func:`plain_steps` (0 <= s < 2**mantissa, and k an integer >= 2
    there: ``Cyclic``'s cycle), one correction: the reciprocal rounded up,
    the estimate is never below the quotient and at most one above it. So
    too for integer steps by an integral k known while tracing whose
    quotients all stay small (:func:`_reciprocals_away`: the reciprocal
    rounded away from the floor by the step's sign).
    """
    if _PLAIN.get():
        q = _plain_quotient(s, k)
        return where(q * k > s, q - 1, q)
    inv = _reciprocals_away(k, s.dtype)
    if inv is not None:
        # The quotient's estimate is never below the floor (the reciprocal
        # rounded away from 0 for s >= 0, towards 0 for s < 0) and at most
        # one above it: one correction.
        q = jnp.floor(s * where(s < 0, inv[0], inv[1]))
        return where(q * k > s, q - 1, q)
    q = jnp.floor(s / k)
    q = where((q + 1) * k <= s, q + 1, q)
    return where(q * k > s, q - 1, q)


def _reciprocals_away(k: Any, dtype: np.dtype) -> tuple[Any, Any] | None:
    """(1 / k rounded down, 1 / k rounded up) in `dtype`, for
    :func:`floor_div` of integer steps by an integral `k` known while
    tracing, where every quotient of a step this call can see
    (:func:`lowest_step`, :func:`highest_step`) is below ``2 ** (nmant -
    1)`` in magnitude: there ``s * inv`` (both roundings) is at most 3/4
    above ``s / k`` in the direction of the chosen rounding, which the
    floor's single correction covers. None otherwise."""
    low, high = lowest_step(), highest_step()
    if low is None or high is None or not on_host(k) or np.ndim(k) != 0:
        return None
    k64 = float(k)
    info = np.finfo(dtype)
    if not (k64 >= 2 and k64 == np.floor(k64)
            and max(-low, high) / k64 < 2.0 ** (info.nmant - 1)):
        return None
    return _rounded_reciprocals(k64, dtype)


def _rounded_reciprocals(k64: float, dtype: np.dtype) -> tuple[Any, Any]:
    """1 / k of an integral `k64` in `dtype`, rounded down and rounded up."""
    from fractions import Fraction  # (not imported by jax: on first use)

    dtype = np.dtype(dtype)
    inv = np.asarray(1 / k64, dtype)[()]  # (k64 is k's value, exactly)
    error = Fraction(float(inv)) - Fraction(1, int(k64))
    down = inv if error <= 0 else np.nextafter(inv, dtype.type(0))
    up = inv if error >= 0 else np.nextafter(inv, dtype.type(np.inf))
    return down, up


def floor_divmod(s: jax.Array, k: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(floor(s / k), fmod(s, k))`` of steps ``s >= 0``, both exact: the
    period index and the position in it.

    For integer steps (their float values at most :func:`highest_step`) by
    an integral `k` known while tracing, where :func:`exact_pieces` splits
    `k`: without ``fmod``, without a test on the steps, at any step the
    dtype holds. The quotient's estimate ``floor(s * (1 / k rounded up))``
    is the quotient or one above it; ``s - q * k``, with ``q * k`` written
    as a sum of products that are exact (``k``'s bits in pieces narrow
    enough for any ``q``) and subtracted one at a time, each difference
    exact (see :func:`exact_pieces`), is the remainder or the remainder
    minus `k`: one correction. Otherwise
    :func:`floor_div` and :func:`remainder` (whose remainder is exact; the
    quotient is exact below ``2**mantissa``, within one above).
    """
    if _PLAIN.get():
        # The remainder's sign corrects the estimate and the remainder both:
        # one comparison and one product fewer than the corrected quotient
        # first. (In plain_steps, s - q * k is exact.)
        q = _plain_quotient(s, k)
        r = s - q * k
        low = r < 0
        return where(low, q - 1, q), where(low, r + k, r)
    pieces = exact_pieces(k, s.dtype)
    if pieces is None:
        q = floor_div(s, k)
        return q, remainder(s, k, q)
    k = np.asarray(k, s.dtype)[()]
    # (No derivative through q: the floor is piecewise constant.)
    q = jnp.floor(jax.lax.stop_gradient(s) * _rounded_reciprocals(float(k), s.dtype)[1])
    r = s
    for piece in pieces:
        r = r - q * piece
    low = r < 0
    return where(low, q - 1, q), where(low, r + k, r)


def exact_pieces(k: Any, dtype: np.dtype) -> tuple[Any, ...] | None:
    """For :func:`floor_divmod`: an integral `k` known while tracing as a
    sum of pieces (its bits, `width` at a time from the top) such that, for
    every integer step the formula can see (0 to :func:`highest_step`) and
    either estimate q of its quotient, each ``q * piece`` and each partial
    difference is exact in `dtype`; None where there is none (a float step,
    k not integral, below 2 or from ``2**(bits - 1)`` on, quotients that
    reach ``2**(nmant - 2)``: int32 steps in float32 by k <= 1024).

    With every estimate ``q <= qmax < 2**(nmant - 1)`` the estimate is the
    quotient or one above it. A piece of ``width = bits - bitlength(qmax)``
    significant bits times q fits the ``bits`` of the significand. After
    the i-th piece the difference is ``r + q * rest`` (r the remainder's
    estimate, in ``[-k, k)``; `rest` what is left of k, below a quarter of
    the piece as width >= 3), an integer: exact at most ``2**bits`` in
    magnitude; above, ``q * rest > 2**bits - k`` makes q so large that the
    difference before and the product ``q * piece`` are within a factor 2
    of each other (``q * (piece - rest) >= k``), where a subtraction is
    exact (Sterbenz's lemma). The last difference is r itself.
    """
    high = highest_step()
    if high is None or not on_host(k) or np.ndim(k) != 0:
        return None
    info = np.finfo(dtype)
    bits = info.nmant + 1
    k64 = float(k)
    if not (2 <= k64 < 2.0 ** (bits - 1) and k64 == np.floor(k64)):
        return None
    top = float(np.asarray(high, dtype))  # the float step's highest value
    qmax = int(top // k64) + 1
    width = bits - qmax.bit_length()
    if width < 3:  # (so qmax < 2**(nmant - 2))
        return None
    pieces, rest = [], int(k64)
    while rest:
        shift = max(rest.bit_length() - width, 0)
        piece = rest >> shift << shift
        rest -= piece
        pieces.append(np.asarray(piece, dtype)[()])
    return tuple(pieces)


def _plain_quotient(s: jax.Array, k: jax.Array) -> jax.Array:
    """In :func:`plain_steps`: ``floor(s / k)`` or one above it (never
    below), from the reciprocal rounded up. (No derivative: the floor is
    piecewise constant.)"""
    return jnp.floor(jax.lax.stop_gradient(s) * _reciprocal_rounded_up(jax.lax.stop_gradient(k)))


def _reciprocal_rounded_up(k: Any) -> Any:
    """``nextafter(1 / k, inf)`` for k >= 2: the next float's bits (1 / k is
    positive and normal), three operations where ``jnp.nextafter`` takes
    sixteen, which XLA fuses into the loop over the steps (in a sweep,
    repeated for every step of every configuration)."""
    if on_host(k):
        return np.nextafter(1 / k, np.inf)
    inv = 1 / k
    bits = jnp.dtype(f"int{8 * inv.dtype.itemsize}")
    return jax.lax.bitcast_convert_type(
        jax.lax.bitcast_convert_type(inv, bits) + 1, inv.dtype)


def ceil_div(s: jax.Array, k: jax.Array) -> jax.Array:
    """ceil(s / k), exact at multiples of k."""
    return -floor_div(-s, k)


def safe_divisor(d: jax.Array) -> jax.Array:
    """`d` with zeros replaced by ones, for a division in a branch not taken."""
    return where(d == 0, jnp.ones_like(d), d)


@jax.custom_jvp
def safe_pow(x: jax.Array, p: jax.Array) -> jax.Array:
    """x ** p for x >= 0, with finite gradients at x == 0.

    ``0 ** p`` is 0 for p > 0 and 1 for p == 0 (XLA's power: the value is
    computed by it alone); the derivatives there are those of a guarded
    power, 0 instead of ``0 * log(0) = nan`` with respect to p (a
    ``custom_jvp``: the guard costs nothing when nothing is differentiated).
    A NaN `x` stays NaN.
    """
    return jnp.power(x, p)


@safe_pow.defjvp
def _safe_pow_jvp(primals, tangents):
    def guarded(x, p):
        zero = x == 0  # (False for NaN, whose power is NaN)
        safe = where(zero, jnp.ones_like(x), x)
        at_zero = where(p == 0, jnp.ones_like(p), jnp.zeros_like(p))
        return where(zero, at_zero, safe**p)

    return jax.jvp(guarded, primals, tangents)


# sin(pi/2 x) ** 2 = y * R(y), y = x ** 2, for |x| <= 1/2: R's coefficients,
# lowest first. Float32: a near-minimax fit, within 3.2e-8 relative of R
# (``python -m benchmarks.half_cosine_fit``, which derives them). Float64:
# R's Taylor series, 2 ** (2n - 1) (-1) ** (n + 1) (pi/2) ** (2n) / (2n)!
# for n = 1..10, the next term below 2e-17 relative.
_HALF_COSINE_F32 = np.asarray(
    [2.4674010276794434, -2.0293469429016113, 0.6674460768699646,
     -0.11642909049987793, 0.010104084387421608], np.float32)
_HALF_COSINE_F64 = np.asarray(
    [(-1) ** (n + 1) * 2.0 ** (2 * n - 1) * (np.pi / 2) ** (2 * n) / math.factorial(2 * n)
     for n in range(1, 11)], np.float64)


def half_cosine(remaining: jax.Array) -> jax.Array:
    """0.5 * (1 + cos(pi * (1 - remaining))) = sin(pi/2 * remaining) ** 2.

    The same value as Keras' formula, but exact at both ends (0 at
    remaining == 0, 1 at 1) and without the cancellation of ``1 + cos(x)``
    near x == pi, where the float32 form loses every significant digit of a
    small learning rate. On arrays: the function has period 2, so the
    argument is first reduced to ``|r - 2 round(r / 2)| <= 1`` (exact);
    up to 1/2 the value is ``y * R(y)`` with ``y = r ** 2`` and R a
    polynomial (see ``_HALF_COSINE_F32``); above, ``1 - y * R(y)`` with
    ``y = (1 - |r|) ** 2`` (the same function: the cosine squared;
    ``1 - |r|`` is exact there, and the value is at least 1/2, so the
    subtraction loses nothing). Within 2.4 float32 roundings of the exact
    value over sampled float32 arguments (0.46 on average), where
    ``sin(pi/2 * r) ** 2`` in float32 was within 4.4 (0.82): the product
    ``pi/2 * r`` no longer rounds.

    XLA's CPU sine reduces its argument first and takes a slower path from
    about 0.75 on: a cosine curve of 10**6 steps took 1.5 ms with the sine,
    0.28 ms with the polynomial (the limit, ``0.5 * (1 + cos(pi * t / k))``,
    1.9 ms).

    A scalar (a train step's) keeps ``sin(pi/2 * r) ** 2``: one operation
    where the polynomial, its reduction and its selects are about twenty,
    which a first call traces and compiles (3-5 ms more, 5-10% of it,
    measured); its value can differ from the array's by a rounding or two.
    """
    if np.ndim(remaining) == 0:
        return jnp.square(jnp.sin((0.5 * np.pi) * remaining))
    # (lax: the primitives bound as they are, without jnp's promotion: the
    # same trace and compile time as the sine's programs of 64 steps,
    # measured; with jnp's operators 4-7% more.)
    r = jnp.asarray(remaining)
    if r.dtype not in (np.float32, np.float64):  # (integers, half precision)
        r = r.astype(jnp.promote_types(r.dtype, np.float32))
    dtype = r.dtype
    one, half, two = (np.asarray(v, dtype) for v in (1, 0.5, 2))
    # One period: r - 2 round(r / 2), exact (up to |r| = 1 the rounding is
    # 0, half to even; above, the difference of two floats within a factor
    # 2 of each other); NaN and infinities give NaN, as the sine does.
    a = jax.lax.abs(jax.lax.sub(r, jax.lax.mul(two, jax.lax.round(
        jax.lax.mul(r, half), jax.lax.RoundingMethod.TO_NEAREST_EVEN))))
    near = jax.lax.le(a, half)
    x = jax.lax.select(near, a, jax.lax.sub(one, a))
    y = jax.lax.mul(x, x)
    coeffs = (_HALF_COSINE_F64 if dtype == np.float64 else _HALF_COSINE_F32).astype(dtype)
    p = coeffs[-1]
    for c in coeffs[-2::-1]:
        p = jax.lax.add(jax.lax.mul(p, y), c)
    q = jax.lax.mul(p, y)
    return jax.lax.select(near, q, jax.lax.sub(one, q))


def wrap(s: jax.Array, k: jax.Array) -> jax.Array:
    """A negative step mapped into [0, k], where cos(pi * s / k) is the same.

    Before step 0 a cosine is extrapolated (Keras' formula). The cosine is
    even with period 2 * k, so ``-s`` reduced modulo ``2 * k`` (fmod is
    exact), then reflected into [0, k] (exact too), gives the same value with
    the phase at float precision, where ``(k - s) / k`` for s = -10**6,
    k = 7 has lost every digit of it. Steps >= 0 pass unchanged; -inf gives
    the phase of the largest finite negative step. (In :func:`plain_steps`,
    the steps are known to need no reduction: see there.)
    """
    plain = _PLAIN.get()  # see `plain_steps`
    if plain == "mirror":  # s >= -2 * k: |s| <= 2 * k, the cosine is even
        return jnp.abs(s)
    if plain:  # s >= 0
        return s
    # (-s at most the largest finite value: fmod(inf, .) is NaN.)
    m = jnp.fmod(jnp.minimum(-s, jnp.finfo(s.dtype).max), 2 * k)
    m = where(m > k, 2 * k - m, m)
    return where(s < 0, m, s)


def remainder(s: jax.Array, k: jax.Array, q: jax.Array) -> jax.Array:
    """The exact remainder ``fmod(s, k)`` of a step ``s >= 0``, where
    ``q = floor_div(s, k)``; 0 for an infinite step (the start of a period).

    ``s - q * k`` loses digits when ``q * k`` is not representable (float32
    steps past 2**24, a fractional `k`); ``fmod`` is exact. In
    :func:`plain_steps` (steps below 2**mantissa, integral `k`) the product
    is exact, and so is the difference.
    """
    if _PLAIN.get():
        return s - q * k
    return where(jnp.isinf(s), 0, jnp.fmod(s, k))  # inf: the start of a period


_PLAIN = contextvars.ContextVar("jaxsched_plain_steps", default=False)
_NONNEGATIVE = contextvars.ContextVar("jaxsched_nonnegative_step", default=None)


@contextlib.contextmanager
def nonnegative_step(step: jax.Array):
    """While a wrapper calls its inner schedule on `step`, an array known
    to be >= 0 or NaN by construction (a warmup's ``where(step < w, w,
    step)`` with ``w >= 0``): a schedule called on this very array (not on
    one computed from it) traces its formula in :func:`plain_steps` where
    that only drops the reduction of steps before 0 (:func:`wrap`), with
    no test on the steps (``_core``'s ``_traced_inline``). In a sweep that
    takes the fmod out of a warmup's inner cosine (1.23x the limit's time,
    1.01x without); on a whole curve, the test of every step."""
    token = _NONNEGATIVE.set(step)
    try:
        yield
    finally:
        _NONNEGATIVE.reset(token)


_STEP_FLOOR = contextvars.ContextVar("jaxsched_step_floor", default=None)


@contextlib.contextmanager
def step_floor(step: Any):
    """While a formula runs on `step`: the lowest and highest values an
    integer step can take (its dtype's range), for :func:`lowest_step` and
    :func:`highest_step`; none for a float step. Set for each schedule's
    formula, so that a nested schedule's formula sees its own step's."""
    dtype = np.dtype(getattr(step, "dtype", np.float64))
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    token = _STEP_FLOOR.set(None if info is None else (float(info.min), float(info.max)))
    try:
        yield
    finally:
        _STEP_FLOOR.reset(token)


def lowest_step() -> float | None:
    """In a formula, the lowest value its step can take, known while
    tracing: 0 for steps known to be >= 0 (see :func:`known_nonnegative`),
    an integer dtype's minimum, else None (a float step: -inf)."""
    if known_nonnegative():
        return 0.0
    bounds = _STEP_FLOOR.get()
    return None if bounds is None else bounds[0]


def highest_step() -> float | None:
    """In a formula, the highest value its step can take, known while
    tracing: an integer dtype's maximum (as a float64, which the float
    step, rounded from it, may exceed by half a float32 ulp), else None."""
    bounds = _STEP_FLOOR.get()
    return None if bounds is None else bounds[1]


def known_nonnegative(step: Any = None) -> bool:
    """Whether `step` is the array of the innermost :func:`nonnegative_step`;
    without `step`, in a formula: whether its steps are known to be >= 0 (or
    NaN), in :func:`plain_steps` without its mirror."""
    if step is None:
        return _PLAIN.get() is True
    hint = _NONNEGATIVE.get()
    return hint is not None and step is hint

# Arrays of at least this many steps are whole curves, where a formula may
# trace a second, faster variant behind a lax.cond: below, compiling it would
# cost more than it saves.
MANY_STEPS = 2**14


@custom_batching.custom_vmap
def every(condition: jax.Array) -> jax.Array:
    """`condition` (a boolean scalar), and under ``vmap`` its AND over the
    batch: one unbatched value.

    The test that picks a ``lax.cond`` branch for a whole array of steps,
    made unbatched: under ``vmap`` over hyperparameters a batched predicate
    turns the ``cond`` into a ``select`` that computes both branches for
    every member; with it, the members share one branch, the fast one where
    all of them allow it (a sweep of 4,096 configurations takes the
    fmod-free branch unless one of them needs the exact one).
    """
    return condition


@every.def_vmap
def _every_batched(axis_size, in_batched, condition):
    (batched,) = in_batched
    return (jnp.all(condition, axis=0) if batched else condition), False


@contextlib.contextmanager
def plain_steps(mirror: bool = False):
    """While tracing in this context, steps are known to lie in
    ``[0, 2**mantissa)`` of the compute dtype (integers exactly
    representable) and the hyperparameters a class lists as integral to be
    integers: :func:`wrap` returns the step as it is and :func:`remainder`
    subtracts instead of calling ``fmod``. With `mirror` (steps shifted by
    an offset), steps may also lie in ``[-2 * k, 0)`` of the `k` that
    :func:`wrap` gets: it returns ``|s|`` (in [0, 2 * k], where the cosine
    is the same, its phase ``(k - |s|) / k`` in [-1, 1] and exact)
    instead of reducing ``-s`` with ``fmod``.

    ``fmod`` is a library call per element that stops XLA from vectorizing
    the whole fused loop around it (a cosine curve took 1.7x the time of the
    plain formula, a cyclic one 38x), yet for such steps it changes nothing.
    The call harness traces the formula a second time in this context, for
    the branch of a ``lax.cond`` taken when the steps allow it.
    """
    token = _PLAIN.set("mirror" if mirror else True)
    try:
        yield
    finally:
        _PLAIN.reset(token)


# --------------------------------------------------------------------------
# Segments


SELECT_CHAIN = 16  # take: tables up to this size, a chain of selects


UNROLLED_SEARCH = 2**14 - 1  # count_below: the halvings unrolled up to this many boundaries


def _search(boundaries: jax.Array, step: jax.Array, strict: bool,
            unrolled_up_to: int = UNROLLED_SEARCH) -> jax.Array:
    """:func:`count_below` of sorted 1-D `boundaries` by binary lifting:
    from a count of 0, for each power of two from the largest below the
    number N of boundaries down to 1, add it where the boundary that many
    further on is still below the step: one gather, one compare and one
    select per halving, one carried array. Unrolled up to `unrolled_up_to`
    boundaries (at most 14 halvings: XLA fuses them into one pass over the
    steps), in a rolled loop beyond (the same program whatever N).

    Measured on 10**5 steps beside ``jnp.searchsorted(method="scan_unrolled")``
    (whose halvings each take every earlier one's result as an input, and
    whose compile time grows with N: 110-170 ms at N = 40-1,000, 320 ms at
    10**5), on 2026-12-08: unrolled 1.02-1.11x its time at N = 40-1,000,
    0.83-1.10x at 10**4, compiled in 110-200 ms; the rolled loop
    1.04-1.35x at N = 40-10**4 (each halving a pass over the steps), 0.97x
    at 10**5, compiled in 77-129 ms at any N (in an earlier session's runs
    the loop had been 0.99-1.04x at N = 40-300 and 0.6-0.75x at 10**4 and
    10**5: the machine's phases move it more than the unrolled search).
    """
    dtype = jnp.promote_types(boundaries.dtype, step.dtype)
    table, step = jnp.asarray(boundaries, dtype), jnp.asarray(step, dtype)
    n = table.shape[0]
    levels = n.bit_length()
    below = jnp.less if strict else jnp.less_equal

    def halving(i, count):
        candidate = count + jnp.left_shift(1, levels - 1 - i)
        entry = table.at[jnp.minimum(candidate, n) - 1].get(mode="promise_in_bounds")
        return where(below(entry, step), candidate, count)

    count = jnp.zeros(step.shape, jax.dtypes.canonicalize_dtype(jnp.int_))
    if n <= unrolled_up_to:
        for i in range(levels):
            count = halving(i, count)
    else:
        with jax.disable_jit(False):  # (a loop in the program, not log2 N copies)
            count = jax.lax.fori_loop(0, levels, halving, count)
    # (A candidate past the table reads its last entry: taken where every
    # boundary is below the step, where the count is then n.)
    return jnp.minimum(count, n)


def take(table: jax.Array, index: jax.Array) -> jax.Array:
    """``table[..., index]`` for ``0 <= index < n``, with leading batch axes
    of `table` broadcast against `index` (a batched schedule called without
    ``vmap``).

    Tables of up to 16 entries: a chain of selects, one compare and one
    select per entry, which XLA vectorizes (and shares between the lookups
    of one index); a gather loads each element on its own, which in a sweep
    (a table per configuration) cost more than the cosine around it.
    A NumPy table (a leaf under the user's ``disable_jit``) is made a JAX
    array first: NumPy cannot index it with a tracer. (An unsigned index
    saves the wrap of negative ones.)
    """
    n = np.shape(table)[-1]
    if n <= SELECT_CHAIN:
        # (A table known while tracing is a NumPy array, see as_float: its
        # entries are constants, not a slice of a constant each.)
        out = table[..., 0]
        for m in range(1, n):
            out = where(index >= m, table[..., m], out)
        return jnp.broadcast_to(out, jnp.broadcast_shapes(table.shape[:-1], index.shape))
    table = jnp.asarray(table)
    if table.ndim == 1:
        return table[index]
    shape = jnp.broadcast_shapes(table.shape[:-1], index.shape)
    table = jnp.broadcast_to(table, shape + table.shape[-1:])
    index = jnp.broadcast_to(index, shape)
    return jnp.take_along_axis(table, index[..., None], axis=-1)[..., 0]


def select_chain(reached: list, *tables: Any) -> list[jax.Array]:
    """Entry ``m`` of each table where ``reached[m - 1]`` is the last of the
    (monotone) conditions that holds, entry 0 where none does: the lookup of
    :func:`take` with the conditions ``index >= m`` given, one select per
    entry and table."""
    outs = [table[..., 0] for table in tables]
    for m, cond in enumerate(reached, 1):
        outs = [where(cond, table[..., m], out) for table, out in zip(tables, outs)]
    shape = jnp.broadcast_shapes(*(np.shape(c) for c in reached))
    return [jnp.broadcast_to(out, jnp.broadcast_shapes(np.shape(table)[:-1], shape))
            for table, out in zip(tables, outs)]


def count_below(boundaries: jax.Array, step: jax.Array, *, strict: bool,
                search_above: int = 32, unrolled_up_to: int = UNROLLED_SEARCH) -> jax.Array:
    """How many boundaries lie below `step`: ``b < step`` (`strict`) or
    ``b <= step``, compared in the common dtype of the two (IEEE: no
    boundary is below a NaN step, its count is 0).

    Up to `search_above` boundaries (or boundaries with leading batch axes):
    one broadcast compare, cheaper than a search and one op whatever the
    count; above, a binary search (:func:`_search`), unrolled up to
    `unrolled_up_to` boundaries.
    """
    if boundaries.ndim == 1 and boundaries.shape[0] > search_above:
        return _search(boundaries, step, strict, unrolled_up_to)
    compare = jnp.greater if strict else jnp.greater_equal
    return jnp.sum(compare(step[..., None], boundaries), axis=-1)
