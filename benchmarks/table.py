"""The benchmark's schedules: each jaxsched class beside its hand-written limit,
optax's equivalent and Keras 3's class, built from the same hyperparameters.

The *limit* is what a user writes inline in ``jnp``: the peer's formula
(Keras', Model Garden's, PyTorch's, HF's or optax's), float32, no
exactness work, the branch picked in Python where the configuration is
static. ``params`` are the numeric hyperparameters (swept by ``vmap`` in
the sweep workload, closed over as constants in the curve); step counts are
integers (int32 arrays in the sweep), the rest floats. Every entry is
scaled so that 10**6 steps cover its whole curve.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

import jaxsched

F = jnp.float32
PI = np.float32(np.pi)

# Hyperparameters that are step counts: integers, swept as int32.
STEP_PARAMS = {
    "decay_steps", "first_decay_steps", "warmup_steps", "offset", "total_decay_steps",
    "stable_steps", "total_steps", "step_size_up", "step_size_down", "timescale",
}


def fl(x):
    return jnp.asarray(x, F)


@dataclasses.dataclass
class Bench:
    name: str
    family: str  # "keras", "model_garden", "modern", "optax", "arith"
    params: dict  # numeric hyperparameters (nested dicts for inner schedules)
    make: Callable[[dict], Any]  # params -> jaxsched schedule
    limit: Callable[[dict, Any], Any]  # (params, int steps) -> float32 rates
    optax: Callable[[dict], Any] | None = None
    optax_note: str = ""
    keras: Callable[[dict], Any] | None = None
    keras_note: str = ""
    # The same schedule from another checkout of jaxsched (--baseline).
    before: Callable[[dict], Any] | None = None

    @property
    def cls(self) -> type:
        return type(self.make(self.params))


# --------------------------------------------------------------------------
# Limits: plain jnp, the peers' formulas


def _cos_factor(s, k, alpha):
    return (1 - alpha) * 0.5 * (1 + jnp.cos(PI * s / k)) + alpha


def lim_exponential(p, t, staircase=False):
    e = fl(t) / fl(p["decay_steps"])
    if staircase:
        e = jnp.floor(e)
    return fl(p["initial_learning_rate"]) * fl(p["decay_rate"]) ** e


def lim_inverse_time(p, t, staircase=False):
    e = fl(t) / fl(p["decay_steps"])
    if staircase:
        e = jnp.floor(e)
    return fl(p["initial_learning_rate"]) / (1 + fl(p["decay_rate"]) * e)


def lim_polynomial(p, t):
    k = fl(p["decay_steps"])
    s = jnp.minimum(fl(t), k)
    lr, end = fl(p["initial_learning_rate"]), fl(p["end_learning_rate"])
    return (lr - end) * (1 - s / k) ** fl(p["power"]) + end


def lim_cosine(p, t):
    k = fl(p["decay_steps"])
    s = jnp.minimum(fl(t), k)
    return fl(p["initial_learning_rate"]) * _cos_factor(s, k, fl(p["alpha"]))


def lim_cosine_warmup(p, t):
    s, k, w = fl(t), fl(p["decay_steps"]), fl(p["warmup_steps"])
    lr, target = fl(p["initial_learning_rate"]), fl(p["warmup_target"])
    warm = lr + (target - lr) * s / w
    d = jnp.minimum(s - w, k)
    return jnp.where(s < w, warm, target * _cos_factor(d, k, fl(p["alpha"])))


def lim_restarts(p, t):
    """Keras' geometric branch (the configuration's t_mul != 1)."""
    k, t_mul, m_mul = fl(p["first_decay_steps"]), fl(p["t_mul"]), fl(p["m_mul"])
    frac = fl(t) / k
    i = jnp.floor(jnp.log(1 - frac * (1 - t_mul)) / jnp.log(t_mul))
    start = (1 - t_mul**i) / (1 - t_mul)
    frac = (frac - start) / t_mul**i
    cosine = 0.5 * m_mul**i * (1 + jnp.cos(PI * frac))
    alpha = fl(p["alpha"])
    return fl(p["initial_learning_rate"]) * ((1 - alpha) * cosine + alpha)


def lim_linear_cosine(p, t, eps=0.0):
    k, n = fl(p["decay_steps"]), fl(p["num_periods"])
    s = jnp.minimum(fl(t), k)
    linear = (k - s) / k
    cosine = 0.5 * (1 + jnp.cos(PI * 2 * n * s / k))
    return fl(p["initial_learning_rate"]) * (
        (fl(p["alpha"]) + linear + eps) * cosine + fl(p["beta"]))


def lim_noisy(p, t):
    key = jax.random.key(0)
    k = fl(p["decay_steps"])
    s = jnp.minimum(fl(t), k)
    var = fl(p["initial_variance"]) / (1 + s) ** fl(p["variance_decay"])
    flat = jnp.ravel(t)
    z = jax.vmap(lambda i: jax.random.normal(jax.random.fold_in(key, i), (), F))(flat)
    return lim_linear_cosine(p, t, jnp.sqrt(var) * z.reshape(jnp.shape(t)))


def lim_piecewise(boundaries, values, t):
    """A select chain up to 16 values, searchsorted ('scan_unrolled') above."""
    values = jnp.asarray(values, F)
    if len(values) <= 16:
        out = jnp.full(jnp.shape(t), values[0])
        for j in range(1, len(values)):
            out = jnp.where(t > boundaries[j - 1], values[j], out)
        return out
    b = jnp.asarray(boundaries, jnp.int32)
    return values[jnp.searchsorted(b, t, side="left", method="scan_unrolled")]


def _offset(fn):
    def limit(p, t):
        q = {k: v for k, v in p.items() if k != "offset"}
        return fn(q, fl(t) - fl(p["offset"]))
    return limit


def lim_direct_power(p, t):
    return fl(p["initial_learning_rate"]) * jnp.maximum(fl(t), 1) ** fl(p["power"])


def lim_power_linear(p, t):
    s = fl(t) - fl(p["offset"])
    total = fl(p["total_decay_steps"])
    rate = fl(p["initial_learning_rate"]) * jnp.maximum(s, 1) ** fl(p["power"])
    span = total * fl(p["linear_decay_fraction"])
    return jnp.maximum(0, rate * jnp.minimum(1, (total - s) / span))


def lim_power_offset(p, t):
    s, o, pre = fl(t), fl(p["offset"]), fl(p["pre_offset_learning_rate"])
    rate = fl(p["initial_learning_rate"]) * jnp.maximum(s - o, 1) ** fl(p["power"])
    return jnp.where(s <= o, pre, jnp.minimum(rate, pre))


def lim_step_cosine(p, t):
    b, v = p["boundaries"], [fl(x) for x in p["values"]]
    s = fl(t) - fl(p["offset"])
    n = len(v)
    out = jnp.full(jnp.shape(s), v[-1])
    for i in reversed(range(n - 1)):
        start = 0.0 if i == 0 else b[i]
        c = v[i + 1] + (v[i] - v[i + 1]) * 0.5 * (
            1 + jnp.cos(PI * (s - start) / (b[i + 1] - b[i])))
        out = jnp.where(s < b[i + 1], c, out)
    return out


def lim_linear_warmup(p, t):
    w, s = fl(p["warmup_steps"]), fl(t)
    target = lim_polynomial(p["after"], w)
    init = fl(p["warmup_learning_rate"])
    return jnp.where(s < w, init + (target - init) * s / w, lim_polynomial(p["after"], s))


def lim_polynomial_warmup(p, t):
    w, s = fl(p["warmup_steps"]), fl(t)
    target = lim_cosine(p["after"], w)
    warm = target * (jnp.maximum(s, 1) / w) ** fl(p["power"])
    return jnp.where(s < w, warm, lim_cosine(p["after"], s))


def lim_wsd(p, t):
    s = jnp.maximum(fl(t), 0)
    w, st, d, m = (fl(p[k]) for k in ("warmup_steps", "stable_steps", "decay_steps",
                                       "min_lr_ratio"))
    warm = m + (1 - m) * s / jnp.maximum(w, 1)
    q = jnp.clip((s - w - st) / jnp.maximum(d, 1), 0, 1)
    cool = m + (1 - m) * 0.5 * (1 + jnp.cos(PI * q))
    return fl(p["learning_rate"]) * jnp.where(s < w, warm, jnp.where(s < w + st, 1, cool))


def lim_inverse_sqrt(p, t):
    s = jnp.maximum(fl(t), 0)
    w, ts = fl(p["warmup_steps"]), fl(p["timescale"])
    warm = s / jnp.maximum(w, 1)
    return fl(p["learning_rate"]) * jnp.where(s < w, warm, jax.lax.rsqrt((s + ts - w) / ts))


def lim_one_cycle(p, t):
    s = fl(t)
    peak, total = fl(p["max_lr"]), fl(p["total_steps"])
    init = peak / fl(p["div_factor"])
    low = init / fl(p["final_div_factor"])
    e1 = fl(p["pct_start"]) * total - 1
    e2 = total - 1

    def anneal(a, b, pct):
        return b + (a - b) * 0.5 * (1 + jnp.cos(PI * pct))

    up = anneal(init, peak, s / e1)
    down = anneal(peak, low, jnp.minimum((s - e1) / (e2 - e1), 1))
    return jnp.where(s <= e1, up, down)


def lim_cyclic(p, t):
    s = fl(t)
    up, down = fl(p["step_size_up"]), fl(p["step_size_down"])
    length = up + down
    cycle = jnp.floor(1 + s / length)
    q = s - (cycle - 1) * length
    f = jnp.where(q <= up, q / up, (length - q) / down)
    base = fl(p["base_lr"])
    return base + (fl(p["max_lr"]) - base) * f


def lim_warmup_cosine(p, t):
    s = fl(t)
    init, peak, w, k = (fl(p[x]) for x in ("init_value", "peak_value", "warmup_steps",
                                           "decay_steps"))
    end = fl(p["end_value"])
    warm = init + (peak - init) * s / w
    c = 0.5 * (1 + jnp.cos(PI * jnp.clip(s - w, 0, k - w) / (k - w)))
    alpha = end / peak
    return jnp.where(s < w, warm, peak * ((1 - alpha) * c + alpha))


def lim_piecewise_scales(p, t):
    v = fl(p["init_value"])
    for b, scale in zip(p["boundaries"], p["scales"]):
        v = jnp.where(t >= b, v * fl(scale), v)
    return v


# --------------------------------------------------------------------------
# The table


def _ks():
    try:
        import keras
    except ImportError:
        return None
    return keras.optimizers.schedules


def _opt():
    import optax
    return optax


def benches(J: Any = None) -> list[Bench]:
    """Every schedule class with a limit, in the order of the README; `J`
    is the jaxsched module to build them from (another checkout's)."""
    J = jaxsched if J is None else J
    B = [10_000, 200_000, 500_000, 800_000]  # boundaries of the small tables
    rows = [
        Bench(
            "ExponentialDecay", "keras",
            dict(initial_learning_rate=0.1, decay_steps=100_000, decay_rate=0.5),
            lambda p: J.ExponentialDecay(**p),
            lim_exponential,
            lambda p: _opt().exponential_decay(p["initial_learning_rate"], p["decay_steps"],
                                               p["decay_rate"]),
            "same",
            lambda p: _ks().ExponentialDecay(**p),
        ),
        Bench(
            "ExponentialDecay(staircase)", "keras",
            dict(initial_learning_rate=0.1, decay_steps=100_000, decay_rate=0.5),
            lambda p: J.ExponentialDecay(**p, staircase=True),
            lambda p, t: lim_exponential(p, t, True),
            lambda p: _opt().exponential_decay(p["initial_learning_rate"], p["decay_steps"],
                                               p["decay_rate"], staircase=True),
            "same formula (optax's floor is not corrected at multiples)",
            lambda p: _ks().ExponentialDecay(**p, staircase=True),
        ),
        Bench(
            "InverseTimeDecay", "keras",
            dict(initial_learning_rate=0.1, decay_steps=100_000, decay_rate=0.5),
            lambda p: J.InverseTimeDecay(**p),
            lim_inverse_time, None, "", lambda p: _ks().InverseTimeDecay(**p),
        ),
        Bench(
            "PiecewiseConstantDecay(3)", "keras",
            dict(boundaries=B[1:], values=[0.1, 0.05, 0.01, 0.001]),
            lambda p: J.PiecewiseConstantDecay(**p),
            lambda p, t: lim_piecewise(p["boundaries"], p["values"], t),
            lambda p: _opt().piecewise_constant_schedule(p["values"][0], {
                b: p["values"][i + 1] / p["values"][i] for i, b in enumerate(B[1:])}),
            "scales multiplied, switches at step >= boundary",
            lambda p: _ks().PiecewiseConstantDecay(**p),
        ),
        Bench(
            "PolynomialDecay", "keras",
            dict(initial_learning_rate=0.1, decay_steps=500_000, end_learning_rate=0.001,
                 power=2.0),
            lambda p: J.PolynomialDecay(**p),
            lim_polynomial,
            lambda p: _opt().polynomial_schedule(p["initial_learning_rate"],
                                                 p["end_learning_rate"], p["power"],
                                                 p["decay_steps"]),
            "same",
            lambda p: _ks().PolynomialDecay(**p),
        ),
        Bench(
            "CosineDecay", "keras",
            dict(initial_learning_rate=0.1, decay_steps=500_000, alpha=0.1),
            lambda p: J.CosineDecay(**p),
            lim_cosine,
            lambda p: _opt().cosine_decay_schedule(p["initial_learning_rate"],
                                                   p["decay_steps"], p["alpha"]),
            "same",
            lambda p: _ks().CosineDecay(**p),
        ),
        Bench(
            "CosineDecay(warmup)", "keras",
            dict(initial_learning_rate=0.0, decay_steps=800_000, alpha=0.1,
                 warmup_target=0.1, warmup_steps=100_000),
            lambda p: J.CosineDecay(**p),
            lim_cosine_warmup,
            lambda p: _opt().warmup_cosine_decay_schedule(
                p["initial_learning_rate"], p["warmup_target"], p["warmup_steps"],
                p["warmup_steps"] + p["decay_steps"], p["alpha"] * p["warmup_target"]),
            "same",
            lambda p: _ks().CosineDecay(**p),
            "scalar steps only (ops.cond): curves are vmapped",
        ),
        Bench(
            "CosineDecayRestarts", "keras",
            dict(initial_learning_rate=0.1, first_decay_steps=30_000, t_mul=2.0, m_mul=0.9,
                 alpha=0.0),
            lambda p: J.CosineDecayRestarts(**p),
            lim_restarts, None, "",
            lambda p: _ks().CosineDecayRestarts(**p),
        ),
        Bench(
            "LinearCosineDecay", "keras",
            dict(initial_learning_rate=0.1, decay_steps=500_000, num_periods=0.5, alpha=0.0,
                 beta=0.001),
            lambda p: J.LinearCosineDecay(**p),
            lim_linear_cosine,
        ),
        Bench(
            "NoisyLinearCosineDecay", "keras",
            dict(initial_learning_rate=0.1, decay_steps=500_000, initial_variance=1.0,
                 variance_decay=0.55, num_periods=0.5, alpha=0.0, beta=0.001),
            lambda p: J.NoisyLinearCosineDecay(**p),
            lim_noisy,
        ),
        Bench(
            "ExponentialDecayWithOffset", "model_garden",
            dict(initial_learning_rate=0.1, decay_steps=100_000, decay_rate=0.5,
                 offset=10_000),
            lambda p: J.ExponentialDecayWithOffset(**p),
            _offset(lim_exponential),
            lambda p: _opt().exponential_decay(p["initial_learning_rate"], p["decay_steps"],
                                               p["decay_rate"], transition_begin=p["offset"]),
            "holds before the offset (Model Garden extrapolates)",
        ),
        Bench(
            "PiecewiseConstantDecayWithOffset", "model_garden",
            dict(boundaries=B[1:], values=[0.1, 0.05, 0.01, 0.001], offset=10_000),
            lambda p: J.PiecewiseConstantDecayWithOffset(**p),
            lambda p, t: lim_piecewise(p["boundaries"], p["values"], t - p["offset"]),
        ),
        Bench(
            "PolynomialDecayWithOffset", "model_garden",
            dict(initial_learning_rate=0.1, decay_steps=500_000, end_learning_rate=0.001,
                 power=2.0, offset=10_000),
            lambda p: J.PolynomialDecayWithOffset(**p),
            _offset(lim_polynomial),
            lambda p: _opt().polynomial_schedule(
                p["initial_learning_rate"], p["end_learning_rate"], p["power"],
                p["decay_steps"], transition_begin=p["offset"]),
            "holds before the offset (Model Garden extrapolates)",
        ),
        Bench(
            "CosineDecayWithOffset", "model_garden",
            dict(initial_learning_rate=0.1, decay_steps=500_000, alpha=0.1, offset=10_000),
            lambda p: J.CosineDecayWithOffset(**p),
            _offset(lim_cosine),
        ),
        Bench(
            "DirectPowerDecay", "model_garden",
            dict(initial_learning_rate=0.1, power=-0.5),
            lambda p: J.DirectPowerDecay(**p),
            lim_direct_power,
        ),
        Bench(
            "PowerAndLinearDecay", "model_garden",
            dict(initial_learning_rate=1.0, total_decay_steps=900_000, power=-0.5,
                 linear_decay_fraction=0.1, offset=1_000),
            lambda p: J.PowerAndLinearDecay(**p),
            lim_power_linear,
        ),
        Bench(
            "PowerDecayWithOffset", "model_garden",
            dict(initial_learning_rate=0.1, power=-0.5, offset=10_000,
                 pre_offset_learning_rate=0.01),
            lambda p: J.PowerDecayWithOffset(**p),
            lim_power_offset,
        ),
        Bench(
            "StepCosineDecayWithOffset", "model_garden",
            dict(boundaries=[0] + B[1:], values=[1.0, 0.5, 0.2, 0.05], offset=7),
            lambda p: J.StepCosineDecayWithOffset(**p),
            lim_step_cosine,
        ),
        Bench(
            "LinearWarmup", "model_garden",
            dict(after=dict(initial_learning_rate=0.1, decay_steps=900_000,
                            end_learning_rate=0.001, power=1.0),
                 warmup_steps=50_000, warmup_learning_rate=0.0),
            lambda p: J.LinearWarmup(J.PolynomialDecay(**p["after"]), p["warmup_steps"],
                                     p["warmup_learning_rate"]),
            lim_linear_warmup,
        ),
        Bench(
            "PolynomialWarmUp", "model_garden",
            dict(after=dict(initial_learning_rate=0.1, decay_steps=900_000, alpha=0.0),
                 warmup_steps=50_000, power=1.0),
            lambda p: J.PolynomialWarmUp(J.CosineDecay(**p["after"]), p["warmup_steps"],
                                         p["power"]),
            lim_polynomial_warmup,
        ),
        Bench(
            "WarmupStableDecay", "modern",
            dict(learning_rate=0.1, warmup_steps=10_000, stable_steps=700_000,
                 decay_steps=200_000, min_lr_ratio=0.1),
            lambda p: J.WarmupStableDecay(**p),
            lim_wsd,
        ),
        Bench(
            "InverseSqrtDecay", "modern",
            dict(learning_rate=0.1, warmup_steps=10_000, timescale=10_000),
            lambda p: J.InverseSqrtDecay(**p),
            lim_inverse_sqrt,
        ),
        Bench(
            "OneCycle", "modern",
            dict(max_lr=0.1, total_steps=1_000_000, pct_start=0.3, div_factor=25.0,
                 final_div_factor=1e4),
            lambda p: J.OneCycle(**p),
            lim_one_cycle,
            lambda p: _opt().cosine_onecycle_schedule(
                p["total_steps"], p["max_lr"], p["pct_start"], p["div_factor"],
                p["final_div_factor"]),
            "phases end at pct * total (PyTorch: pct * total - 1)",
        ),
        Bench(
            "Cyclic", "modern",
            dict(base_lr=0.01, max_lr=0.1, step_size_up=20_000, step_size_down=30_000),
            lambda p: J.Cyclic(**p),
            lim_cyclic,
        ),
        Bench(
            "WarmupCosineDecay", "optax",
            dict(init_value=0.0, peak_value=0.1, warmup_steps=100_000, decay_steps=900_000,
                 end_value=0.001),
            lambda p: J.WarmupCosineDecay(**p),
            lim_warmup_cosine,
            lambda p: _opt().warmup_cosine_decay_schedule(**p),
            "same",
        ),
        Bench(
            "PiecewiseScales", "optax",
            dict(init_value=0.1, boundaries=B[1:], scales=[0.5, 0.2, 0.1]),
            lambda p: J.PiecewiseScales(**p),
            lim_piecewise_scales,
            lambda p: _opt().piecewise_constant_schedule(
                p["init_value"], dict(zip(B[1:], p["scales"]))),
            "same",
        ),
        Bench(
            "Constant", "arith",
            dict(value=0.1),
            lambda p: J.Constant(**p),
            lambda p, t: jnp.full(jnp.shape(t), fl(p["value"])),
            lambda p: _opt().constant_schedule(p["value"]),
            "same",
        ),
    ]
    return rows


def perturbed(params: dict, n: int, rng: np.random.Generator) -> dict:
    """`n` configurations around `params`: every hyperparameter varies (step
    counts as int32, lists elementwise, increasing lists kept increasing)."""
    out = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out[key] = perturbed(value, n, rng)
            continue
        base = np.asarray(value, np.float64)
        noise = rng.uniform(0.8, 1.2, (n,) + base.shape)
        if key == "boundaries":
            # Keep them increasing: scale the whole list.
            noise = np.broadcast_to(noise[..., :1], noise.shape)
        x = base * noise + (base == 0) * rng.uniform(0, 0.05, noise.shape)
        if key in STEP_PARAMS or key == "boundaries":
            out[key] = np.maximum(np.round(base * noise), 1 if key != "offset" else 0
                                  ).astype(np.int32)
            if key == "boundaries":
                out[key] = np.sort(out[key], axis=-1)
                out[key][..., 0] = np.round(base[0] * noise[..., 0]).astype(np.int32)
        else:
            out[key] = x.astype(np.float32)
    return out
