"""Every README example is a test (issue 13).

* Each fenced ```bash block of README.md runs in one temporary directory, in order (later blocks
  use earlier blocks' files), with ``CATCODE_MAX_SHOTS`` small; each ```python block runs with
  the interpreter. A block whose first line is ``# readme-example: skip`` is not run.
* Each example in a command's ``--help`` epilog must parse with that command's flags (the files
  they name are placeholders, so they are parsed, not run).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = "# readme-example: skip"
FENCE = re.compile(r"^```(bash|python)\n(.*?)^```", re.S | re.M)


def readme_blocks() -> list[tuple[str, str]]:
    """(language, code) of every fenced bash/python block of README.md, in order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer((ROOT / "README.md").read_text())]


def test_the_readme_has_runnable_examples():
    blocks = readme_blocks()
    assert sum(1 for lang, _ in blocks if lang == "python") >= 1
    assert sum(1 for _, code in blocks if not code.startswith(SKIP)) >= 2


@pytest.mark.slow
def test_readme_blocks_run(tmp_path):
    env = dict(os.environ, CATCODE_MAX_SHOTS="200", MPLBACKEND="Agg",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    for i, (lang, code) in enumerate(readme_blocks()):
        if code.startswith(SKIP):
            continue
        argv = ["bash", "-euo", "pipefail", "-c", code] if lang == "bash" else [sys.executable, "-c", code]
        proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"README block {i} ({lang}) failed:\n{code}\n--- stderr:\n{proc.stderr[-2000:]}"


def help_examples() -> list[tuple[str, list[str]]]:
    """(verb, argv) of every `catcode VERB ...` example in the --help epilogs."""
    import importlib

    from catcode.cli import COMMANDS

    out = []
    for verb, (module, _) in COMMANDS.items():
        epilog = getattr(importlib.import_module(module), "EPILOG", "")
        text = re.sub(r"\\\n\s*", " ", epilog)
        for line in text.splitlines():
            line = line.strip()
            if line.startswith(f"catcode {verb} "):
                # a `\` + newline inside a non-raw docstring collapses two lines into one with a
                # run of spaces: the help then shows one long line instead of the continuation
                out.append((verb, [] if "    " in line else shlex.split(line)[1:]))
    return out


class _Parsed(BaseException):
    """Raised after a successful parse, so the example is checked without running."""


def test_every_verb_has_help_examples():
    from catcode.cli import COMMANDS

    assert {verb for verb, _ in help_examples()} == set(COMMANDS)


@pytest.mark.parametrize("verb,argv", help_examples(), ids=lambda v: v if isinstance(v, str) else " ".join(v)[:60])
def test_help_example_parses(verb, argv, monkeypatch):
    import catcode.cli

    original = catcode.cli.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):
        original(self, args, namespace)
        raise _Parsed

    monkeypatch.setattr(catcode.cli.ArgumentParser, "parse_args", parse_then_stop)
    assert argv, f"collapsed line continuation (a run of spaces) in a `catcode {verb} --help` example"
    with pytest.raises(_Parsed):
        catcode.cli.main(argv)
