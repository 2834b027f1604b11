"""catcode: Stim circuits for biased-noise repetition codes of cat qubits.

>>> import catcode
>>> circuit = catcode.memory_circuit(catcode.Layout.ocelot(), catcode.noise.biased(1e-3, eta=100), rounds=5, basis="X")
>>> circuit.num_detectors
24
"""

from catcode._version import __version__

# Everything below is imported on first use (PEP 562), so that `import catcode.<module>` costs
# only that module: sinter's worker processes import catcode.sampling, not networkx.
_LAZY = {
    "noise": "catcode.noise",
    "physics": "catcode.physics",
    "threshold": "catcode.threshold",
    "ideal_memory_circuit": "catcode.compiler",
    "logical_support": "catcode.compiler",
    "memory_circuit": "catcode.compiler",
    "CatcodeError": "catcode.errors",
    "build_circuit": "catcode.experiment",
    "experiment_metadata": "catcode.experiment",
    "Layout": "catcode.layout",
    "Stabilizer": "catcode.layout",
    "CircuitCheckError": "catcode.verify",
    "verify_memory_circuit": "catcode.verify",
}

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


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'catcode' has no attribute {name!r}")
    import importlib

    value = importlib.import_module(module)
    value = value if module.endswith("." + name) else getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
