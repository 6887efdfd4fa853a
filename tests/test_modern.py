"""The modern family against its peers: HF transformers (WSD, inverse square
root, cosine with min lr), the Transformer paper and T5 (rsqrt), PyTorch
(OneCycleLR, CyclicLR).

Expected values come from the NumPy float64 transcriptions of
``tests/reference_modern.py``, and, where a peer stops (PyTorch past
``total_steps``, HF's cosine rising again past ``num_training_steps``), from
the documented hold, computed by hand. Steps: every step from 0 to a few past
the end (so every boundary, its neighbours and mid-phase), float steps, and
far past the end, each curve in one array call.
"""

from __future__ import annotations

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference_modern as peer

import jaxsched

# --------------------------------------------------------------------------
# The peers, as functions of our arguments


def _wsd(
    t,
    learning_rate,
    warmup_steps,
    stable_steps,
    decay_steps,
    warmup_type="linear",
    decay_type="cosine",
    min_lr_ratio=0.0,
):
    return peer.hf_wsd(
        t,
        learning_rate,
        warmup_steps,
        decay_steps,
        num_stable_steps=stable_steps,
        warmup_type=warmup_type,
        decay_type=decay_type,
        min_lr_ratio=min_lr_ratio,
    )


def _inverse_sqrt(t, learning_rate, warmup_steps, timescale=None):
    return peer.hf_inverse_sqrt(t, learning_rate, warmup_steps, timescale)


def _cosine_min_lr(t, init_value, peak_value, warmup_steps, decay_steps, end_value):
    assert init_value == 0.0  # HF warms up from 0
    t = np.asarray(t, np.float64)
    inside = peer.hf_cosine_with_min_lr(
        np.minimum(t, decay_steps),
        peak_value,
        warmup_steps,
        decay_steps,
        min_lr=end_value,
    )
    # HF's cosine rises again past num_training_steps; ours holds min_lr (doc).
    return np.where(t >= decay_steps, end_value, inside)


def _one_cycle(
    t,
    max_lr,
    total_steps,
    pct_start=0.3,
    anneal_strategy="cos",
    div_factor=25.0,
    final_div_factor=1e4,
    three_phase=False,
):
    t = np.asarray(t, np.float64)
    last = total_steps - 1
    inside = peer.torch_one_cycle(
        np.minimum(t, last),
        max_lr,
        total_steps,
        pct_start,
        anneal_strategy,
        div_factor,
        final_div_factor,
        three_phase,
    )
    # PyTorch raises past total_steps; ours holds min_lr from the last step (doc).
    return np.where(t >= last, max_lr / div_factor / final_div_factor, inside)


def _cyclic(
    t,
    base_lr,
    max_lr,
    step_size_up=2000,
    step_size_down=None,
    mode="triangular",
    gamma=1.0,
):
    return peer.torch_cyclic(
        t, base_lr, max_lr, step_size_up, step_size_down, mode, gamma
    )


PEERS = {
    "WarmupStableDecay": _wsd,
    "InverseSqrtDecay": _inverse_sqrt,
    "WarmupCosineDecay": _cosine_min_lr,
    "OneCycle": _one_cycle,
    "Cyclic": _cyclic,
}

