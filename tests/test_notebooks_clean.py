"""Notebooks are committed with outputs stripped; CI executes them (tests/test_notebooks_figures.py) with small shot counts."""

import json
from pathlib import Path

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_notebooks_exist():
    assert {p.name for p in NOTEBOOKS} >= {"ocelot.ipynb", "threshold.ipynb", "overhead.ipynb"}


def test_outputs_are_stripped():
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell.get("outputs") == [] and cell.get("execution_count") is None, path.name
