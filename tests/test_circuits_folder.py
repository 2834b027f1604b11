"""The committed example circuits are exactly what regeneration produces."""

import runpy
from pathlib import Path

import stim

ROOT = Path(__file__).resolve().parents[1]


def test_regeneration_changes_no_byte(tmp_path):
    module = runpy.run_path(str(ROOT / "circuits" / "regenerate.py"))
    written = module["regenerate"](tmp_path)
    committed = sorted(p.name for p in (ROOT / "circuits").glob("*.stim"))
    assert sorted(p.name for p in written) == committed
    for path in written:
        assert path.read_bytes() == (ROOT / "circuits" / path.name).read_bytes(), path.name


def test_committed_circuits_load_and_decompose():
    for path in (ROOT / "circuits").glob("*.stim"):
        circuit = stim.Circuit.from_file(path)
        circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
