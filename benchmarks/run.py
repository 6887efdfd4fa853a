"""jaxsched's benchmark suite: jaxsched beside the hand-written limit, optax and Keras 3.

One process times, side by side, for every schedule class of
``benchmarks/table.py``: jaxsched, the *limit* (the peer's formula written
inline in ``jnp``, float32, no exactness work), optax's equivalent where one
exists (its semantics noted where they differ) and Keras 3 with the JAX
backend (Keras' own classes only). Workloads:

* ``curve``:      a jitted call on 10**6 int32 steps (the whole curve);
* ``sweep``:      ``jit(vmap)`` over 4,096 configurations x 1,024 steps,
                  every numeric hyperparameter varied;
* ``piecewise``:  PiecewiseConstantDecay with N = 1 ... 100,000 boundaries on
                  10**5 steps, with compile times (the limit: a select chain
                  up to 16 values, ``searchsorted(method="scan_unrolled")``
                  above);
* ``first_call``: trace and compile of a fresh ``jit`` on a scalar step
                  (all of JAX's caches cleared), then the first run;
* ``train_step``: a jitted optax SGD step of a small MLP, the learning rate
                  from the schedule, against a constant learning rate;
* ``import``:     ``import jaxsched`` against ``import jax`` (fresh
                  interpreters).

Times are medians of interleaved rounds (every library once per round, in
turn, so that the machine's drift hits all alike); each timed sample runs a
compiled executable enough times to take a few milliseconds, with at most
two calls in flight (``block_until_ready`` on the one before), and glibc's
malloc set to keep freed blocks (``keep_freed_memory``): outputs reuse
memory already touched, no page faults per call. (A 16 MB sweep output is
half of this machine's 32 MB L3 cache: a sweep's time still moves between
rows and runs, 0.4 to 2.6 ms for Cyclic's limit, the ratio less.)
Compilation (``lower().compile()``) is timed apart.
Ratios are medians of the per-round ratios to the limit (below 1: faster).
Not part of the test run. Run from the repository root::

    python -m benchmarks.run [--quick] [--json out.json] [--markdown out.md]
        [--workloads curve,sweep,...] [--only CosineDecay,...]

``--quick`` (a few minutes on 2 cores) takes fewer rounds and shorter
samples; the default is what the README's table comes from.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import platform
import statistics
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks import table  # noqa: E402

LIBS = ("limit", "jaxsched", "before", "optax", "keras")
BEFORE = None  # another checkout's jaxsched module (--baseline)


def load_baseline(path: str):
    """The package `jaxsched` of the checkout at `path`, imported as the
    module ``jaxsched_before`` beside the current one (its imports are
    relative), so that one process times both, interleaved."""
    import importlib.util
    init = os.path.join(path, "jaxsched", "__init__.py")
    spec = importlib.util.spec_from_file_location(
        "jaxsched_before", init, submodule_search_locations=[os.path.dirname(init)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["jaxsched_before"] = module
    spec.loader.exec_module(module)
    return module
WORKLOADS = ("curve", "sweep", "piecewise", "first_call", "train_step", "import")


# --------------------------------------------------------------------------
# Timing


def compile_timed(fn, *args):
    """(compiled executable, seconds to lower and compile)."""
    start = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    return compiled, time.perf_counter() - start


def sampler(fn, target_s):
    """A function timing one call of `fn` (averaged over enough calls to take
    about `target_s`), after a warm-up call."""
    jax.block_until_ready(fn())
    start = time.perf_counter()
    jax.block_until_ready(fn())
    single = time.perf_counter() - start
    number = max(1, min(2000, round(target_s / max(single, 1e-7))))

    def once():
        # At most two calls in flight: the next is dispatched while one
        # runs, and each output's memory is free again for the call after
        # next (thousands of 16 MB outputs in flight turned a sweep into a
        # test of page faults, 0.3 or 5 ms for the same program by the
        # order of the rows).
        start = time.perf_counter()
        previous = fn()
        for _ in range(number - 1):
            out = fn()
            jax.block_until_ready(previous)
            previous = out
        jax.block_until_ready(previous)
        return (time.perf_counter() - start) / number

    return once


def interleaved(samplers: dict, rounds: int) -> dict:
    """{lib: [seconds per round]}: each lib once per round, the order rotated."""
    names = list(samplers)
    times = {n: [] for n in names}
    for r in range(rounds):
        for n in names[r % len(names):] + names[:r % len(names)]:
            times[n].append(samplers[n]())
    return times


def summarize(times: dict, ref: str = "limit") -> dict:
    out = {}
    for lib, ts in times.items():
        cell = {"median_s": statistics.median(ts)}
        if ref in times:
            cell["ratio"] = statistics.median(a / b for a, b in zip(ts, times[ref]))
        out[lib] = cell
    return out


def guarded(fn):
    """fn() or the exception's one-line summary."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001: a peer that cannot run this
        return f"{type(e).__name__}: {str(e).splitlines()[0][:100] if str(e) else ''}"


