"""`python -m build` makes a wheel and an sdist named catcode-qec with complete metadata (issue 13)."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_and_sdist_have_complete_metadata(tmp_path):
    pytest.importorskip("build")
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = tmp_path.glob("catcode_qec-*.whl")
    (sdist,) = tmp_path.glob("catcode_qec-*.tar.gz")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode())
        entry_points = zf.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    assert meta["Name"] == "catcode-qec"
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["Author"] or meta["Author-email"]
    assert meta.get_all("Classifier") and meta["Requires-Python"]
    assert "catcode compiles Stim circuits" in meta.get_payload()  # the README is the long description
    assert "catcode = catcode.cli:console_main" in entry_points
    assert any(n.startswith("catcode/cli/") for n in names) and "catcode/__init__.py" in names
    with tarfile.open(sdist) as tf:
        assert any(n.endswith("/pyproject.toml") for n in tf.getnames())
