"""Every notebook runs, and every figure cell shows a figure (replaces nbmake in CI).

Rule (README, "Notebooks"): a code cell whose metadata tags include ``"figure"`` must produce an
``image/png`` output when executed in Jupyter (with matplotlib's inline backend). Notebooks run
with small ``CATCODE_NOTEBOOK_SHOTS`` (default here 2000 unless the environment sets it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def figure_cells_without_png(nb) -> list[int]:
    """Indices of code cells tagged ``figure`` that have no ``image/png`` output."""
    missing = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "figure" not in cell.get("metadata", {}).get("tags", []):
            continue
        if not any("image/png" in out.get("data", {}) for out in cell.get("outputs", [])):
            missing.append(i)
    return missing


def test_rule_detects_a_missing_figure():
    nb = nbformat.v4.new_notebook()
    shown = nbformat.v4.new_code_cell("fig", metadata={"tags": ["figure"]})
    shown.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBOR"})]
    hidden = nbformat.v4.new_code_cell("fig", metadata={"tags": ["figure"]})
    hidden.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "<Figure size 640x480>"})]
    nb.cells = [shown, hidden, nbformat.v4.new_code_cell("1")]
    assert figure_cells_without_png(nb) == [1]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_shows_its_figures(path, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel must use the inline backend
    monkeypatch.setenv("CATCODE_NOTEBOOK_SHOTS", os.environ.get("CATCODE_NOTEBOOK_SHOTS", "2000"))
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    assert figure_cells_without_png(nb) == [], f"{path.name}: figure cells without an image/png output"
