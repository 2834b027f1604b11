"""Regenerate every example circuit in this folder: ``python circuits/regenerate.py``.

Each circuit is named by its metadata (``key=value,...stim``), so
``sinter collect --circuits circuits/*.stim --metadata_func auto`` reads it back. A test
regenerates them into a temporary folder and fails if any byte differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from catcode.experiment import build_circuit, experiment_metadata, metadata_filename, stim_file_text
from catcode.io import write_atomically

HERE = Path(__file__).resolve().parent


def examples() -> list[dict]:
    """Metadata of every example circuit."""
    out = []
    for basis in "XZ":
        out.append(experiment_metadata("ocelot", 5, rounds=5, basis=basis, noise="depolarizing", p=0.001))
        out.append(experiment_metadata("chain", 7, rounds=7, basis=basis, noise="biased", p=0.001, eta=1000))
        out.append(experiment_metadata("chain", 5, ancilla="cat", rounds=5, basis=basis, noise="biased", p=0.001, eta=1000))
        # Calibrated Ocelot noise at its operating point (docs/calibration.md): d = 5 and a d = 3 section.
        out.append(experiment_metadata("ocelot", 5, rounds=5, basis=basis, noise="ocelot", nbar=1.5))
        out.append(experiment_metadata("ocelot", 3, section="1-3", rounds=3, basis=basis, noise="ocelot", nbar=1.5))
    return out


def regenerate(directory: Path = HERE) -> list[Path]:
    """Write every example into ``directory``; return the paths written."""
    paths = []
    for meta in examples():
        path = directory / metadata_filename(meta)
        write_atomically(path, stim_file_text(build_circuit(meta), meta))
        paths.append(path)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for p in regenerate(target):
        print(p.name)
