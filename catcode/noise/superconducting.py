"""SI1000, the superconducting-inspired baseline noise; defined with the other rule-table presets in
:mod:`catcode.noise.generic` and re-exported here for existing imports."""

from catcode.noise.generic import SI1000, si1000

__all__ = ["SI1000", "si1000"]
