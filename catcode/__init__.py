"""catcode: Stim circuits for biased-noise repetition codes of cat qubits."""

__version__ = "0.1.0"

from catcode.errors import CatcodeError
