"""The ``jaxsched`` command (issue 12): show, plot, convert; every SPEC form;
bad SPECs exit 2 with one line on stderr; ``jaxsched.plot``.

Most cases call ``main(argv)`` in the test process; three run the command
as a real subprocess (``python -m jaxsched``): show, plot without a display,
and a bad SPEC. Expected numbers come from the schedules themselves, from
Keras 3 (for Keras' files) or from ``from_model_garden_config``.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tomllib
import zipfile

import keras
import matplotlib
import numpy as np
import pytest

import jaxsched
from cases import EXAMPLES, build
from jaxsched._cli import main
from jaxsched._spec import MAX_DEPTH

matplotlib.use("Agg")
KS = keras.optimizers.schedules
ROOT = pathlib.Path(__file__).resolve().parent.parent
AT = [0, 1, 5, 9, 10, 11, 20, 30, 41, 1000]


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _table(out):
    """{step: rate string} from show's table (after its two header lines)."""
    lines = out.strip().splitlines()
    assert lines[0].startswith("# ") and lines[1].split() == ["step", "learning_rate"]
    return {int(step): rate for step, rate in (line.split() for line in lines[2:])}


def _same_in_dtype(shown, expected):
    """The printed rates are the schedule's values, exactly, in its dtype."""
    expected = np.asarray(expected)
    parsed = np.array([float(s) for s in shown]).astype(expected.dtype)
    np.testing.assert_array_equal(parsed, expected)


# --------------------------------------------------------------------------
# show


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_show_prints_the_schedule_for_every_class(capsys, name):
    sched = build(name)
    code, out, err = _run(capsys, "show", repr(sched), "--at", ",".join(map(str, AT)))
    assert (code, err) == (0, "")
    table = _table(out)
    assert list(table) == AT
    _same_in_dtype(table.values(), sched(np.array(AT)))
    assert out.splitlines()[0] == f"# {sched!r}"


def test_show_every_k_to_n_and_json(capsys):
    sched = jaxsched.CosineDecay(0.1, 1000, warmup_target=1.0, warmup_steps=100)
    code, out, _ = _run(capsys, "show", repr(sched), "--every", 250, "--steps", 1100,
                        "--json")
    assert code == 0
    data = json.loads(out)
    assert data["steps"] == list(range(0, 1101, 250))
    _same_in_dtype(data["learning_rate"], sched(np.array(data["steps"])))
    again = jaxsched.deserialize(data["config"])
    assert repr(again) == data["schedule"] == repr(sched)
    assert data["dtype"] == str(np.asarray(sched(0)).dtype)


def test_show_with_only_steps_gives_eleven_even_rows(capsys):
    code, out, _ = _run(capsys, "show", "ExponentialDecay(0.1, 100, 0.5)", "--steps", 500)
    assert code == 0 and list(_table(out)) == list(range(0, 501, 50))


def test_show_float_and_negative_steps(capsys):
    sched = jaxsched.ExponentialDecayWithOffset(0.1, 100, 0.5, offset=50)
    code, out, _ = _run(capsys, "show", repr(sched), "--at=-10,12.5,2e3")
    assert code == 0
    rates = [line.split()[1] for line in out.splitlines()[2:]]
    _same_in_dtype(rates, sched(np.array([-10.0, 12.5, 2000.0])))


# --------------------------------------------------------------------------
# SPEC forms


def _show_values(capsys, spec, steps=AT):
    code, out, err = _run(capsys, "show", spec, "--at", ",".join(map(str, steps)), "--json")
    assert (code, err) == (0, ""), err
    return np.array(json.loads(out)["learning_rate"])


def _keras_values(keras_sched, steps=AT):
    """Keras' rates at `steps`, in one (vmapped) call: Keras' eager calls are slow."""
    import jax

    return np.asarray(jax.vmap(keras_sched)(np.asarray(steps)))