# --------------------------------------------------------------------------
# Functions of each library


def curve_fns(bench: table.Bench) -> dict:
    """{lib: params -> (steps -> rates)} for the libraries that have one."""
    fns = {
        "limit": lambda p: (lambda t: bench.limit(p, t)),
        "jaxsched": lambda p: bench.make(p),
    }
    if bench.before is not None:
        fns["before"] = bench.before
    if bench.optax is not None:
        fns["optax"] = bench.optax
    if bench.keras is not None and table._ks() is not None:
        fns["keras"] = bench.keras
    return fns


def _array_or_vmap(fn, steps):
    """jit(fn) on the steps, or jit(vmap(fn)) where fn takes scalars only."""
    try:
        compiled, c = compile_timed(fn, steps)
        return compiled, c, ""
    except Exception:  # noqa: BLE001 (Keras' ops.cond: scalar steps only)
        compiled, c = compile_timed(jax.vmap(fn), steps)
        return compiled, c, "vmapped"


def bench_curve(benches, args):
    steps = jnp.arange(10**6, dtype=jnp.int32)
    rows = []
    for bench in benches:
        samplers, compile_s, notes = {}, {}, {}
        for lib, build in curve_fns(bench).items():
            def setup(build=build):
                return _array_or_vmap(build(bench.params), steps)
            got = guarded(setup)
            if isinstance(got, str):
                notes[lib] = got
                continue
            compiled, compile_s[lib], note = got
            if note:
                notes[lib] = note
            samplers[lib] = sampler(lambda c=compiled: c(steps), args.target)
        rows.append(_row(bench.name, interleaved(samplers, args.rounds), compile_s, notes))
        _progress("curve", rows[-1])
    return rows