# (id, class, arguments, last interesting step, far steps the peer covers)
CASES = [
    (
        "wsd-linear-cosine",
        "WarmupStableDecay",
        dict(
            learning_rate=0.1,
            warmup_steps=10,
            stable_steps=20,
            decay_steps=30,
            min_lr_ratio=0.1,
        ),
        60,
    ),
    (
        "wsd-cosine-1sqrt",
        "WarmupStableDecay",
        dict(
            learning_rate=0.3,
            warmup_steps=7,
            stable_steps=11,
            decay_steps=23,
            warmup_type="cosine",
            decay_type="1-sqrt",
        ),
        41,
    ),
    (
        "wsd-1sqrt-linear",
        "WarmupStableDecay",
        dict(
            learning_rate=2.0,
            warmup_steps=9,
            stable_steps=0,
            decay_steps=13,
            warmup_type="1-sqrt",
            decay_type="linear",
            min_lr_ratio=0.05,
        ),
        22,
    ),
    (
        "wsd-no-warmup",
        "WarmupStableDecay",
        dict(
            learning_rate=0.1,
            warmup_steps=0,
            stable_steps=5,
            decay_steps=50,
            decay_type="cosine",
            min_lr_ratio=0.01,
        ),
        55,
    ),
    (
        "inverse-sqrt-hf-default",
        "InverseSqrtDecay",
        dict(learning_rate=0.1, warmup_steps=40),
        60,
    ),
    (
        "inverse-sqrt-timescale",
        "InverseSqrtDecay",
        dict(learning_rate=0.5, warmup_steps=10, timescale=25),
        40,
    ),
    (
        "inverse-sqrt-no-warmup",
        "InverseSqrtDecay",
        dict(learning_rate=0.5, warmup_steps=0),
        40,
    ),
    (
        "cosine-min-lr",
        "WarmupCosineDecay",
        dict(
            init_value=0.0,
            peak_value=0.1,
            warmup_steps=10,
            decay_steps=60,
            end_value=0.005,
        ),
        60,
    ),
    (
        "cosine-min-lr-rate",
        "WarmupCosineDecay",
        dict(
            init_value=0.0,
            peak_value=3.0,
            warmup_steps=0,
            decay_steps=37,
            end_value=3.0 * 0.1,
        ),
        37,
    ),
    ("one-cycle-cos", "OneCycle", dict(max_lr=0.1, total_steps=100), 100),
    (
        "one-cycle-linear",
        "OneCycle",
        dict(
            max_lr=1.0,
            total_steps=37,
            pct_start=0.25,
            anneal_strategy="linear",
            div_factor=10.0,
            final_div_factor=100.0,
        ),
        37,
    ),
    (
        "one-cycle-three-phase",
        "OneCycle",
        dict(max_lr=0.4, total_steps=50, pct_start=0.3, three_phase=True),
        50,
    ),
    (
        "one-cycle-three-phase-linear",
        "OneCycle",
        dict(
            max_lr=0.4,
            total_steps=43,
            pct_start=0.2,
            anneal_strategy="linear",
            three_phase=True,
        ),
        43,
    ),
    ("cyclic-triangular", "Cyclic", dict(base_lr=0.01, max_lr=0.1, step_size_up=5), 40),
    (
        "cyclic-triangular2",
        "Cyclic",
        dict(
            base_lr=0.01,
            max_lr=0.1,
            step_size_up=4,
            step_size_down=6,
            mode="triangular2",
        ),
        60,
    ),
    (
        "cyclic-exp-range",
        "Cyclic",
        dict(
            base_lr=0.001,
            max_lr=0.006,
            step_size_up=3,
            step_size_down=7,
            mode="exp_range",
            gamma=0.98,
        ),
        60,
    ),
]
IDS = [c[0] for c in CASES]
FAR = [1000, 10**6]


N_STEPS = 128  # one array length for every curve: fewer compilations


def _padded(values, fill):
    values = np.asarray(values)
    return np.concatenate([values, np.full(N_STEPS - len(values), fill, values.dtype)])


def _steps(last):
    """(integer steps: every step to a few past the end, then far past it;
    float steps: the half steps between them)."""
    ints = np.arange(0, last + 4)
    far = np.resize(np.asarray(FAR), N_STEPS - len(ints))
    halves = np.concatenate([ints[:-1] + 0.5, [2.25, last - 0.75]])
    return np.concatenate([ints, far]), _padded(halves, 0.5)


def _expected(cls, kw, t):
    if cls == "Cyclic" and kw.get("mode") == "triangular2":
        # 2.0 ** (cycle - 1) overflows a Python float far out: the amplitude
        # is 0 there (by hand).
        t = np.asarray(t)
        near = np.where(t <= 5000, t, 0)
        return np.where(t <= 5000, PEERS[cls](near, **kw), kw["base_lr"])
    return PEERS[cls](t, **kw)