def test_spec_call_with_jaxsched_prefix_and_nesting(capsys):
    spec = ("jaxsched.LinearWarmup(jaxsched.WithOffset(PolynomialDecay(1.0, 40, "
            "end_learning_rate=0.0), 10), warmup_steps=10, warmup_learning_rate=0.0)")
    sched = jaxsched.LinearWarmup(
        jaxsched.WithOffset(jaxsched.PolynomialDecay(1.0, 40, end_learning_rate=0.0), 10),
        10, 0.0)
    _same_in_dtype(_show_values(capsys, spec).astype(str), sched(np.array(AT)))


def test_spec_inline_json_and_file_of_ours(capsys, tmp_path):
    sched = build("JoinSchedules")
    text = json.dumps(jaxsched.serialize(sched))
    path = tmp_path / "ours.json"
    path.write_text(text)
    expected = np.asarray(sched(np.array(AT)))
    for spec in (text, str(path)):
        _same_in_dtype(_show_values(capsys, spec).astype(str), expected)


def test_spec_keras_3_file(capsys, tmp_path):
    keras_sched = KS.CosineDecayRestarts(1.0, 7, t_mul=3.0, m_mul=0.8, alpha=0.05)
    path = tmp_path / "keras.json"
    path.write_text(json.dumps(KS.serialize(keras_sched)))
    steps = [0, 3, 12, 50, 100]  # (away from restarts: Keras' float32 log)
    np.testing.assert_allclose(_show_values(capsys, path, steps),
                               _keras_values(keras_sched, steps), rtol=2e-6)


def test_spec_tf_keras_legacy_file(capsys, tmp_path):
    legacy = {"class_name": "PolynomialDecay", "config": {
        "initial_learning_rate": 0.1, "decay_steps": 30, "end_learning_rate": 0.01,
        "power": 2.0, "cycle": False, "name": None}}
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(legacy))
    oracle = KS.PolynomialDecay(0.1, 30, end_learning_rate=0.01, power=2.0)
    np.testing.assert_allclose(_show_values(capsys, path), _keras_values(oracle), rtol=2e-6)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras' own, NumPy 2
def test_spec_keras_optimizer_and_model_configs_and_archive(capsys, tmp_path):
    keras_sched = KS.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    expected = _keras_values(keras_sched)
    optimizer = keras.optimizers.AdamW(learning_rate=keras_sched)
    (tmp_path / "optimizer.json").write_text(json.dumps(keras.optimizers.serialize(optimizer)))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    (tmp_path / "model.json").write_text(
        json.dumps(keras.saving.serialize_keras_object(model)))
    model.save(tmp_path / "model.keras")
    for name in ("optimizer.json", "model.json", "model.keras"):
        np.testing.assert_allclose(_show_values(capsys, tmp_path / name), expected,
                                   rtol=1e-7, err_msg=name)


def test_spec_model_garden_configs(capsys, tmp_path):
    optimization = {
        "optimizer": {"type": "sgd", "sgd": {"momentum": 0.9}},
        "learning_rate": {"type": "cosine", "cosine": {
            "initial_learning_rate": 0.1, "decay_steps": 40}},
        "warmup": {"type": "linear", "linear": {"warmup_steps": 10}},
    }
    expected = np.asarray(jaxsched.from_model_garden_config(optimization)(np.array(AT)))
    experiment = {"task": {}, "trainer": {"optimizer_config": optimization}}
    for config in (optimization, experiment):
        path = tmp_path / "mg.json"
        path.write_text(json.dumps(config))
        _same_in_dtype(_show_values(capsys, path).astype(str), expected)


# --------------------------------------------------------------------------
# Bad SPECs: exit 2, one line on stderr, never a traceback


