"""The README's Python snippets run, in order, in one namespace (as a reader
pasting them into one session would)."""

from __future__ import annotations

import pathlib
import re
import sys
import textwrap
import types

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def _python_blocks():
    # Blocks inside list items are indented: dedent them.
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    return [textwrap.dedent(b) for b in blocks]


def test_readme_python_blocks_run(monkeypatch):
    blocks = _python_blocks()
    assert len(blocks) >= 5
    # A real module, so that dataclasses defined in the snippets resolve.
    module = types.ModuleType("readme_snippets")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"README.md block {i}", "exec"), module.__dict__)
        except Exception as exc:  # pragma: no cover - the message is the point
            raise AssertionError(f"README block {i} failed:\n{block}") from exc