def _peak(cls, kw):
    return max(
        abs(float(v))
        for k, v in kw.items()
        if k in ("learning_rate", "peak_value", "max_lr")
    )


def _relative_error(got, want, peak):
    """|got - want| relative to want, with peak * 1e-3 as the floor of the
    scale (a value of 0 has no relative error to speak of)."""
    got = np.asarray(got, np.float64)
    return np.abs(got - want) / np.maximum(np.abs(want), 1e-3 * peak)


def _assert_peer(case, steps, got, x64):
    name, cls, kw, _ = case
    want = _expected(cls, kw, steps)
    assert got.dtype == (jnp.float64 if x64 else jnp.float32), name
    err = _relative_error(got, want, _peak(cls, kw))
    worst = int(np.argmax(err))
    assert err[worst] <= (1e-11 if x64 else 3e-6), (
        name,
        steps[worst],
        float(got[worst]),
        want[worst],
    )


@pytest.mark.parametrize("x64", [False, True], ids=["float32", "float64"])
def test_every_case_equals_the_peer(x64):
    """All cases in one program per way of calling (one compilation each):
    the schedules as jit arguments (the pytree path every call takes), and,
    in float32, captured in the closure (their numbers become XLA constants,
    where XLA rewrites ``s / c`` as ``s * (1 / c)``)."""
    ints = np.stack([_steps(case[3])[0] for case in CASES])
    with jax.enable_x64(x64):
        scheds = [getattr(jaxsched, cls)(**kw) for _, cls, kw, _ in CASES]
        runs = [
            jax.jit(lambda ss, t: [s(t[i]) for i, s in enumerate(ss)])(scheds, ints)
        ]
        if not x64:
            runs.append(
                jax.jit(lambda t: [s(t[i]) for i, s in enumerate(scheds)])(ints)
            )
        for run in runs:
            for case, steps, got in zip(CASES, ints, run):
                _assert_peer(case, steps, got, x64)


# The first case of each class also runs eagerly, on integer and float steps.
FIRST = {}
for _case in CASES:
    FIRST.setdefault(_case[1], _case)


@pytest.mark.parametrize("cls", sorted(FIRST))
def test_eager_integer_and_float_steps_equal_the_peer(cls):
    case = FIRST[cls]
    sched = getattr(jaxsched, cls)(**case[2])
    x64 = bool(jax.config.jax_enable_x64)  # (the suite also runs with JAX_ENABLE_X64=1)
    for steps in _steps(case[3]):
        _assert_peer(case, steps, sched(steps), x64=x64)


