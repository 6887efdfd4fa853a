"""The README's examples run as written.

Each ```python block runs on its own (one test each), in a fresh namespace
(a reader pastes one block into a new session).
The ``jaxsched`` command lines of the ```bash blocks run in order too (the
later ones read the files the earlier ones write), through ``main``.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import re
import shlex
import sys
import textwrap
import types

import jax
import matplotlib
import pytest

from jaxsched._cli import main
from test_integration import README_SECTIONS, _readme_blocks

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def _blocks(language):
    # Blocks inside list items are indented: dedent them.
    found = re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)
    return [textwrap.dedent(b) for b in found]


def _python_blocks():
    return _blocks("python")


def _command_lines():
    """The `jaxsched ...` lines of the bash blocks, continuations joined."""
    lines = []
    for block in _blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith("jaxsched "):
                lines.append(shlex.split(line, comments=True)[1:])
    return lines


def test_the_readme_has_its_python_blocks():
    assert len(_python_blocks()) >= 10


# The blocks that test_integration.py runs on their own and checks the
# results of (its README_SECTIONS): not run twice.
CHECKED_ELSEWHERE = {textwrap.dedent(b) for section in README_SECTIONS
                     for b in _readme_blocks(*section)}
ON_ITS_OWN = [i for i, b in enumerate(_python_blocks()) if b not in CHECKED_ELSEWHERE]


def test_every_python_block_is_run_here_or_in_test_integration():
    assert len(ON_ITS_OWN) >= 8
    assert len(_python_blocks()) - len(ON_ITS_OWN) == len(CHECKED_ELSEWHERE) >= 6


@pytest.mark.parametrize("i", ON_ITS_OWN)
def test_readme_python_block_runs_on_its_own(i, monkeypatch, tmp_path):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)  # blocks may write files (plots)
    block = _python_blocks()[i]
    # A real module per block, so that dataclasses defined in it resolve.
    module = types.ModuleType(f"readme_block_{i}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block, f"README.md python block {i}", "exec"), module.__dict__)
    except Exception as exc:  # pragma: no cover - the message is the point
        raise AssertionError(f"README python block {i} failed:\n{block}") from exc


def test_readme_jaxsched_commands_run(monkeypatch, tmp_path, capsys):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    commands = _command_lines()
    assert {argv[0] for argv in commands} >= {"show", "plot", "convert"}
    for argv in commands:
        code = main(argv)
        _, err = capsys.readouterr()
        assert code == 0, (argv, err)


def test_readme_show_table_is_the_commands_output(capsys):
    """The table printed in the README is what `jaxsched show` prints."""
    text = README.read_text()
    table = re.search(r"```text\n(# CosineDecay.*?)```", text, flags=re.S).group(1)
    command = next(a for a in _command_lines() if a[0] == "show" and "--at" in a)
    with jax.enable_x64(False):  # the README shows float32 (the default) values
        assert main(command) == 0
    assert capsys.readouterr().out == table


def test_readme_gallery_shows_every_picture():
    text = README.read_text()
    shown = set(re.findall(r'src="(docs/[\w.]+\.png)"', text))
    on_disk = {f"docs/{p.name}" for p in (README.parent / "docs").glob("*.png")}
    assert shown == on_disk and shown


@pytest.mark.parametrize("command", ["python -m pip install -e \".[plot]\" && python "
                                     "examples/quickstart.py",
                                     "python -m pip install -e \".[dev]\" && python -m "
                                     "pytest -n 2"])
def test_readme_starts_with_the_two_commands(command):
    first_block = _blocks("bash")[0]
    assert command in first_block
