"""The examples run and do what their docstrings say."""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quickstart_trains(tmp_path, capsys):
    quickstart = _load("quickstart")
    out = tmp_path / "curve.png"
    losses = quickstart.main(["--steps", "120", "--out", str(out)])
    printed = capsys.readouterr().out
    assert "learning rate" in printed and "final loss" in printed
    assert np.mean(losses[-10:]) < 0.2 * np.mean(losses[:10])
    if importlib.util.find_spec("matplotlib") is not None:
        assert out.exists() and out.stat().st_size > 10_000
    else:
        assert "matplotlib not installed" in printed
