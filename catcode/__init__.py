"""catcode: Stim circuits for biased-noise repetition codes of cat qubits.

>>> import catcode
>>> circuit = catcode.memory_circuit(catcode.Layout.ocelot(), catcode.noise.biased(1e-3, eta=100), rounds=5, basis="X")
>>> circuit.num_detectors
24
"""

from catcode._version import __version__

from catcode import noise, physics
from catcode.compiler import ideal_memory_circuit, logical_support, memory_circuit
from catcode.errors import CatcodeError
from catcode.experiment import build_circuit, experiment_metadata
from catcode.layout import Layout, Stabilizer
from catcode.verify import CircuitCheckError, verify_memory_circuit

__all__ = [
    "CatcodeError",
    "CircuitCheckError",
    "Layout",
    "Stabilizer",
    "build_circuit",
    "experiment_metadata",
    "ideal_memory_circuit",
    "logical_support",
    "memory_circuit",
    "noise",
    "physics",
    "threshold",
    "verify_memory_circuit",
    "__version__",
]


def __getattr__(name: str):  # lazy: catcode.threshold imports sinter, which plain use does not need
    if name == "threshold":
        import importlib

        return importlib.import_module("catcode.threshold")
    raise AttributeError(f"module 'catcode' has no attribute {name!r}")