def _deep(levels):
    config = {"class_name": "ExponentialDecay", "config": {
        "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}}
    for _ in range(levels):
        config = {"wrapper": config}
    return json.dumps(config)


BAD = [
    ("unknown class", "Nonsense(0.1, 10)", "unknown schedule class 'Nonsense'"),
    ("missing argument", "CosineDecay(0.1)", "decay_steps"),
    ("unknown argument", "CosineDecay(0.1, 10, warmup=3)", "warmup"),
    ("bad value", "CosineDecay(0.1, 0)", "decay_steps` must be > 0"),
    ("bad type", "ExponentialDecay('fast', 10, 0.5)", "initial_learning_rate"),
    ("syntax", "CosineDecay(0.1, 10", "not a valid call"),
    ("eval attempt", "CosineDecay(__import__('os').getpid(), 10)", "__import__"),
    ("attribute", "CosineDecay(os.sep, 10)", "os.sep"),
    ("arithmetic", "CosineDecay(1e-3 * 2, 10)", "1e-3 * 2"),
    ("name", "CosineDecay(lr, 10)", "lr at column 13"),
    ("starred", "CosineDecay(*[0.1, 10])", "*arguments"),
    ("two calls", "CosineDecay(0.1, 10); CosineDecay(0.1, 10)", "not a valid call"),
    ("invalid JSON", "{'class_name': 1}", "not valid JSON"),
    ("JSON without a schedule", '{"optimizer": {"learning_rate": 0.1}}', "no schedule found"),
    ("JSON unknown class", '{"class_name": "Foo", "config": {}}', "unknown schedule class 'Foo'"),
    ("JSON bad argument", '{"class_name": "ExponentialDecay", "config": '
     '{"initial_learning_rate": 0.1, "decay_steps": -1, "decay_rate": 0.5}}', "decay_steps"),
    ("two schedules", '[{"learning_rate": {"class_name": "CosineDecay", "config": {}}}, '
     '{"learning_rate": {"class_name": "CosineDecay", "config": {}}}]', "holds 2 schedules"),
    ("optimizer constant", '{"class_name": "Adam", "config": {"learning_rate": 0.001}}',
     "'Adam' is an optimizer config"),
    ("Model Garden constant", '{"learning_rate": {"type": "constant", "constant": '
     '{"learning_rate": 0.1}}}', "constant learning rate"),
    ("too deep", _deep(MAX_DEPTH + 1), "no schedule found"),
    ("missing file", "no/such/file.json", "no such file"),
    ("neither", "cosine", "neither a file, JSON"),
    ("empty", "  ", "empty SPEC"),
    ("repeated keyword", "ExponentialDecay(0.1, 100, 0.5, staircase=True, "
     "staircase=False)", "keyword argument 'staircase' repeated"),
    ("JSON huge integer", '{"class_name": "Constant", "config": {"value": 1'
     + "0" * 5000 + "}}", "number too long to read"),
]


@pytest.mark.parametrize("spec, needle", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_spec_exits_2_with_one_line(capsys, spec, needle):
    code, out, err = _run(capsys, "show", spec, "--at", "0")
    assert code == 2 and out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("jaxsched show: error: ") and needle in err, err


def test_bad_files_exit_2_with_one_line(capsys, tmp_path):
    (tmp_path / "broken.json").write_text('{"class_name": ')
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00")
    cases = {str(tmp_path / "broken.json"): "not valid JSON",
             str(tmp_path / "binary.json"): "not a UTF-8 JSON file",
             str(tmp_path): "is a directory"}
    for spec, needle in cases.items():
        code, _, err = _run(capsys, "plot", spec, "--steps", 10, "--out",
                            tmp_path / "x.png")
        assert code == 2 and err.count("\n") == 1 and needle in err, err
    assert not (tmp_path / "x.png").exists()


def test_a_spec_is_never_evaluated(capsys, tmp_path):
    marker = tmp_path / "evaluated"
    spec = f"CosineDecay(open({str(marker)!r}, 'w').close() or 0.1, 10)"
    code, _, err = _run(capsys, "show", spec, "--at", "0")
    assert code == 2 and not marker.exists()


BAD_ARGS = [
    (["show", "CosineDecay(0.1, 10)"], "give the steps"),
    (["show", "CosineDecay(0.1, 10)", "--at", "1x"], "'1x' is not a step"),
    (["show", "CosineDecay(0.1, 10)", "--at", "1", "--steps", "5"], "not both"),
    (["show", "CosineDecay(0.1, 10)", "--every", "0", "--steps", "5"], "positive integer"),
    (["show", "CosineDecay(0.1, 10)", "--every", "1", "--steps", "10000000"], "rows"),
    (["plot", "CosineDecay(0.1, 10)"], "--steps"),
    (["plot", "CosineDecay(0.1, 10)", "--steps", "10", "--size", "big"], "WIDTHxHEIGHT"),
    (["convert", "CosineDecay(0.1, 10)", "--to", "yaml"], "invalid choice"),
    (["frobnicate"], "invalid choice"),
    ([], "give a command"),
]


@pytest.mark.parametrize("argv, needle", BAD_ARGS, ids=[" ".join(a[:1] + a[2:]) for a, _ in BAD_ARGS])
def test_bad_arguments_exit_2_with_one_line(capsys, argv, needle):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and needle in err, err


STEPS_BEYOND_INT64 = {
    "steps 10**19": ["show", "Constant(0.1)", "--steps", str(10**19)],
    "every 10**19 steps 10**20": ["show", "Constant(0.1)", "--every", str(10**19),
                                  "--steps", str(10**20)],
    "steps 5000 digits": ["show", "Constant(0.1)", "--steps", "1" + "0" * 5000],
    "steps 1e400": ["show", "Constant(0.1)", "--steps", "1e400"],
    "plot steps 10**19": ["plot", "Constant(0.1)", "--steps", str(10**19)],
}


@pytest.mark.parametrize("argv", STEPS_BEYOND_INT64.values(), ids=STEPS_BEYOND_INT64)
def test_integer_options_beyond_64_bits_exit_2_with_one_line(capsys, argv):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "must be at most 10**18" in err and len(err) < 300, err


def test_the_largest_steps_still_show(capsys):
    code, out, _ = _run(capsys, "show", "Constant(0.1)", "--every", 10**17,
                        "--steps", 10**18)
    assert code == 0 and list(_table(out)) == list(range(0, 10**18 + 1, 10**17))


def test_spec_files_are_regular_and_bounded(capsys, tmp_path, monkeypatch):
    """A device, or JSON beyond MAX_FILE_BYTES (a plain file, or a .keras
    archive's config.json however well it compresses), is refused before it
    is read: one line, exit 2."""
    from jaxsched import _spec

    monkeypatch.setattr(_spec, "MAX_FILE_BYTES", 1000)
    config = json.dumps(jaxsched.serialize(jaxsched.Constant(0.1)))
    (tmp_path / "small.json").write_text(config)
    (tmp_path / "big.json").write_text(config + " " * 1000)
    with zipfile.ZipFile(tmp_path / "bomb.keras", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", config + " " * 1000)
    with zipfile.ZipFile(tmp_path / "model.keras", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", config)
        z.writestr("model.weights.h5", b"\0" * 2000)  # (weights: any size)
    cases = {"/dev/null": "'/dev/null' is not a regular file",
             str(tmp_path / "big.json"): "too large for a JSON config",
             str(tmp_path / "bomb.keras"): "config.json in"}
    for spec, needle in cases.items():
        code, _, err = _run(capsys, "show", spec, "--at", "0")
        assert code == 2 and err.count("\n") == 1 and needle in err, err
        assert "the limit is" in err or "regular" in err, err
    for spec in ("small.json", "model.keras"):
        code, out, err = _run(capsys, "show", tmp_path / spec, "--at", "0")
        assert (code, err) == (0, "") and _table(out) == {0: "0.1"}


@pytest.mark.parametrize("command", ["show", "plot", "convert", None])
def test_help_on_every_subcommand(capsys, command):
    code, out, _ = _run(capsys, *([command] if command else []), "--help")
    assert code == 0
    assert out.startswith(f"usage: jaxsched{' ' + command if command else ''}")
    assert "SPEC" in out


# --------------------------------------------------------------------------
# convert


@pytest.mark.parametrize("name", ["CosineDecayRestarts", "PiecewiseConstantDecay"])
def test_convert_to_keras_is_what_keras_reads(capsys, name):
    sched = build(name)
    code, out, _ = _run(capsys, "convert", repr(sched), "--to", "keras")
    assert code == 0
    rebuilt = KS.deserialize(json.loads(out))
    assert type(rebuilt).__name__ == name
    steps = [0, 3, 17, 1000]
    np.testing.assert_allclose(_keras_values(rebuilt, steps),
                               np.asarray(sched(np.array(steps))), rtol=2e-6)


def test_convert_to_jaxsched_round_trips_and_writes_a_file(capsys, tmp_path):
    sched = build("LinearWarmup")
    out_file = tmp_path / "sched.json"
    code, out, _ = _run(capsys, "convert", repr(sched), "--to", "jaxsched", "--out", out_file)
    assert code == 0 and str(out_file) in out
    assert json.loads(out_file.read_text()) == jaxsched.serialize(sched)


def test_convert_a_class_keras_lacks_exits_2_naming_it(capsys):
    code, out, err = _run(capsys, "convert", "LinearCosineDecay(0.1, 100)", "--to", "keras")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "Keras 3 has no LinearCosineDecay" in err


# --------------------------------------------------------------------------
# plot


def _png(path):
    image = matplotlib.image.imread(path)  # (H, W, 4) floats
    return image[..., :3]


def _check_png(path, width, height):
    image = _png(path)
    assert image.shape[:2] == (height, width)
    ink = np.any(image < 0.9, axis=-1).mean()  # not blank, not a solid block
    assert 0.01 < ink < 0.5, ink
    colours = np.unique((image * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 20  # antialiased curves and text, not one flat colour


def test_plot_writes_a_png_of_the_requested_size(capsys, tmp_path):
    out_file = tmp_path / "lr.png"
    code, out, err = _run(capsys, "plot", "CosineDecay(0.0, 900, warmup_target=1.0, "
                          "warmup_steps=100)", "CosineDecayRestarts(1.0, 100, m_mul=0.7)",
                          "--steps", 1000, "--log", "--out", out_file, "--size", "640x400")
    assert (code, err) == (0, "") and f"wrote {out_file}" in out
    _check_png(out_file, 640, 400)


def test_plot_returns_axes_with_labelled_curves_and_markers():
    import matplotlib.pyplot as plt

    warm = jaxsched.CosineDecay(0.0, 400, warmup_target=1.0, warmup_steps=100)
    restarts = jaxsched.CosineDecayRestarts(1.0, 50, t_mul=2.0)
    steps_ = jaxsched.PiecewiseConstantDecay([120, 300], [1.0, 0.5, 0.1])
    fig, ax = plt.subplots()
    try:
        assert jaxsched.plot([warm, restarts, steps_], 600, ax=ax) is ax
        curves = [line for line in ax.get_lines() if line.get_linestyle() != "None"]
        assert [c.get_label() for c in curves] == [repr(s) for s in (warm, restarts, steps_)]
        for curve, sched in zip(curves, (warm, restarts, steps_)):
            x = curve.get_xdata()
            assert x[0] == 0 and x[-1] == 600
            np.testing.assert_allclose(curve.get_ydata(), np.asarray(sched(x)), rtol=1e-6)
        marks = {}
        for line in ax.get_lines():
            if line.get_linestyle() == "None":
                marks.setdefault(line.get_marker(), set()).update(line.get_xdata().tolist())
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert {"warmup end", "decay end", "restart", "boundary"} <= set(legend)
        from jaxsched._plot import MARKERS

        assert {100} <= marks[MARKERS["warmup end"]]
        assert {500} <= marks[MARKERS["decay end"]]  # warmup + decay
        period_starts = {50 * (2**i - 1) for i in range(1, 4)}  # 50, 150, 350
        assert period_starts <= marks[MARKERS["restart"]]
        assert {120, 300} <= marks[MARKERS["boundary"]]
        assert ax.get_xlabel() == "step" and ax.get_ylabel() == "learning rate"
    finally:
        plt.close(fig)


def test_plot_draws_a_curve_per_member_of_a_stacked_schedule():
    import matplotlib.pyplot as plt

    members = [jaxsched.ExponentialDecay(lr, 100, 0.5) for lr in (0.1, 0.2, 0.4)]
    fig, ax = plt.subplots()
    try:
        jaxsched.plot(jaxsched.stack(members), np.arange(0, 300, 7), ax=ax)
        lines = ax.get_lines()
        assert len(lines) == 3
        for line, member in zip(lines, members):
            np.testing.assert_allclose(line.get_ydata(), member(line.get_xdata()), rtol=1e-6)
    finally:
        plt.close(fig)


def test_plot_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "jaxsched\[plot\]"'):
        jaxsched.plot(jaxsched.ExponentialDecay(0.1, 10, 0.5), 100)


def test_plot_rejects_bad_steps_and_non_schedules():
    with pytest.raises(ValueError, match="steps"):
        jaxsched.plot(jaxsched.ExponentialDecay(0.1, 10, 0.5), 0)
    with pytest.raises(TypeError, match=r"schedule_or_list\[1\]"):
        jaxsched.plot([jaxsched.ExponentialDecay(0.1, 10, 0.5), lambda t: 0.1], 10)


# --------------------------------------------------------------------------
# Packaging: the console script, py.typed; and three real subprocesses


def test_console_script_and_py_typed_are_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["jaxsched"] == "jaxsched._cli:main"
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["jaxsched"]
    assert (ROOT / "jaxsched" / "py.typed").exists()


def _subprocess(*argv, **env):
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "jaxsched", *map(str, argv)],
                          capture_output=True, text=True, env=environment, timeout=120)


def test_python_m_jaxsched_show():
    sched = jaxsched.InverseTimeDecay(0.3, 4, 2.0, staircase=True)
    done = _subprocess("show", repr(sched), "--at", "0,3,4,9,100")
    assert done.returncode == 0, done.stderr
    table = _table(done.stdout)
    _same_in_dtype(table.values(), sched(np.array([0, 3, 4, 9, 100])))


def test_python_m_jaxsched_plot_without_a_display(tmp_path):
    out_file = tmp_path / "curve.png"
    done = _subprocess("plot", "ExponentialDecay(1.0, 100, 0.5, staircase=True)",
                       "--steps", 500, "--out", out_file, MPLBACKEND="Agg", DISPLAY="")
    assert done.returncode == 0, done.stderr
    _check_png(out_file, 800, 500)


def test_python_m_jaxsched_bad_spec():
    done = _subprocess("show", "CosineDecay(0.1, decay_steps=-5)", "--at", "0")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "decay_steps" in done.stderr
    assert "Traceback" not in done.stderr


# --------------------------------------------------------------------------
# The gallery (examples/gallery.py, docs/*.png)


def _gallery(monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("gallery", ROOT / "examples" / "gallery.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # (for its dataclass)
    spec.loader.exec_module(module)
    return module


def test_gallery_shows_every_class_and_renders_small_pngs(monkeypatch, tmp_path):
    gallery = _gallery(monkeypatch)
    assert gallery.missing_classes() == []
    entry = next(e for e in gallery.GALLERY if e.file == "cosine_decay_restarts")
    path = gallery.render(entry, tmp_path)
    _check_png(path, *gallery.SIZE)
    for committed in (ROOT / "docs").glob("*.png"):
        assert committed.stat().st_size < 60_000, committed
    names = {f"{e.file}.png" for e in gallery.GALLERY}
    assert names == {p.name for p in (ROOT / "docs").glob("*.png")}