@pytest.mark.parametrize("cls", sorted(PEERS))
def test_scalar_and_numpy_steps_equal_the_array_call(cls):
    _, _, kw, last = next(c for c in CASES if c[1] == cls)
    sched = getattr(jaxsched, cls)(**kw)
    steps = np.asarray([0, last // 2, last])
    curve = np.asarray(sched(steps))
    for i, t in enumerate(steps):
        for step in (int(t), np.int32(t), np.float32(t), jnp.int32(t)):
            assert np.asarray(sched(step)).shape == ()
            # (XLA may vectorize sin/cos differently for an array: 1 ulp)
            np.testing.assert_allclose(float(sched(step)), curve[i], rtol=3e-7)


# --------------------------------------------------------------------------
# Transformer, T5, Levanter/MiniCPM fractions


def test_transformer_schedule():
    steps = np.concatenate([np.arange(0, 60), [4000, 4001, 10**6]])
    for d_model, warmup in ((512, 4000), (64, 30)):
        sched = jaxsched.InverseSqrtDecay.transformer(d_model, warmup)
        want = peer.transformer(steps, d_model, warmup)
        err = _relative_error(sched(steps), want, d_model**-0.5 * warmup**-0.5)
        assert err.max() <= 3e-6


def test_inverse_sqrt_captured_and_traced_timescales_agree():
    """A captured timescale takes XLA's rsqrt of s / ts + (1 - w / ts) where
    w <= ts, of 1 + (s - w) / ts otherwise, a traced one the square root of
    a quotient: all 1 at the warmup's end, exactly, and within a few
    float32 roundings of the float64 formula elsewhere."""
    for w, ts in ((10_000, 10_000), (100, 300), (7, 7), (1, 10**6), (999, 1000),
                  (12_345, 54_321), (300, 100), (10**6, 3)):
        sched = jaxsched.InverseSqrtDecay(0.1, w, timescale=ts)
        steps = np.asarray([w - 1, w, w + 1, 3 * w + 17, 10**6, 2**31 - 1], np.int64)
        want = [0.1 * (t / w if t < w else math.sqrt(ts / (t - w + ts))) for t in steps]
        captured = jax.jit(lambda t: sched(t))(jnp.asarray(steps, jnp.int32))
        traced = jax.jit(lambda sc, t: sc(t))(sched, jnp.asarray(steps, jnp.int32))
        for got in (captured, traced):
            assert float(got[1]) == np.float32(0.1)
            np.testing.assert_allclose(got, want, rtol=4e-7)


def test_t5_rsqrt_schedule():
    steps = np.concatenate([np.arange(0, 60), [10_000, 10_001, 10**6]])
    for warmup, scale in ((10_000, 1.0), (25, 0.5)):
        sched = jaxsched.InverseSqrtDecay.t5(warmup, scale)
        want = peer.t5_rsqrt(steps, warmup, scale)
        assert _relative_error(sched(steps), want, scale * warmup**-0.5).max() <= 3e-6


def test_wsd_decay_ends_at_decay_steps_also_below_one_and_far_out(call):
    # The docstring's formula by hand: p = (step - 10) / max(1, 0.5) in the
    # decay, then min_lr_ratio from warmup + stable + decay on (10.5 here);
    # at 2**25 with no decay, the end value at once.
    sched = jaxsched.WarmupStableDecay(1.0, 0, 10, 0.5, decay_type="linear")
    got = call(sched, np.array([9.5, 10.0, 10.25, 10.5, 10.75, 11.0], np.float32))
    np.testing.assert_allclose(got, [1.0, 1.0, 0.75, 0.0, 0.0, 0.0], rtol=1e-7, atol=0)
    sched = jaxsched.WarmupStableDecay(1.0, 0, 2**25, 0, min_lr_ratio=0.125)
    got = call(sched, np.array([2**25 - 4, 2**25, 2**26], np.float32))
    np.testing.assert_allclose(got, [1.0, 0.125, 0.125], rtol=1e-7, atol=0)


def test_wsd_from_total_equals_hf_with_num_training_steps():
    total = 1000
    sched = jaxsched.WarmupStableDecay.from_total(
        0.1, total, warmup=0.013, decay=0.25, decay_type="1-sqrt", min_lr_ratio=0.1
    )
    assert (sched.warmup_steps, sched.stable_steps, sched.decay_steps) == (13, 737, 250)
    steps = np.concatenate(
        [np.arange(0, 20), np.arange(740, 760), np.arange(990, 1010)]
    )
    want = peer.hf_wsd(
        steps,
        0.1,
        13,
        250,
        num_training_steps=total,
        decay_type="1-sqrt",
        min_lr_ratio=0.1,
    )
    assert _relative_error(sched(steps), want, 0.1).max() <= 3e-6
    # Whole steps are steps (Levanter's rule: values > 1).
    steps_given = jaxsched.WarmupStableDecay.from_total(
        0.1, total, warmup=100, decay=0.9
    )
    assert (
        steps_given.warmup_steps,
        steps_given.stable_steps,
        steps_given.decay_steps,
    ) == (100, 0, 900)
    everything = jaxsched.WarmupStableDecay.from_total(0.1, total, warmup=0, decay=1.0)
    assert everything.decay_steps == total  # 1.0 is a fraction: all of it


@pytest.mark.parametrize(
    "warmup, decay, arg", [(-0.1, 0.2, "warmup"), (0.1, 2.5, "decay")]
)
def test_wsd_from_total_rejects_bad_fractions(warmup, decay, arg):
    with pytest.raises(ValueError, match=f"`{arg}`"):
        jaxsched.WarmupStableDecay.from_total(0.1, 100, warmup=warmup, decay=decay)
    with pytest.raises(ValueError, match="total_steps"):
        jaxsched.WarmupStableDecay.from_total(0.1, 100, warmup=60, decay=50)


# --------------------------------------------------------------------------
# Negative steps, pytree transformations


@pytest.mark.parametrize("case", CASES[::2], ids=IDS[::2])
def test_negative_steps_hold_the_step_0_value(case):
    """Documented: before step 0 each class holds its step-0 value (HF's
    linear warmup would go negative, PyTorch has no negative steps);
    WarmupCosineDecay holds init_value, as optax (with warmup_steps=0 that is
    not the step-0 value, peak_value)."""
    _, cls, kw, _ = case
    sched = getattr(jaxsched, cls)(**kw)
    out = np.asarray(sched(_padded([-1, -7, -(10**6)], -1)))  # (cached shape)
    want = (
        kw["init_value"]
        if cls == "WarmupCosineDecay"
        else (_expected(cls, kw, np.asarray([0]))[0])
    )
    np.testing.assert_allclose(out, want, rtol=3e-6, atol=1e-12)


# One case per class for the transformations; the sweeps keep every value valid.
SWEEP_CASES = {c[1]: c for c in reversed(CASES)}
SWEEP_CASES["WarmupStableDecay"] = CASES[0]
SWEEP_FACTORS = (1.0, 0.5, 1.5)


def _numeric_fields(kw):
    return [
        k
        for k, v in kw.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    ]


def _swept(kw, field):
    """Three valid values of `field` (integers stay integers)."""
    v = kw[field]
    if field == "pct_start":
        return [v, 0.2, 0.45]
    values = [v * f for f in SWEEP_FACTORS]
    if isinstance(v, int):
        values = [int(round(x)) for x in values]
    if field == "warmup_steps" and "decay_steps" in kw and "init_value" in kw:
        values = [min(x, kw["decay_steps"] - 1) for x in values]
    return values


@pytest.mark.parametrize("cls", sorted(SWEEP_CASES))
def test_vmap_over_every_numeric_hyperparameter(cls):
    """Every numeric argument swept at once (one leading axis on each)."""
    _, _, kw, last = SWEEP_CASES[cls]
    steps, _ = _steps(last)
    fields = _numeric_fields(kw)
    sweep = {f: _swept(kw, f) for f in fields}
    batched = {
        f: jnp.asarray(v, jnp.int32 if isinstance(v[0], int) else jnp.float32)
        for f, v in sweep.items()
    }
    got = jax.vmap(lambda h: getattr(jaxsched, cls)(**{**kw, **h})(steps))(batched)
    for i, row in enumerate(np.asarray(got)):
        member = {**kw, **{f: v[i] for f, v in sweep.items()}}
        err = _relative_error(row, _expected(cls, member, steps), _peak(cls, member))
        assert err.max() <= 3e-6, (member, steps[int(np.argmax(err))])


def test_grad_with_respect_to_every_float_hyperparameter_is_finite():
    """Every float (and integer, made float) argument of every class, in one
    program; steps on and around every boundary, far past the end, 2**31."""
    leaves, programs = {}, []
    for cls, (_, _, kw, last) in sorted(SWEEP_CASES.items()):
        ints, floats = _steps(last)
        steps = jnp.asarray(np.concatenate([ints, floats, [2.0**31]]), jnp.float32)
        leaves[cls] = {k: jnp.float32(kw[k]) for k in _numeric_fields(kw)}
        programs.append((cls, kw, steps))

    def total(leaves):
        return sum(
            jnp.sum(getattr(jaxsched, cls)(**{**kw, **leaves[cls]})(steps))
            for cls, kw, steps in programs
        )

    grads = jax.jit(jax.grad(total))(leaves)
    for cls, fields in grads.items():
        for field, g in fields.items():
            assert np.isfinite(float(g)), (cls, field, g)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_serialize_json_deserialize_round_trip(case):
    _, cls, kw, last = case
    sched = getattr(jaxsched, cls)(**kw)
    blob = json.dumps(jaxsched.serialize(sched))
    again = jaxsched.deserialize(json.loads(blob))
    assert type(again) is type(sched) and again.get_config() == sched.get_config()
    steps, _ = _steps(last)
    np.testing.assert_array_equal(np.asarray(again(steps)), np.asarray(sched(steps)))


# --------------------------------------------------------------------------
# Validation

BAD = [
    (lambda: jaxsched.WarmupStableDecay(0.1, -1, 10, 10), ValueError, "warmup_steps"),
    (lambda: jaxsched.WarmupStableDecay(0.1, 1, -10, 10), ValueError, "stable_steps"),
    (lambda: jaxsched.WarmupStableDecay(0.1, 1, 10, -2), ValueError, "decay_steps"),
    (
        lambda: jaxsched.WarmupStableDecay(0.1, 1, 10, 2, min_lr_ratio=-0.1),
        ValueError,
        "min_lr_ratio",
    ),
    (
        lambda: jaxsched.WarmupStableDecay(0.1, 1, 10, 2, decay_type="sqrt"),
        ValueError,
        "decay_type",
    ),
    (
        lambda: jaxsched.WarmupStableDecay(0.1, 1, 10, 2, warmup_type="exp"),
        ValueError,
        "warmup_type",
    ),
    (
        lambda: jaxsched.WarmupStableDecay(float("nan"), 1, 10, 2),
        ValueError,
        "learning_rate",
    ),
    (lambda: jaxsched.WarmupStableDecay("0.1", 1, 10, 2), TypeError, "learning_rate"),
    (lambda: jaxsched.InverseSqrtDecay(0.1, -5), ValueError, "warmup_steps"),
    (lambda: jaxsched.InverseSqrtDecay(0.1, 5, timescale=0), ValueError, "timescale"),
    (
        lambda: jaxsched.InverseSqrtDecay(0.1, 5, warmup_type="cosine"),
        ValueError,
        "warmup_type",
    ),
    (lambda: jaxsched.WarmupCosineDecay(0.0, 0.1, 10, 10), ValueError, "decay_steps"),
    (lambda: jaxsched.WarmupCosineDecay(0.0, 0.1, -1, 10), ValueError, "warmup_steps"),
    (
        lambda: jaxsched.WarmupCosineDecay(0.0, 0.1, 1, 10, exponent=0.0),
        ValueError,
        "exponent",
    ),
    (lambda: jaxsched.OneCycle(0.1, 0), ValueError, "total_steps"),
    (lambda: jaxsched.OneCycle(0.1, 10, pct_start=1.5), ValueError, "pct_start"),
    (
        lambda: jaxsched.OneCycle(0.1, 10, anneal_strategy="cosine"),
        ValueError,
        "anneal_strategy",
    ),
    (lambda: jaxsched.OneCycle(0.1, 10, div_factor=0.0), ValueError, "div_factor"),
    (
        lambda: jaxsched.OneCycle(0.1, 10, final_div_factor=-1.0),
        ValueError,
        "final_div_factor",
    ),
    (lambda: jaxsched.OneCycle(0.1, 10, three_phase=1), TypeError, "three_phase"),
    (lambda: jaxsched.Cyclic(0.01, 0.1, step_size_up=0), ValueError, "step_size_up"),
    (
        lambda: jaxsched.Cyclic(0.01, 0.1, step_size_down=-3),
        ValueError,
        "step_size_down",
    ),
    (lambda: jaxsched.Cyclic(0.01, 0.1, mode="triangle"), ValueError, "mode"),
    (lambda: jaxsched.Cyclic(0.01, 0.1, gamma=0.0), ValueError, "gamma"),
    (lambda: jaxsched.Cyclic(0.01, float("inf")), ValueError, "max_lr"),
]


@pytest.mark.parametrize("make, error, arg", BAD, ids=[b[2] for b in BAD])
def test_bad_input_raises_naming_the_argument(make, error, arg):
    with pytest.raises(error, match=f"`{arg}`"):
        make()


def test_traced_hyperparameters_build_without_concretizing():
    def lrs(warmup, total, up):
        return jnp.stack(
            [
                jaxsched.WarmupStableDecay(0.1, warmup, 10, 10)(7),
                jaxsched.InverseSqrtDecay(0.1, warmup)(7),
                jaxsched.WarmupCosineDecay(0.0, 0.1, warmup, total)(7),
                jaxsched.OneCycle(0.1, total)(7),
                jaxsched.Cyclic(0.01, 0.1, up)(7),
            ]
        )

    out = jax.jit(lrs)(5, 40, 3)
    np.testing.assert_allclose(out, lrs(5, 40, 3), rtol=1e-6)
    assert float(out[0]) == np.float32(0.1)  # step 7 is in the stable phase


@pytest.mark.parametrize("total, pct", [(10, 0.1), (5, 0.2), (3, 1 / 3), (100, 0.01)])
@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_empty_first_phase_is_over_at_step_0_however_called(total, pct, three_phase):
    # pct_start * total_steps rounds to 1 (in float32 and float64): the first
    # phase, e1 = 0, is empty and over, so step 0 is the peak (the docstring's
    # rule; PyTorch divides by zero there). Found in review: a program fused
    # the product and the - 1 into one multiply-add (1.5e-8 in float32), a
    # phase 1e-8 long, and gave max_lr / div_factor at step 0 where a
    # captured schedule (the product on the host) gave max_lr.
    assert np.float32(pct) * np.float32(total) == 1 and pct * total == 1
    sched = jaxsched.OneCycle(2.0, total, pct_start=pct, three_phase=three_phase)
    steps = jnp.asarray([0, 0], jnp.int32)
    got = {
        "eager": sched(0),
        "array": sched(steps)[0],
        "captured": jax.jit(lambda t: sched(t))(0),
        "argument": jax.jit(lambda sch, t: sch(t))(sched, 0),
        "vmap": jax.vmap(lambda m: jaxsched.OneCycle(
            m, total, pct_start=pct, three_phase=three_phase)(0))(jnp.asarray([2.0, 4.0]))[0],
    }
    with jax.disable_jit():
        got["disable_jit"] = sched(0)
    assert {k: float(v) for k, v in got.items()} == dict.fromkeys(got, 2.0)


def test_three_phase_one_cycle_with_a_second_phase_past_the_end_follows_it():
    # pct_start = 0.9 of 100 steps: e1 = 89, e2 = 178 > e3 = 99. By hand: in
    # the second phase (max_lr 1 -> initial 0.1, linear) up to step 178,
    # then min_lr = 0.1 / 100.
    sched = jaxsched.OneCycle(1.0, 100, pct_start=0.9, anneal_strategy="linear",
                              div_factor=10.0, final_div_factor=100.0, three_phase=True)
    steps = [89, 99, 100, 178, 179, 10**6]
    want = [1.0, 1 - 0.9 * 10 / 89, 1 - 0.9 * 11 / 89, 0.1, 0.001, 0.001]
    np.testing.assert_allclose(sched(np.asarray(steps)), want, rtol=1e-6)


def test_no_nan_or_inf_at_hostile_steps():
    """Extreme integer and float steps, every case, in one program per dtype:
    a finite number everywhere (DESIGN.md: int32 max, uint32, +-inf)."""
    scheds = [getattr(jaxsched, cls)(**kw) for _, cls, kw, _ in CASES]
    for steps in (
        np.asarray([0, 2**31 - 1, -(2**31), 7], np.int32),
        np.asarray([2**32 - 1, 2**31], np.uint32),
        np.asarray([np.inf, -np.inf, 1e38, -1e38, 0.5, 2.0**24 + 2], np.float32),
    ):
        got = jax.jit(lambda ss, t: [s(t) for s in ss])(scheds, steps)
        for case, row in zip(CASES, got):
            assert np.all(np.isfinite(np.asarray(row))), (case[0], steps, row)
