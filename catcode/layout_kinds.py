"""The layout kinds a memory experiment is built on, by name.

A module of its own so that command-line parsers can list them without importing the layouts
(networkx) or the compiler; :mod:`catcode.experiment` builds them.

>>> "chain" in LAYOUTS
True
"""

LAYOUTS = ("chain", "ocelot", "rotated_surface", "rectangular_surface", "ldpc_cat")