def bench_sweep(benches, args):
    n_cfg, n_steps = 4096, 1024
    steps = jnp.asarray(np.arange(n_steps) * (10**6 // n_steps), jnp.int32)
    rng = np.random.default_rng(0)
    rows = []
    for bench in benches:
        configs = jax.tree.map(jnp.asarray, table.perturbed(bench.params, n_cfg, rng))
        samplers, compile_s, notes = {}, {}, {}
        for lib, build in curve_fns(bench).items():
            def setup(build=build):
                def one(p):
                    fn = build(p)
                    return _apply(fn, steps)
                compiled, c = compile_timed(jax.vmap(one), configs)
                return compiled, c
            got = guarded(setup)
            if isinstance(got, str):
                notes[lib] = got
                continue
            compiled, compile_s[lib] = got
            samplers[lib] = sampler(lambda c=compiled: c(configs), args.target)
        rows.append(_row(bench.name, interleaved(samplers, args.rounds), compile_s, notes))
        _progress("sweep", rows[-1])
    return rows


def _apply(fn, steps):
    try:
        return fn(steps)
    except Exception:  # noqa: BLE001 (scalar steps only)
        return jax.vmap(fn)(steps)


def bench_piecewise(args):
    import jaxsched
    counts = (1, 10, 100, 1_000, 10_000, 100_000)
    n_steps = 10**5
    rows = []
    for n in counts:
        boundaries = list(range(10, 10 * (n + 1), 10))
        values = [1.0 / (i + 1) for i in range(n + 1)]
        steps = jnp.asarray(np.arange(n_steps) * (10 * (n + 1)) // n_steps, jnp.int32)
        fns = {
            "limit": lambda t: table.lim_piecewise(boundaries, values, t),
            "jaxsched": jaxsched.PiecewiseConstantDecay(boundaries, values),
        }
        if BEFORE is not None:
            fns["before"] = BEFORE.PiecewiseConstantDecay(boundaries, values)
        if n <= args.peer_max:
            optax = table._opt()
            fns["optax"] = optax.piecewise_constant_schedule(
                values[0], {b: values[i + 1] / values[i] for i, b in enumerate(boundaries)})
            if table._ks() is not None:
                fns["keras"] = table._ks().PiecewiseConstantDecay(boundaries, values)
        samplers, compile_s, notes = {}, {}, {}
        for lib, fn in fns.items():
            got = guarded(lambda fn=fn: compile_timed(fn, steps))
            if isinstance(got, str):
                notes[lib] = got
                continue
            compiled, compile_s[lib] = got
            samplers[lib] = sampler(lambda c=compiled: c(steps), args.target)
        rows.append(_row(f"N={n:,}", interleaved(samplers, args.rounds), compile_s, notes))
        _progress("piecewise", rows[-1])
    return rows


def bench_first_call(benches, args):
    """Trace, compile and run a fresh jit on a scalar int32 step, with all of
    JAX's caches cleared first (a new process' first call)."""
    step = jnp.asarray(12_345, jnp.int32)
    rows = []
    for bench in benches:
        fns = {lib: build(bench.params) for lib, build in curve_fns(bench).items()}
        parts = {lib: {"trace": [], "compile": []} for lib in fns}
        notes = {}

        def first(lib):
            fn = fns[lib]
            jax.clear_caches()
            start = time.perf_counter()
            lowered = jax.jit(lambda t: fn(t)).lower(step)
            traced = time.perf_counter()
            compiled = lowered.compile()
            done = time.perf_counter()
            jax.block_until_ready(compiled(step))
            end = time.perf_counter()
            parts[lib]["trace"].append(traced - start)
            parts[lib]["compile"].append(done - traced)
            return end - start

        samplers = {}
        for lib in fns:
            got = guarded(lambda lib=lib: first(lib))
            if isinstance(got, str):
                notes[lib] = got
                continue
            parts[lib] = {"trace": [], "compile": []}
            samplers[lib] = lambda lib=lib: first(lib)
        times = interleaved(samplers, args.first_rounds)
        row = _row(bench.name, times, {}, notes)
        for lib in samplers:
            row["libs"][lib]["trace_s"] = statistics.median(parts[lib]["trace"])
            row["libs"][lib]["compile_s"] = statistics.median(parts[lib]["compile"])
        rows.append(row)
        _progress("first_call", rows[-1])
    return rows


def bench_train_step(benches, args):
    """A jitted optax SGD step of a 32-64-64-10 MLP on a batch of 64."""
    import optax
    key = jax.random.key(0)
    k1, k2, k3, kx = jax.random.split(key, 4)
    params0 = {
        "w1": jax.random.normal(k1, (32, 64)) * 0.1, "b1": jnp.zeros(64),
        "w2": jax.random.normal(k2, (64, 64)) * 0.1, "b2": jnp.zeros(64),
        "w3": jax.random.normal(k3, (64, 10)) * 0.1, "b3": jnp.zeros(10),
    }
    x = jax.random.normal(kx, (64, 32))
    y = jnp.arange(64) % 10

    def loss(p):
        h = jax.nn.relu(x @ p["w1"] + p["b1"])
        h = jax.nn.relu(h @ p["w2"] + p["b2"])
        logits = h @ p["w3"] + p["b3"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    def make(lr):
        opt = optax.sgd(lr)
        state0 = opt.init(params0)

        def step(carry):
            p, s = carry
            g = jax.grad(loss)(p)
            u, s = opt.update(g, s, p)
            return optax.apply_updates(p, u), s

        compiled, c = compile_timed(step, (params0, state0))
        carry = [(params0, state0)]

        def run():
            carry[0] = compiled(carry[0])
            return carry[0][0]["b3"]

        return run, c

    rows = []
    for bench in benches:
        fns = {lib: build(bench.params) for lib, build in curve_fns(bench).items()}
        fns["constant"] = 0.1
        samplers, compile_s, notes = {}, {}, {}
        for lib, lr in fns.items():
            got = guarded(lambda lr=lr: make(lr))
            if isinstance(got, str):
                notes[lib] = got
                continue
            run, compile_s[lib] = got
            samplers[lib] = sampler(run, args.target)
        times = interleaved(samplers, args.rounds)
        row = _row(bench.name, times, compile_s, notes)
        for lib in times:
            row["libs"][lib]["ratio_constant"] = statistics.median(
                a / b for a, b in zip(times[lib], times["constant"]))
        rows.append(row)
        _progress("train_step", rows[-1])
    return rows


def bench_import(args):
    """Wall time of a fresh interpreter importing jax, and jaxsched; and
    the time of ``import jaxsched`` in a fresh interpreter that has imported
    jax already (measured inside it: what jaxsched adds, everything it
    imports beyond jax included, without the noise of timing jax's own
    import, a second or more, twice and subtracting).

    As installed: pip byte-compiles a package when it installs it, so its
    modules load from bytecode. The bytecode goes to a temporary cache
    prefix, written by one untimed import first. (With
    PYTHONDONTWRITEBYTECODE set, as on this project's machines, an import of
    the source checkout compiles every module again, each time: about 25 ms
    more for jaxsched.)
    """
    cache = tempfile.mkdtemp(prefix="jaxsched-bench-pycache-")
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = here + os.pathsep + env.get("PYTHONPATH", "")
    cmds = {
        "python": ("pass", env),
        "jax": ("import jax", env),
        "jaxsched": ("import jaxsched", env),
    }
    if args.baseline:
        old = dict(env)
        old["PYTHONPATH"] = os.path.abspath(args.baseline) + os.pathsep + old.get(
            "PYTHONPATH", "")
        cmds["before"] = ("import jaxsched", old)

    after_jax = ("import time, jax; start = time.perf_counter(); import jaxsched; "
                 "print(time.perf_counter() - start)")
    added = {"jaxsched_after_jax": (after_jax, env)}
    if args.baseline:
        added["before_after_jax"] = (after_jax, cmds["before"][1])

    def sample(code, env):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        return time.perf_counter() - start

    def sample_inside(code, env):
        out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                             capture_output=True, text=True).stdout
        return float(out.split()[-1])

    for code, env_ in cmds.values():  # writes the bytecode
        sample(code, env_)
    samplers = {k: (lambda c=c: sample(*c)) for k, c in cmds.items()}
    samplers.update({k: (lambda c=c: sample_inside(*c)) for k, c in added.items()})
    times = interleaved(samplers, args.import_rounds)
    shutil.rmtree(cache, ignore_errors=True)
    out = {k: statistics.median(v) for k, v in times.items()}
    for lib in ("jaxsched", "before"):
        if lib in times:
            out[f"{lib}_minus_jax"] = statistics.median(
                a - b for a, b in zip(times[lib], times["jax"]))
    print(f"import: jax {out['jax'] * 1e3:.0f} ms, jaxsched {out['jaxsched'] * 1e3:.0f} ms, "
          f"difference {out['jaxsched_minus_jax'] * 1e3:.0f} ms"
          + (f" (before: {out['before_minus_jax'] * 1e3:.0f} ms)" if "before" in out else "")
          + f"; import jaxsched after jax {out['jaxsched_after_jax'] * 1e3:.1f} ms"
          + (f" (before: {out['before_after_jax'] * 1e3:.1f} ms)" if "before" in out else ""),
          flush=True)
    return out


def _row(name, times, compile_s, notes):
    libs = summarize(times) if times else {}
    for lib, c in compile_s.items():
        libs.setdefault(lib, {})["compile_s"] = c
    return {"name": name, "libs": libs, "notes": notes}


def _progress(workload, row):
    cells = []
    for lib in LIBS:
        cell = row["libs"].get(lib)
        if cell and "median_s" in cell:
            ratio = f" x{cell['ratio']:.2f}" if "ratio" in cell and lib != "limit" else ""
            cells.append(f"{lib} {cell['median_s'] * 1e6:.0f}us{ratio}")
    print(f"{workload:<11}{row['name']:<34}" + ", ".join(cells), flush=True)


# --------------------------------------------------------------------------
# Output


def _fmt_ratio(row, lib):
    cell = row["libs"].get(lib, {})
    if "ratio" not in cell:
        return "n/a" if lib not in row["notes"] else "fails"
    return f"{cell['ratio']:.2f}"


def _ours(row):
    """jaxsched's ratio, and the baseline checkout's in parentheses."""
    text = _fmt_ratio(row, "jaxsched")
    if "before" in row["libs"]:
        text += f" ({_fmt_ratio(row, 'before')})"
    return text


def _fmt_vs(row, other):
    a, b = row["libs"].get("jaxsched", {}), row["libs"].get(other, {})
    if "ratio" in a and "ratio" in b:
        return f"{a['ratio'] / b['ratio']:.2f}"
    return "n/a" if other not in row["notes"] else "fails"


def _ms(row, lib, key="compile_s"):
    cell = row["libs"].get(lib, {})
    return f"{cell[key] * 1e3:.0f}" if key in cell else "-"


def markdown(results: dict) -> str:
    lines = [f"Machine: {results['machine']}", ""]
    head = ("| schedule | limit | jaxsched / limit | optax / limit | Keras / limit "
            "| jaxsched / optax | jaxsched / Keras | compile ms (limit, jaxsched) |")
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|"
    titles = {
        "curve": "Whole curve, 10^6 steps, jitted",
        "sweep": "Sweep: vmap over 4,096 configs x 1,024 steps, every hyperparameter",
        "piecewise": "PiecewiseConstantDecay, 10^5 steps, by number of boundaries N",
        "first_call": "First call: trace + compile + run of a fresh jit (scalar step)",
        "train_step": "Jitted optax SGD step of a small MLP (ratio to constant LR in the "
                      "last column)",
    }
    for workload, title in titles.items():
        rows = results.get(workload)
        if not rows:
            continue
        lines += [f"**{title}**", ""]
        if workload == "first_call":
            lines += [
                "| schedule | limit ms | jaxsched / limit | optax / limit | Keras / limit "
                "| trace ms (limit, jaxsched) | compile ms (limit, jaxsched) |",
                "|---|---:|---:|---:|---:|---:|---:|",
            ]
            for row in rows:
                lim = row["libs"].get("limit", {})
                lines.append(
                    f"| {row['name']} | {lim.get('median_s', float('nan')) * 1e3:.0f} "
                    f"| {_ours(row)} | {_fmt_ratio(row, 'optax')} "
                    f"| {_fmt_ratio(row, 'keras')} "
                    f"| {_ms(row, 'limit', 'trace_s')}, {_ms(row, 'jaxsched', 'trace_s')} "
                    f"| {_ms(row, 'limit')}, {_ms(row, 'jaxsched')} |")
            lines.append("")
            continue
        lines += [head.replace("compile ms (limit, jaxsched)", "jaxsched / constant LR")
                  if workload == "train_step" else head, rule]
        for row in rows:
            lim = row["libs"].get("limit", {})
            last = (f"{row['libs'].get('jaxsched', {}).get('ratio_constant', float('nan')):.2f}"
                    if workload == "train_step"
                    else f"{_ms(row, 'limit')}, {_ms(row, 'jaxsched')}")
            lines.append(
                f"| {row['name']} | {lim.get('median_s', float('nan')) * 1e6:.0f} us "
                f"| {_ours(row)} | {_fmt_ratio(row, 'optax')} "
                f"| {_fmt_ratio(row, 'keras')} | {_fmt_vs(row, 'optax')} "
                f"| {_fmt_vs(row, 'keras')} | {last} |")
        lines.append("")
    imp = results.get("import")
    if imp:
        lines += [
            "**Import** (fresh interpreters, medians: wall times of the whole "
            "process; `import jaxsched` timed inside one that imported jax first)", "",
            "| python | import jax | import jaxsched | jaxsched - jax "
            "| import jaxsched after jax | (baseline: the same two) |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {imp['python'] * 1e3:.0f} ms | {imp['jax'] * 1e3:.0f} ms "
            f"| {imp['jaxsched'] * 1e3:.0f} ms | {imp['jaxsched_minus_jax'] * 1e3:.0f} ms "
            f"| {imp['jaxsched_after_jax'] * 1e3:.1f} ms | "
            + (f"{imp['before_minus_jax'] * 1e3:.0f} ms, "
               f"{imp['before_after_jax'] * 1e3:.1f} ms |" if "before_minus_jax" in imp
               else "- |"),
            "",
        ]
    notes = sorted({
        f"{lib}, {row['name']}: {note}"
        for w in titles for row in results.get(w, []) for lib, note in row["notes"].items()
        if note != "vmapped"
    })
    if notes:
        lines += ["Peers that could not run a cell (`fails`):", ""]
        lines += [f"- {n}" for n in notes] + [""]
    return "\n".join(lines)


def summary(results: dict) -> str:
    """One table: jaxsched's ratio to the limit per class and workload, and
    its ratio to optax and Keras on the curve and the sweep."""
    names = [r["name"] for r in results.get("curve", [])] or [
        r["name"] for r in results.get("first_call", [])]
    by = {w: {r["name"]: r for r in results.get(w, [])}
          for w in ("curve", "sweep", "first_call", "train_step")}

    def cell(workload, name, fn):
        row = by[workload].get(name)
        return fn(row) if row else "-"

    lines = [
        "| schedule | curve | sweep | first call | train step | curve: optax, Keras "
        "| sweep: optax, Keras |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    ours = _ours

    for name in names:
        lines.append(
            f"| {name} | {cell('curve', name, ours)} "
            f"| {cell('sweep', name, ours)} "
            f"| {cell('first_call', name, ours)} "
            f"| {cell('train_step', name, ours)} "
            f"| {cell('curve', name, lambda r: _fmt_vs(r, 'optax') + ', ' + _fmt_vs(r, 'keras'))} "
            f"| {cell('sweep', name, lambda r: _fmt_vs(r, 'optax') + ', ' + _fmt_vs(r, 'keras'))} |")
    return "\n".join(lines)


def machine() -> str:
    import optax
    try:
        import keras
        kv = f", keras {keras.__version__} (JAX backend)"
    except ImportError:
        kv = ", no keras"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {jax.devices()[0].platform}; python "
            f"{platform.python_version()}, jax {jax.__version__}, optax {optax.__version__}"
            f"{kv}")


def keep_freed_memory():
    """Make glibc's malloc keep large freed blocks for reuse (no mmap per
    allocation, no trim): every call's output then lands in memory the
    process already touched. Otherwise whether a 16 MB sweep output costs
    thousands of page faults depended on malloc's adaptive threshold, so on
    the rows run before it (a Cyclic sweep took 0.3 or 5 ms). False where
    mallopt is missing (another C library): the timings then include it."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        # (32 MB: glibc's largest mmap threshold; the outputs are 16 MB.)
        return bool(libc.mallopt(m_mmap_threshold, 32 << 20)
                    and libc.mallopt(m_trim_threshold, (1 << 31) - 1))
    except (OSError, AttributeError):
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, shorter samples")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--markdown", help="write the Markdown tables here")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated, of {', '.join(WORKLOADS)}")
    parser.add_argument("--only", help="comma-separated schedule names (see table.py)")
    parser.add_argument("--baseline", help="a checkout of jaxsched (the directory holding "
                        "its jaxsched/) to time beside this one, as 'before'")
    args = parser.parse_args(argv)
    args.rounds = 5 if args.quick else 15
    args.first_rounds = 3 if args.quick else 7
    args.import_rounds = 5 if args.quick else 15
    args.target = 0.004 if args.quick else 0.02
    args.peer_max = 100 if args.quick else 1_000
    workloads = args.workloads.split(",")
    unknown = set(workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}")
    benches = table.benches()
    if args.baseline:
        global BEFORE
        BEFORE = load_baseline(args.baseline)
        for bench, old in zip(benches, table.benches(BEFORE)):
            bench.before = old.make
    if args.only:
        wanted = set(args.only.split(","))
        benches = [b for b in benches if b.name in wanted]
    results = {"machine": machine(), "quick": args.quick, "rounds": args.rounds,
               "freed_memory_kept": keep_freed_memory()}
    print(results["machine"], flush=True)
    start = time.perf_counter()
    if "import" in workloads:
        results["import"] = bench_import(args)
    for w, fn in (("curve", bench_curve), ("sweep", bench_sweep),
                  ("first_call", bench_first_call), ("train_step", bench_train_step)):
        if w in workloads and benches:
            results[w] = fn(benches, args)
    if "piecewise" in workloads:
        results["piecewise"] = bench_piecewise(args)
    results["seconds"] = time.perf_counter() - start
    text = markdown(results)
    if any(w in results for w in ("curve", "sweep", "first_call", "train_step")):
        text = ("**Summary**: jaxsched's time over the limit's (first four columns; "
                "in parentheses the --baseline checkout's), and over optax's and "
                "Keras' (last two)\n\n" + summary(results)
                + "\n\n" + text)
    print()
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
