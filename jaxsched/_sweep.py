"""Hyperparameter sweeps: many schedules of one class as one batched schedule.

A schedule is a pytree whose hyperparameters are leaves, so a sweep over
hyperparameters is a schedule whose leaves carry a leading sweep axis.
:func:`stack` builds one from a list, :func:`sweep_axes` gives the matching
``in_axes`` tree for ``jax.vmap`` (and, mapped to shardings, the layout for
``jax.device_put``), and :func:`unstack` splits a batched schedule back into
one schedule per member.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ._core import LearningRateSchedule
from ._numerics import is_concrete as _is_concrete
from ._numerics import is_key as _is_key

__all__ = ["stack", "sweep_axes", "unstack"]


def stack(
    schedules: Sequence[LearningRateSchedule], *, share: bool = True
) -> LearningRateSchedule:
    """One schedule whose leaves carry a leading sweep axis.

    All ``schedules`` must be of one class with equal static options
    (``staircase``, ``cycle``, ``name``, ...), the same optional fields set
    (``warmup_target``, ``seed``, ...) and leaves of equal shapes (the same
    number of ``boundaries``). Each leaf that differs between them is stacked
    along a new leading axis of size ``len(schedules)``: NumPy and Python
    values with NumPy (the values stay exact, as a schedule keeps them), JAX
    arrays, PRNG keys and tracers with ``jnp.stack``. With ``share=True``
    (the default) a leaf equal in every schedule (same type, dtype, shape and
    value; PRNG keys by their key data) is kept once, unstacked: one
    ``decay_steps`` for the whole sweep is not copied ``n`` times (nor split
    across devices when the sweep is sharded). ``share=False`` stacks every
    leaf, and so does a sweep in which every leaf is equal (one schedule,
    or ``n`` equal ones): the result always has a sweep axis of size
    ``len(schedules)``.

    :func:`sweep_axes` gives the ``in_axes`` tree that goes with the result
    (``0`` for stacked leaves, ``None`` for shared ones)::

        batched = jaxsched.stack(schedules)
        axes = jaxsched.sweep_axes(schedules)
        lrs = jax.vmap(lambda s: s(step), in_axes=(axes,))(batched)   # (n,)

    Called directly, without ``vmap``, a batched schedule broadcasts its
    hyperparameters against ``step`` NumPy-style: a scalar step gives shape
    ``(n,)``, ``steps[:, None]`` gives ``(len(steps), n)``.

    Args:
        schedules: A non-empty sequence of schedules of one class.
        share: Keep leaves that are equal in every schedule unstacked.

    Returns:
        A schedule of the same class, built without re-running validation
        (every member was validated when it was constructed).

    Raises:
        TypeError: if an element is not a ``LearningRateSchedule``.
        ValueError: if ``schedules`` is empty, or the schedules differ in
            class, in a static option, in which optional fields are set, in
            the shape of a leaf, or in the float dtype of a leaf (a float16
            rate would silently compute in float32 in a float32 sweep); the
            message names the field and shows both values.

    Example:
        >>> scheds = [jaxsched.ExponentialDecay(lr, 100, 0.5) for lr in (0.1, 0.2, 0.4)]
        >>> batched = jaxsched.stack(scheds)
        >>> batched.initial_learning_rate.shape, batched.decay_steps
        ((3,), 100)
        >>> print(" ".join(f"{float(v):.3f}" for v in batched(100)))
        0.050 0.100 0.200
    """
    treedef, columns, swept = _plan(schedules, share, "stack")
    leaves = [_stack_leaves(c) if s else c[0] for c, s in zip(columns, swept)]
    return jax.tree_util.tree_unflatten(treedef, leaves)


def sweep_axes(
    schedules: Sequence[LearningRateSchedule], *, share: bool = True
) -> LearningRateSchedule:
    """The ``in_axes`` tree of ``stack(schedules, share=share)``.

    A schedule-shaped tree with ``0`` where :func:`stack` stacks a leaf and
    ``None`` where it keeps a shared one, to pass to ``jax.vmap``::

        jax.vmap(lambda s: s(step), in_axes=(jaxsched.sweep_axes(schedules),))(
            jaxsched.stack(schedules))

    The same tree tells which leaves to shard along a device mesh's sweep
    axis (``PartitionSpec("sweep")``) and which to replicate
    (``PartitionSpec()``); map it with ``is_leaf=lambda a: a is None``, since
    JAX treats ``None`` as an empty subtree.

    Args and Raises: as :func:`stack`.

    Example:
        >>> scheds = [jaxsched.ExponentialDecay(lr, 100, 0.5) for lr in (0.1, 0.2)]
        >>> axes = jaxsched.sweep_axes(scheds)
        >>> axes.initial_learning_rate, axes.decay_steps, axes.decay_rate
        (0, None, None)
    """
    treedef, _, swept = _plan(schedules, share, "sweep_axes")
    return jax.tree_util.tree_unflatten(treedef, [0 if s else None for s in swept])


def unstack(batched: LearningRateSchedule, axes: Any = 0) -> list[LearningRateSchedule]:
    """Splits a batched schedule into one schedule per member of the sweep.

    The inverse of :func:`stack`: ``unstack(stack(s), sweep_axes(s))`` gives
    schedules with the same hyperparameters as ``s``, ready for
    :func:`jaxsched.serialize`.

    Args:
        batched: A schedule whose swept leaves have a leading sweep axis.
        axes: ``0`` when every leaf is swept (``stack(..., share=False)``,
            ``tree_map(lambda *x: jnp.stack(x), *schedules)``), or the
            ``in_axes`` tree of :func:`sweep_axes`, with ``0`` for swept
            leaves and ``None`` for shared ones.

    Returns:
        A list of schedules of the class of ``batched``, built without
        re-running validation.

    Raises:
        ValueError: if ``axes`` holds something other than ``0`` and
            ``None``, no leaf is swept, or the swept leaves disagree on the
            size of the sweep axis.

    Example:
        >>> scheds = [jaxsched.ExponentialDecay(lr, 100, 0.5) for lr in (0.1, 0.2)]
        >>> batched = jaxsched.stack(scheds)
        >>> first, second = jaxsched.unstack(batched, jaxsched.sweep_axes(scheds))
        >>> import json
        >>> print(json.dumps(jaxsched.serialize(second)["config"]))
        {"initial_learning_rate": 0.2, "decay_steps": 100,
         "decay_rate": 0.5, "staircase": false}
    """
    if not isinstance(batched, LearningRateSchedule):
        raise TypeError(
            "unstack: `batched` must be a jaxsched.LearningRateSchedule. "
            f"Received: batched={batched!r}"
        )
    leaves, treedef = jax.tree_util.tree_flatten(batched)
    paths = [jax.tree_util.keystr(p) for p, _ in _leaves_with_path(batched)]
    if isinstance(axes, int) or axes is None:
        flat_axes = [axes] * len(leaves)
    else:
        flat_axes = _axes_leaves(axes, batched)
    for path, a in zip(paths, flat_axes):
        if a is not None and (isinstance(a, bool) or a != 0):
            raise ValueError(
                f"unstack: `axes` must hold 0 (swept) or None (shared) for every "
                f"leaf. Received: {path} -> {a!r}"
            )
    sizes = {}
    for path, leaf, a in zip(paths, leaves, flat_axes):
        if a is not None:
            shape = np.shape(leaf)
            if not shape:
                raise ValueError(
                    f"unstack: leaf {type(batched).__name__}{path} is a scalar, so it "
                    f"has no sweep axis. Pass axes=jaxsched.sweep_axes(schedules) "
                    f"(None for shared leaves). Received: {leaf!r}"
                )
            sizes.setdefault(shape[0], path)
    if not sizes:
        raise ValueError("unstack: no leaf is swept (every entry of `axes` is None).")
    if len(sizes) > 1:
        found = ", ".join(f"{path}: {n}" for n, path in sizes.items())
        raise ValueError(
            f"unstack: the swept leaves of {type(batched).__name__} disagree on the "
            f"size of the sweep axis ({found})."
        )
    (n,) = sizes
    return [
        jax.tree_util.tree_unflatten(
            treedef,
            [leaf if a is None else leaf[i] for leaf, a in zip(leaves, flat_axes)],
        )
        for i in range(n)
    ]


# --------------------------------------------------------------------------
# Helpers


def _leaves_with_path(tree):
    return jax.tree_util.tree_flatten_with_path(tree)[0]


def _axes_leaves(axes: Any, batched: LearningRateSchedule) -> list:
    """The 0/None entries of an `in_axes` tree, one per leaf of `batched`."""
    flat = []

    def collect(a, subtree):
        n = len(jax.tree_util.tree_leaves(subtree))
        flat.extend([a] * n)

    try:
        jax.tree_util.tree_map(collect, axes, batched, is_leaf=lambda a: a is None)
    except ValueError as exc:
        raise ValueError(
            f"unstack: `axes` does not match the structure of `batched` ({exc})"
        ) from None
    return flat


def _plan(schedules, share: bool, caller: str):
    """(treedef, leaf columns, which columns to stack), after checking that the
    schedules can be stacked."""
    if isinstance(schedules, LearningRateSchedule):
        raise TypeError(
            f"{caller}: `schedules` must be a sequence of schedules, not one "
            f"schedule. Received: schedules={schedules!r}"
        )
    schedules = list(schedules)
    if not schedules:
        raise ValueError(f"{caller}: `schedules` is empty; give at least one schedule.")
    for i, s in enumerate(schedules):
        if not isinstance(s, LearningRateSchedule):
            raise TypeError(
                f"{caller}: schedules[{i}] is not a jaxsched.LearningRateSchedule. "
                f"Received: {s!r}"
            )
    for i, s in enumerate(schedules):
        _check_stackable(s, f"schedules[{i}]", caller)
    first = schedules[0]
    for i, s in enumerate(schedules[1:], start=1):
        _compare(first, s, i, type(first).__name__, caller)
    treedef = jax.tree_util.tree_structure(first)
    columns = list(zip(*(jax.tree_util.tree_leaves(s) for s in schedules)))
    swept = [not (share and _all_equal(column)) for column in columns]
    if not any(swept):  # one schedule, or equal ones: still a sweep of that size
        swept = [True] * len(columns)
    return treedef, columns, swept


def _check_stackable(schedule: Any, where: str, caller: str) -> None:
    """Raises a ValueError naming a nested schedule that cannot be swept (a
    plain function wrapped by ``jaxsched.from_callable``)."""
    if not getattr(type(schedule), "_stackable", True):
        raise ValueError(
            f"{caller}: {where} wraps a plain function ({schedule!r}). A function "
            "is static, not a hyperparameter leaf, so a sweep cannot stack it (nor "
            "serialize its members): write it as a jaxsched.LearningRateSchedule "
            "subclass, or use the jaxsched.optax function of the same name."
        )
    for f in dataclasses.fields(schedule):
        value = getattr(schedule, f.name)
        inner = value if isinstance(value, tuple) else (value,)
        for j, v in enumerate(inner):
            if isinstance(v, LearningRateSchedule):
                suffix = f"[{j}]" if isinstance(value, tuple) else ""
                _check_stackable(v, f"{where}.{f.name}{suffix}", caller)


def _differ(caller, where, what, a, b, i, hint):
    raise ValueError(
        f"{caller}: {where} {what}: {a!r} in schedules[0] but {b!r} in "
        f"schedules[{i}]. {hint}"
    )


def _compare(a: Any, b: Any, i: int, where: str, caller: str) -> None:
    """Raises a ValueError naming the first field where `b` cannot be stacked
    with `a` (class, static option, optional field set or not, leaf shape)."""
    nested = isinstance(a, LearningRateSchedule) or isinstance(b, LearningRateSchedule)
    if nested and type(a) is not type(b):
        _differ(
            caller,
            where,
            "differs in class",
            type(a).__name__,
            type(b).__name__,
            i,
            "A batched schedule holds one class: stack each class separately.",
        )
    if isinstance(a, LearningRateSchedule) and dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            va, vb = getattr(a, f.name), getattr(b, f.name)
            name = f"{where}.{f.name}"
            if f.metadata.get("static", False):
                if not _static_equal(va, vb):
                    _differ(
                        caller,
                        f"static option `{name}`",
                        "differs",
                        va,
                        vb,
                        i,
                        "Static options select the traced program, so they must "
                        "be equal across a sweep: stack each group separately.",
                    )
            else:
                _compare(va, vb, i, name, caller)
        return
    ta, tb = jax.tree_util.tree_structure(a), jax.tree_util.tree_structure(b)
    if ta != tb:
        _differ(
            caller,
            f"`{where}`",
            "has a different structure",
            a,
            b,
            i,
            "Set the same optional fields in every schedule of a sweep.",
        )
    for la, lb in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        if _is_key(la) != _is_key(lb) or (_is_key(la) and la.dtype != lb.dtype):
            _differ(
                caller,
                f"`{where}`",
                "differs in kind",
                _describe(la),
                _describe(lb),
                i,
                "PRNG keys stack only with keys of the same implementation.",
            )
        fa, fb = _float_dtype(la), _float_dtype(lb)
        if fa is not None and fb is not None and fa != fb:
            _differ(
                caller,
                f"`{where}`",
                "differs in float dtype",
                fa.name,
                fb.name,
                i,
                "A sweep computes each leaf in one dtype: give every schedule's "
                "hyperparameter the same dtype (jnp.asarray(x, dtype)).",
            )
        if np.shape(la) != np.shape(lb):
            _differ(
                caller,
                f"`{where}`",
                "differs in shape",
                np.shape(la),
                np.shape(lb),
                i,
                "Only leaves of equal shapes stack (for PiecewiseConstantDecay: "
                "the same number of boundaries).",
            )


def _float_dtype(leaf: Any) -> np.dtype | None:
    """The float dtype a leaf computes in (a Python float: JAX's default
    float; float64 NumPy values: the same), or None for integers and keys."""
    if isinstance(leaf, float):
        return jax.dtypes.canonicalize_dtype(float)
    dtype = getattr(leaf, "dtype", None)
    if dtype is None or _is_key(leaf) or not jnp.issubdtype(dtype, np.floating):
        return None
    return jax.dtypes.canonicalize_dtype(dtype)


def _describe(leaf: Any) -> str:
    return str(leaf.dtype) if _is_key(leaf) else type(leaf).__name__


def _static_equal(a: Any, b: Any) -> bool:
    try:
        return bool(type(a) is type(b) and a == b)
    except Exception:  # noqa: BLE001 - an uncomparable static value is unequal
        return a is b


def _all_equal(column: Sequence[Any]) -> bool:
    """True when every leaf of the column is the same concrete value."""
    first = column[0]
    if not _is_concrete(first):
        return all(x is first for x in column)
    return all(x is first or _same_value(first, x) for x in column[1:])


def _same_value(a: Any, b: Any) -> bool:
    if not _is_concrete(b) or type(a) is not type(b):
        return False
    if getattr(a, "dtype", None) != getattr(b, "dtype", None):
        return False
    if np.shape(a) != np.shape(b):
        return False
    if _is_key(a):
        a, b = jax.random.key_data(a), jax.random.key_data(b)
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def _stack_leaves(column: Sequence[Any]) -> Any:
    """Stacks one leaf of every schedule along a new leading axis."""
    if any(isinstance(x, jax.Array) for x in column):  # incl. keys and tracers
        return jnp.stack([jnp.asarray(x) if not _is_key(x) else x for x in column])
    return np.stack([np.asarray(x) for x in column])
