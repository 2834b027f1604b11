"""The device as a networkx graph: cats, transmons and buffers, their couplings and parameters.

A :class:`Layout` wraps a :class:`networkx.Graph` whose

* nodes carry ``kind`` (``"cat"``, ``"transmon"`` or ``"buffer"``), ``role`` (``"data"`` or
  ``"ancilla"``; buffers have none), planar ``coords`` ``(x, y)`` and optional per-component
  parameter overrides under ``params`` (e.g. ``{"kappa_1_hz": 2e4}`` for one cat);
* edges carry ``kind``: ``"cx"`` between an ancilla and a data qubit (with the integer ``layer``
  in which that CX runs and optional ``params`` such as ``{"cx_duration_ns": 552}``), or
  ``"stabilization"`` between a cat and its buffer.

Everything the compiler needs (stabilisers, CX order, qubit indices) is read off this graph.

>>> layout = Layout.chain(3)
>>> layout.num_qubits, layout.distance
(5, 3)
>>> [(s.ancilla, s.data) for s in layout.stabilizers]
[('A1', ('D1', 'D2')), ('A2', ('D2', 'D3'))]
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import networkx as nx

from catcode.errors import CatcodeError, _real, _short, name_list, require_choice, require_instance, require_int_at_least

_DERIVED: dict[int, dict[str, dict]] = {}  # id(layout) -> {owner: cache}; see derived_cache


def derived_cache(layout: Layout, owner: str) -> dict:
    """``owner``'s cache of what it derives from one layout object (layouts are immutable).

    The compiler keeps one round's instructions here, the noise pass its noise classes. Keyed by
    identity, whatever equality or hashing ``Layout`` defines; not part of the layout's state (a
    pickled layout carries none of it); dropped when the layout is garbage-collected.

    >>> layout = Layout.chain(3)
    >>> derived_cache(layout, "doc") is derived_cache(layout, "doc"), derived_cache(Layout.chain(3), "doc")
    (True, {})
    """
    key = id(layout)
    caches = _DERIVED.get(key)
    if caches is None:
        caches = _DERIVED[key] = {}
        weakref.finalize(layout, _DERIVED.pop, key, None)
    cache = caches.get(owner)  # not setdefault: no new dict on every call (the presets ask dozens of times per compile)
    if cache is None:
        cache = caches[owner] = {}
    return cache


#: Upper bound on a 2-D patch's distances: a rotated surface code of distance d has 2 d^2 - 1
#: qubits; d = 1000 took > 30 s to build, d <= 101 (20401 qubits) builds in about a second.
MAX_DISTANCE = 101
#: Upper bound on a repetition chain's distance: 2 d - 1 qubits, linear build (d = 10001: 20001
#: qubits, the size of the largest surface patch), so the same memory and time budget.
MAX_CHAIN_DISTANCE = 10_001
#: Upper bound on an LDPC-cat code's width (columns): at most 8 x 101 data cats, the scale of the
#: largest surface patch's row count; the construction is linear in the width.
MAX_LDPC_WIDTH = MAX_DISTANCE
#: Upper bound on a CX edge's ``layer`` index: layouts use a handful (4 for surface patches, a few
#: more with gaps for LDPC-cat codes); the compiler walks every index up to the largest.
MAX_CX_LAYER = 1000

NODE_KINDS = ("cat", "transmon", "buffer")
QUBIT_KINDS = ("cat", "transmon")
ROLES = ("data", "ancilla")
EDGE_KINDS = ("cx", "stabilization")
CODES = ("repetition", "rotated_surface", "ldpc_cat")


@dataclass(frozen=True)
class Stabilizer:
    """One check: ``ancilla`` measures the product of ``basis`` Paulis on ``data``.

    ``data`` is listed in the order the ancilla's CX gates run (their ``layer``).
    """

    ancilla: str
    basis: str
    data: tuple[str, ...]
    layers: tuple[int, ...]


class Layout:
    """A cat-qubit device: a validated networkx graph plus what the compiler reads off it.

    Build one with :meth:`chain`, :meth:`ocelot`, :meth:`rotated_surface` or
    :meth:`rectangular_surface`, or pass your own
    graph (it is validated and copied).

    >>> Layout.ocelot().num_qubits
    9
    >>> Layout.ocelot().section(3, 5).data_qubits
    ('D3', 'D4', 'D5')
    """

    def __init__(self, graph: nx.Graph, *, name: str = "custom", code: str = "repetition") -> None:
        if not isinstance(graph, nx.Graph) or graph.is_directed() or graph.is_multigraph():
            raise CatcodeError(f"graph must be an undirected networkx.Graph; got {type(graph).__name__}")
        if not isinstance(name, str):
            raise CatcodeError(f"name must be a string; got {_short(name)}")
        require_choice("code", code, CODES)
        self._adopt(graph.copy(), name, code)
        self._validate()

    @classmethod
    def _owned(cls, graph: nx.Graph, name: str, code: str, *, validate: bool = True) -> Layout:
        """A layout around ``graph`` without copying it (the caller built it and hands it over).

        ``validate=False`` is for graphs that differ from an already validated layout's only
        in checked parameter overrides (:meth:`with_params`).
        """
        self = cls.__new__(cls)
        self._adopt(graph, name, code)
        if validate:
            self._validate()
        return self

    def _adopt(self, graph: nx.Graph, name: str, code: str) -> None:
        self.graph: nx.Graph = nx.freeze(graph)
        self.name = name
        self.code = code

    # ------------------------------------------------------------------ constructors
    @classmethod
    def chain(cls, distance: int, ancilla: str = "transmon", *, params: Mapping[str, Any] | None = None) -> Layout:
        """A linear repetition code: ``distance`` data cats, ``distance - 1`` ancillas, buffers.

        Data cats ``D1..Dd`` sit at ``x = 0, 2, 4, ...``; ancilla ``Ai`` sits between ``Di`` and
        ``D(i+1)`` and runs its CX with ``Di`` in layer 0 and with ``D(i+1)`` in layer 1 (the order
        of Stim's ``repetition_code:memory``). Every cat has its buffer ``B<name>`` above it: with
        ``ancilla="transmon"`` that is ``distance`` buffers; with ``ancilla="cat"`` (the repetition
        cat code of Guillaud & Mirrahimi, PRX 9, 041053 (2019)) the ancilla cats are stabilised
        too, so there are ``2 * distance - 1``.

        ``params`` (optional) are overrides set on every qubit node.

        >>> Layout.chain(2, ancilla="cat").graph.nodes["A1"]["kind"]
        'cat'
        """
        require_int_at_least("distance", distance, 2, MAX_CHAIN_DISTANCE)
        require_choice("ancilla", ancilla, QUBIT_KINDS)
        shared = _shared_params(params)
        g = nx.Graph()
        for i in range(1, distance + 1):
            _add_cat_with_buffer(g, f"D{i}", "data", (2 * (i - 1), 0), shared)
        for i in range(1, distance):
            name, xy = f"A{i}", (2 * i - 1, 0)
            if ancilla == "cat":
                _add_cat_with_buffer(g, name, "ancilla", xy, shared)
            else:
                g.add_node(name, kind="transmon", role="ancilla", coords=xy, params=dict(shared))
            g.add_edge(name, f"D{i}", kind="cx", layer=0, params={})
            g.add_edge(name, f"D{i + 1}", kind="cx", layer=1, params={})
        return cls._owned(g, f"chain_{ancilla}", "repetition")

    @classmethod
    def ocelot(cls, params: Mapping[str | tuple[str, str], Mapping[str, Any]] | None = None) -> Layout:
        """Ocelot's device (Putterman et al., Nature 638, 927 (2025); docs/physics.md §5).

        Five cat data qubits with their five buffers and four transmon ancillas, each measuring
        ``X_i X_(i+1)`` of its two neighbours through two CX gates. The noise presets carry
        Ocelot's device-wide numbers; ``params`` sets per-component overrides, keyed by a node
        (``"D2"``, ``"A1"``, the buffer ``"BD3"``) or a coupling (``("A1", "D1")``), e.g. a CX duration per
        coupling inside the published 292-552 ns. Each override changes only its component's channels.

        >>> Layout.ocelot({("A1", "D1"): {"cx_duration_ns": 292.0}}).edge_params("A1", "D1")
        {'cx_duration_ns': 292.0}
        """
        if params is not None and not isinstance(params, Mapping):
            raise CatcodeError("params must be a mapping of component (a node such as 'D2' or a coupling "
                               f"('A1', 'D1')) -> {{name: value}}, or None; got {_short(params)}")
        chain = cls.chain(5, ancilla="transmon")
        layout = cls._owned(nx.Graph(chain.graph), "ocelot", "repetition", validate=False)
        for component, values in (params or {}).items():
            if not isinstance(values, Mapping):
                raise CatcodeError(f"params[{_short(component)}] must be a mapping of parameter name -> value; "
                                   f"got {_short(values)}")
            if values:
                layout = layout.with_params(component, **_keyword_params(f"params[{_short(component)}]", values))
            else:  # an empty mapping sets nothing, but must still name a component
                layout._require_component(component)
        return layout

    def section(self, first: int, last: int) -> Layout:
        """The contiguous sub-chain of data cats ``D<first>..D<last>`` (1-based, inclusive).

        Keeps the ancillas between them, their buffers, coordinates and overrides. Ocelot's two
        distance-3 sections are ``section(1, 3)`` and ``section(3, 5)``.
        """
        if self.code != "repetition":
            raise CatcodeError(f"section() needs a repetition-code layout; this one is {self.code!r}")
        d = self.distance
        for label, v in (("first", first), ("last", last)):
            require_int_at_least(f"section {label}", v, 1, d)
        first, last = int(first), int(last)
        if last - first < 1:
            raise CatcodeError(f"a section needs at least 2 data cats: need first < last; got {first}..{last}")
        keep_data = set(self.data_qubits[first - 1 : last])
        keep = set(keep_data)
        for stab in self.stabilizers:
            if set(stab.data) <= keep_data:
                keep.add(stab.ancilla)
        for node in list(keep):
            keep.update(n for n in self.graph[node] if self.graph.nodes[n]["kind"] == "buffer")
        sub = nx.Graph(self.graph.subgraph(keep))
        return Layout._owned(sub, f"{self.name}[{first}-{last}]", self.code)

    @classmethod
    def rotated_surface(cls, distance: int) -> Layout:
        """A rotated surface code of transmons: ``d*d`` data and ``d*d - 1`` measure qubits.

        Data qubits sit at odd ``(x, y)`` in ``[1, 2d-1]``; measure qubits at even positions. The
        CX order is the standard hook-safe "N/Z" order (X checks: NE, NW, SE, SW... mirrored for
        Z checks) so that hook errors run perpendicular to the logical operator they could shorten
        (Tomita & Svore, PRA 90, 062320 (2014)). X-type boundaries are top/bottom. X-check
        ancillas change basis with Hadamards, as in Stim's generated circuits.
        """
        require_int_at_least("distance", distance, 2, MAX_DISTANCE)
        g = _rotated_patch(distance, distance, data="transmon", ancilla="transmon", params={})
        g.graph["ancilla_x_basis_via_h"] = True
        return cls._owned(g, "rotated_surface", "rotated_surface")

    @classmethod
    def rectangular_surface(
        cls, phase_distance: int, bit_distance: int, ancilla: str = "transmon", *, params: Mapping[str, Any] | None = None
    ) -> Layout:
        """The thin rectangular surface code of cats: ``phase_distance`` wide, ``bit_distance`` tall.

        Cat data qubits (each with its buffer) on a ``phase_distance x bit_distance`` rotated
        surface-code patch, as in Chamberland et al., PRX Quantum 3, 010329 (2022) (cat ancillas)
        and Hann et al., arXiv:2410.23363 (transmon ancillas): one ancilla per check, X-type checks
        (detect phase flips, ancilla controls the CX onto the data) and Z-type checks (detect the
        rare bit flips, data cat controls the CX onto the ancilla). Cat ancillas get buffers too.

        Which dimension carries which distance: data sit at ``x = 1, 3, ..., 2 p - 1`` and
        ``y = 1, 3, ..., 2 b - 1``; X-type boundaries are top and bottom, so the logical X is a
        column (``b`` cats) and the logical Z a row (``p`` cats). The X memory fails on a row of
        phase flips: distance ``phase_distance`` against Z errors; the Z memory fails on a column
        of bit flips: distance ``bit_distance`` against X errors. The CX order is the hook-safe
        order of :meth:`rotated_surface`: an X check's hook (X errors) lies along a row, a Z check's
        hook (Z errors, which a Z-check ancilla kicks back onto the data controls) along a column,
        so neither shortens the logical operator it could complete. Ancillas are prepared and
        measured in their check basis directly (no Hadamards): cat ancillas |+> / X readout and
        |0> / Z readout, transmons likewise (|g>, Z readout for Z checks).

        >>> layout = Layout.rectangular_surface(5, 3)
        >>> layout.phase_distance, layout.bit_distance, layout.num_qubits
        (5, 3, 29)
        >>> Layout.rectangular_surface(3, 2, ancilla="cat").graph.number_of_nodes()  # 11 qubits + 11 buffers
        22
        """
        require_int_at_least("phase_distance", phase_distance, 2, MAX_DISTANCE)
        require_int_at_least("bit_distance", bit_distance, 2, MAX_DISTANCE)
        require_choice("ancilla", ancilla, QUBIT_KINDS)
        g = _rotated_patch(phase_distance, bit_distance, data="cat", ancilla=ancilla, params=_shared_params(params))
        return cls._owned(g, f"rectangular_surface_{ancilla}", "rotated_surface")

    # ------------------------------------------------------------------ derived structure
    @cached_property
    def data_qubits(self) -> tuple[str, ...]:
        """Data qubit names, ordered by coordinates (x, then y)."""
        return tuple(sorted(self._roles["data"], key=self._sort_key))

    @cached_property
    def ancilla_qubits(self) -> tuple[str, ...]:
        """Ancilla qubit names, ordered by coordinates (x, then y)."""
        return tuple(sorted(self._roles["ancilla"], key=self._sort_key))

    @cached_property
    def qubits(self) -> tuple[str, ...]:
        """All simulated qubits (data and ancillas; buffers are not qubits), in index order."""
        return tuple(sorted(self.data_qubits + self.ancilla_qubits, key=self._sort_key))

    @cached_property
    def qubit_index(self) -> dict[str, int]:
        """Stim qubit index of each qubit node: its rank in (x, y) order."""
        return {name: i for i, name in enumerate(self.qubits)}

    @property
    def num_qubits(self) -> int:
        """Number of simulated qubits (``2d - 1`` for a repetition chain)."""
        return len(self.qubits)

    @cached_property
    def stabilizers(self) -> tuple[Stabilizer, ...]:
        """The checks, one per ancilla, in ancilla order, data listed in CX-layer order."""
        out = []
        for anc in self.ancilla_qubits:
            edges = sorted((e["layer"], n) for n, e in self.graph.adj[anc].items() if e["kind"] == "cx")
            basis = self.graph.nodes[anc].get("check", "X")
            out.append(Stabilizer(anc, basis, tuple(n for _, n in edges), tuple(layer for layer, _ in edges)))
        return tuple(out)

    @cached_property
    def cx_layers(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        """CX gates grouped by layer, each as ``(ancilla, data)`` pairs sorted by ancilla index.

        A layer index missing between the first and the last declared one gives an empty tuple:
        an *idle step* the compiler emits as an empty ``TICK`` layer (the LDPC-cat round's gaps).
        """
        layers: dict[int, list[tuple[str, str]]] = {}
        for stab in self.stabilizers:
            for layer, dq in zip(stab.layers, stab.data):
                layers.setdefault(layer, []).append((stab.ancilla, dq))
        span = range(min(layers), max(layers) + 1) if layers else range(0)
        return tuple(tuple(sorted(layers.get(k, ()), key=lambda p: self.qubit_index[p[0]])) for k in span)

    @property
    def ancilla_x_basis_via_h(self) -> bool:
        """Whether X-check ancillas change basis with Hadamard gates (``R, H, ..., H, M``).

        True for the transmon surface code, as in Stim's generated surface-code circuits; false
        for cat repetition codes, whose ancillas are prepared and read out in X directly (the
        cost of doing so sits in the noise model's preparation and measurement rules).
        """
        return bool(self.graph.graph.get("ancilla_x_basis_via_h", False))

    @property
    def distance(self) -> int:
        """Code distance against phase flips (the metadata's ``d``): :attr:`phase_distance`.

        Equal to the usual code distance for a repetition code against phase flips and for a
        square surface code; a rectangular patch also has :attr:`bit_distance`.
        """
        return self.phase_distance

    @cached_property
    def phase_distance(self) -> int:
        """Fewest Z errors on data that make a logical error of the X memory.

        Repetition code: the number of data cats; surface patch: its width (data columns).
        """
        if self.code == "repetition":
            return len(self.data_qubits)
        if "distance" in self.graph.graph:  # declared by the constructor (e.g. ldpc_cat)
            return int(self.graph.graph["distance"])
        return len({self.coords(q)[0] for q in self.data_qubits})

    @cached_property
    def bit_distance(self) -> int:
        """Fewest X errors on data that make a logical error of the Z memory.

        Repetition and LDPC-cat codes: 1 (no check sees a bit flip); surface patch: its height
        (data rows).

        >>> Layout.chain(5).bit_distance, Layout.rotated_surface(3).bit_distance
        (1, 3)
        """
        if self.code in ("repetition", "ldpc_cat"):
            return 1
        return len({self.coords(q)[1] for q in self.data_qubits})

    def coords(self, node: str) -> tuple[float, float]:
        """Planar coordinates of a node."""
        try:
            x, y = self.graph.nodes[node]["coords"]
        except (KeyError, TypeError):
            raise self._no_node(node) from None
        return (x, y)

    def kind(self, node: str) -> str:
        """``"cat"``, ``"transmon"`` or ``"buffer"``."""
        try:
            return self.graph.nodes[node]["kind"]
        except (KeyError, TypeError):
            raise self._no_node(node) from None

    def _no_node(self, node: object) -> CatcodeError:
        return CatcodeError(f"no node {_short(node)} in layout {self.name!r}; nodes: {name_list(self.qubits)} "
                            "and their buffers B<name>")

    def _require_component(self, component: object) -> None:
        """Raise unless ``component`` is a node name or an ``(a, b)`` coupling of this layout."""
        if isinstance(component, tuple) and len(component) == 2:
            if not self.graph.has_edge(*component):
                raise self._no_coupling(*component)
        elif not isinstance(component, str) or component not in self.graph:
            raise self._no_node(component)

    def _no_coupling(self, a: object, b: object) -> CatcodeError:
        couplings = (f"{u}-{v}" for u, v, k in self.graph.edges(data="kind") if k == "cx")
        return CatcodeError(f"no coupling {a}-{b} in layout {self.name!r}; cx couplings: {name_list(couplings)}")

    @cached_property
    def overrides(self) -> tuple[tuple[str | tuple[str, str], str, Any], ...]:
        """Every per-component override as ``(component, name, value)`` in graph order, computed once;
        ``component`` is a node name or an ``(a, b)`` coupling.

        >>> Layout.chain(2).with_params("D1", nbar=2.0).overrides
        (('D1', 'nbar', 2.0),)
        """
        nodes = [(n, k, v) for n, attrs in self.graph.nodes(data=True) for k, v in (attrs.get("params") or {}).items()]
        edges = [((a, b), k, v) for a, b, attrs in self.graph.edges(data=True) for k, v in (attrs.get("params") or {}).items()]
        return tuple(nodes + edges)

    def node_params(self, node: str) -> dict[str, Any]:
        """Per-component parameter overrides of a node (empty if none)."""
        try:
            return dict(self.graph.nodes[node].get("params", {}))
        except (KeyError, TypeError):
            raise self._no_node(node) from None

    def edge_params(self, a: str, b: str) -> dict[str, Any]:
        """Per-coupling parameter overrides of an edge (e.g. one CX's duration)."""
        try:
            return dict(self.graph.edges[a, b].get("params", {}))
        except (KeyError, TypeError):
            raise self._no_coupling(a, b) from None

    def with_params(self, node: str | tuple[str, str], **params: Any) -> Layout:
        """A copy with parameter overrides set on one node or one edge ``(a, b)``.

        >>> Layout.ocelot().with_params("D2", kappa_1_hz=2.0e4).node_params("D2")
        {'kappa_1_hz': 20000.0}
        """
        is_pair = isinstance(node, tuple) and len(node) == 2 and all(isinstance(n, str) for n in node)
        if not (isinstance(node, str) or is_pair):
            raise CatcodeError("node must be a node name such as 'D1' or a coupling ('A1', 'D1') of two names; "
                               f"got {_short(node)}")
        where = f"coupling {node[0]}-{node[1]}" if is_pair else f"node {node!r}"
        _validate_params(where, params)
        if not params:
            raise CatcodeError(f"with_params({node!r}) sets nothing: give parameters as keywords, e.g. kappa_1_hz=2e4")
        self._require_component(node)
        g = nx.Graph(self.graph)
        attrs = g.edges[node] if is_pair else g.nodes[node]
        attrs["params"] = {**attrs.get("params", {}), **params}
        return Layout._owned(g, self.name, self.code, validate=False)

    def draw(self, ax: Any = None, *, labels: bool = True) -> Any:
        """Draw the layout with matplotlib; returns the Figure.

        Cats are circles (data filled blue, ancilla cats orange), transmons squares (green),
        buffers small grey diamonds; CX couplings are solid lines labelled with their layer,
        stabilisation couplings dashed.
        """
        from catcode.drawing import draw_layout

        return draw_layout(self, ax=ax, labels=labels)

    def __repr__(self) -> str:
        return f"Layout(name={self.name!r}, code={self.code!r}, distance={self.distance}, num_qubits={self.num_qubits})"

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        """Check the graph once, in time linear in its size; raise CatcodeError naming the first fault."""
        nodes = dict(self.graph.nodes(data=True))
        adj = dict(self.graph.adjacency())
        if not nodes:
            raise CatcodeError("layout graph is empty; build one with Layout.chain(distance) or Layout.ocelot()")
        seen: dict[tuple[float, float], str] = {}
        for node, attrs in nodes.items():
            _validate_node(node, attrs, seen)
        done: set[Any] = set()
        for a, nbrs in adj.items():
            for b, attrs in nbrs.items():
                if b not in done:  # each edge once
                    _validate_edge(a, b, attrs, nodes)
            done.add(a)
            _validate_couplings(a, nodes[a]["kind"], nbrs, nodes)
        roles = self._roles
        if not roles["data"]:
            raise CatcodeError("layout has no data qubits")
        allowed = {"repetition": (2,), "ldpc_cat": (2, 3, 4)}.get(self.code, (2, 4))
        for anc in roles["ancilla"]:
            _validate_check(anc, adj[anc], allowed, self.code)
        for dq in roles["data"]:
            _validate_data_layers(dq, adj[dq])
        if self.code == "repetition":
            self._validate_chain(adj)
        _validate_graph_attributes(self.graph.graph, set(roles["data"]))

    def _validate_chain(self, adj: Mapping[Any, Mapping[Any, Mapping[str, Any]]]) -> None:
        """A repetition code's checks must link all data qubits into one path."""
        h = nx.Graph()
        h.add_nodes_from(self._roles["data"])
        for anc in self._roles["ancilla"]:
            a, b = [n for n, e in adj[anc].items() if e["kind"] == "cx"]
            if h.has_edge(a, b):
                raise CatcodeError(f"two ancillas both check {a}-{b}; each neighbouring pair has one check")
            h.add_edge(a, b)
        if not nx.is_connected(h) or any(deg > 2 for _, deg in h.degree()) or h.number_of_edges() != h.number_of_nodes() - 1:
            raise CatcodeError("the checks of a repetition-code layout must link its data qubits into one open chain")

    @cached_property
    def _roles(self) -> dict[str, list[str]]:
        """Qubit names by role, in graph order (one pass over the nodes, shared by everything that needs them)."""
        out: dict[str, list[str]] = {"data": [], "ancilla": []}
        for n, role in self.graph.nodes(data="role"):
            if role in out:
                out[role].append(n)
        return out

    def _sort_key(self, node: str) -> tuple[float, float, str]:
        x, y = self.graph.nodes[node]["coords"]
        return (x, y, node)

    def _edge_kind(self, a: str, b: str) -> str:
        return self.graph.edges[a, b]["kind"]

    @classmethod
    def ldpc_cat(cls, height: int, width: int, boundary: str = "periodic") -> Layout:
        """An LDPC-cat code (Ruiz et al., Nat. Commun. 16, 1040 (2025)); see :mod:`catcode.ldpc_cat`.

        Data cat ``D<r>_<c>`` (row r, column c) at ``(3c, 3r)``; one cat ancilla ``A<i>_<j>`` per
        check just above its new-row qubit ``(i+2, j)``; every cat has its buffer. The ancilla
        controls CX onto its new-row qubit in layer 0, then onto its mask qubits (row-major) in
        layers 2, 4, 6 (the authors' slots; :func:`catcode.ldpc_cat.cx_schedule` proves them
        conflict-free). The graph declares ``distance`` and its ``logicals`` per basis: X of each
        qubit of rows 0-1 (an information set) and, for Z, a basis of the codewords.

        >>> lay = Layout.ldpc_cat(4, 5)
        >>> lay.num_qubits, len(lay.stabilizers), lay.distance
        (30, 10, 5)
        """
        from catcode.ldpc_cat import HEIGHTS, LdpcCatCode, code_distance, cx_schedule

        height = require_int_at_least("height", height, min(HEIGHTS), max(HEIGHTS))
        width = require_int_at_least("width", width, 3, MAX_LDPC_WIDTH)
        code = LdpcCatCode(height, width, boundary)
        slots = cx_schedule(height, width, boundary)
        first = min(lo for lo, _ in code.columns)
        name = {q: f"D{q[0]}_{q[1] - first}" for q in code.qubits}
        g = nx.Graph()
        for (r, c), node in name.items():
            _add_cat_with_buffer(g, node, "data", (3 * (c - first), 3 * r), {})
        for check in code.checks:
            anc = f"A{check.row}_{check.col - first}"
            _add_cat_with_buffer(g, anc, "ancilla", (3 * (check.col - first) + 1, 3 * check.row + 5), {})
            for pos, q in _ldpc_cat_positions(code, check):
                g.add_edge(anc, name[q], kind="cx", layer=slots[check.row][pos], params={})
        basis_words = [tuple(name[q] for q, bit in zip(code.qubits, word) if bit) for word in code.codeword_basis]
        g.graph["logicals"] = {"X": tuple((name[q],) for q in code.information_set), "Z": tuple(basis_words)}
        g.graph["distance"] = code_distance(height, width, boundary)
        return cls._owned(g, f"ldpc_cat_{height}x{width}_{boundary}", "ldpc_cat")


def require_layout(value: object) -> Layout:
    """``value`` if it is a :class:`Layout`, else a one-line CatcodeError naming what it is."""
    return require_instance("layout", value, Layout, expected="a catcode.Layout (e.g. Layout.chain(5))")


def _add_cat_with_buffer(g: nx.Graph, name: str, role: str, xy: tuple[int, int], params: Mapping[str, Any]) -> None:
    g.add_node(name, kind="cat", role=role, coords=xy, params=dict(params))
    g.add_node(f"B{name}", kind="buffer", coords=(xy[0], xy[1] + 1))
    g.add_edge(name, f"B{name}", kind="stabilization", params={})


def _rotated_patch(width: int, height: int, *, data: str, ancilla: str, params: Mapping[str, Any]) -> nx.Graph:
    """A ``width x height`` rotated surface-code patch: nodes, checks and CX layers.

    Data ``D<k>`` at odd ``(2j+1, 2i+1)`` (``k = i * width + j + 1``), of kind ``data``, cats with
    their buffers; measure qubits ``X<k>`` / ``Z<k>`` at even ``(2a, 2b)`` with ``check`` set to
    their basis, keeping bulk plaquettes and the weight-2 boundary checks of the right type
    (X on top/bottom, Z on left/right). ``params`` are set on every qubit node.
    """
    g = nx.Graph()
    positions: dict[tuple[int, int], str] = {}
    for i in range(height):
        for j in range(width):
            xy, name = (2 * j + 1, 2 * i + 1), f"D{i * width + j + 1}"
            positions[xy] = name
            _add_qubit(g, name, data, "data", xy, params)
    count = 0
    for b in range(height + 1):
        for a in range(width + 1):
            x, y = 2 * a, 2 * b
            basis = "X" if (a + b) % 2 == 1 else "Z"
            present = [(x + dx, y + dy) for dx, dy in ((1, 1), (-1, 1), (1, -1), (-1, -1)) if (x + dx, y + dy) in positions]
            boundary_ok = (basis == "X" and y in (0, 2 * height)) or (basis == "Z" and x in (0, 2 * width))
            if not (len(present) == 4 or (len(present) == 2 and boundary_ok)):
                continue
            count += 1
            name = f"{basis}{count}"
            _add_qubit(g, name, ancilla, "ancilla", (x, y), params)
            g.nodes[name]["check"] = basis
            for layer, (dx, dy) in enumerate(_surface_cx_order(basis)):
                if (x + dx, y + dy) in positions:
                    g.add_edge(name, positions[(x + dx, y + dy)], kind="cx", layer=layer, params={})
    return g


def _add_qubit(g: nx.Graph, name: str, kind: str, role: str, xy: tuple[int, int], params: Mapping[str, Any]) -> None:
    """A qubit node; a cat gets its buffer (:func:`_add_cat_with_buffer`)."""
    if kind == "cat":
        _add_cat_with_buffer(g, name, role, xy, params)
    else:
        g.add_node(name, kind=kind, role=role, coords=xy, params=dict(params))


def _surface_cx_order(basis: str) -> tuple[tuple[int, int], ...]:
    # Offsets (dx, dy) of the data qubits touched in layers 0..3 (the order Stim's generated
    # rotated surface code uses). X and Z checks traverse their plaquettes in mirrored orders,
    # so the hook error of each check's last two CX lies across, not along, the logical
    # operator of the same type and cannot shorten it.
    if basis == "X":
        return ((1, 1), (-1, 1), (1, -1), (-1, -1))
    return ((1, 1), (1, -1), (-1, 1), (-1, -1))


def _is_finite_number(v: object) -> bool:
    """A real number (int, float, numpy scalar; not bool or string) that is finite (``10**400`` is not)."""
    if type(v) is float or (type(v) is int and -2**53 <= v <= 2**53):  # fast path for the common case
        return math.isfinite(v)
    return math.isfinite(_real(v))


def _validate_node(node: Any, attrs: Mapping[str, Any], seen: dict[tuple[float, float], str]) -> None:
    """Kind, role, coordinates (distinct for qubits) and overrides of one node."""
    kind = attrs.get("kind")
    if kind not in NODE_KINDS:
        raise CatcodeError(f"node {node!r} has kind {_short(kind)}; kind must be one of {', '.join(map(repr, NODE_KINDS))}")
    role = attrs.get("role")
    if kind == "buffer":
        if role is not None:
            raise CatcodeError(f"buffer {node!r} has role {_short(role)}; buffers have no role")
    elif role not in ROLES:
        raise CatcodeError(f"qubit {node!r} has role {_short(role)}; role must be one of 'data', 'ancilla'")
    elif role == "ancilla" and attrs.get("check", "X") not in ("X", "Z"):
        raise CatcodeError(f"ancilla {node!r} has check {_short(attrs.get('check'))}; check must be 'X' or 'Z'")
    xy = attrs.get("coords")
    if not (isinstance(xy, tuple | list) and len(xy) == 2 and all(_is_finite_number(c) for c in xy)):
        raise CatcodeError(f"node {node!r} needs planar coords (x, y) of two finite numbers; got {_short(xy)}")
    params = attrs.get("params", {})
    if params or not isinstance(params, dict):
        _validate_params(f"node {node!r}", params)
    if kind != "buffer":
        key = (xy[0], xy[1])
        if key in seen:
            raise CatcodeError(f"qubits {seen[key]!r} and {node!r} share coords {key}; each qubit needs its own position")
        seen[key] = node


def _validate_edge(a: Any, b: Any, attrs: Mapping[str, Any], nodes: Mapping[Any, Mapping[str, Any]]) -> None:
    """Kind, endpoints, CX layer and overrides of one edge."""
    kind = attrs.get("kind")
    if kind not in EDGE_KINDS:
        raise CatcodeError(f"edge {a}-{b} has kind {_short(kind)}; kind must be one of 'cx', 'stabilization'")
    na, nb = nodes[a], nodes[b]
    if kind == "stabilization":
        if sorted((na["kind"], nb["kind"])) != ["buffer", "cat"]:
            raise CatcodeError(f"stabilization edge {a}-{b} must join a cat and a buffer; got {na['kind']} and {nb['kind']}")
    else:
        if {na.get("role"), nb.get("role")} != {"data", "ancilla"}:
            raise CatcodeError(f"cx edge {a}-{b} must join an ancilla and a data qubit; got roles {na.get('role')} and {nb.get('role')}")
        layer = attrs.get("layer")
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer <= MAX_CX_LAYER:
            raise CatcodeError(f"cx edge {a}-{b} needs an integer layer >= 0 and <= {MAX_CX_LAYER} (its slot in the "
                               f"CX order); got {_short(layer)}")
    params = attrs.get("params", {})
    if params or not isinstance(params, dict):
        _validate_params(f"edge {a}-{b}", params)


def _validate_graph_attributes(attrs: Mapping[str, Any], data: set[Any]) -> None:
    """The graph-level declarations: ``distance`` (int >= 1), ``ancilla_x_basis_via_h`` (bool) and
    ``logicals`` (basis -> supports, each a non-empty sequence of data qubit names)."""
    if "distance" in attrs:
        require_int_at_least("graph attribute 'distance'", attrs["distance"], 1)
    flag = attrs.get("ancilla_x_basis_via_h", False)
    if not isinstance(flag, bool):
        raise CatcodeError(f"graph attribute 'ancilla_x_basis_via_h' must be True or False; got {_short(flag)}")
    logicals = attrs.get("logicals")
    if logicals is None:
        return
    if not isinstance(logicals, Mapping) or set(logicals) != {"X", "Z"}:
        raise CatcodeError("graph attribute 'logicals' must map each basis, 'X' and 'Z', to its logical supports; "
                           f"got {_short(logicals)}")
    for basis, supports in logicals.items():
        ok = isinstance(supports, tuple | list) and len(supports) > 0 and all(
            isinstance(s, tuple | list) and len(s) > 0 and all(isinstance(q, str) and q in data for q in s)
            for s in supports)
        if not ok:
            raise CatcodeError(f"graph attribute 'logicals'[{basis!r}] must be a non-empty sequence of supports, "
                               f"each a non-empty sequence of data qubit names; got {_short(supports)}")


def _validate_check(anc: str, nbrs: Mapping[Any, Mapping[str, Any]], allowed: tuple[int, ...], code: str) -> None:
    """An ancilla has an allowed number of cx couplings, each in its own layer."""
    data = sorted(n for n, e in nbrs.items() if e["kind"] == "cx")
    if len(data) not in allowed:
        need = " or ".join(map(str, allowed)) if len(allowed) > 1 else f"exactly {allowed[0]}"
        raise CatcodeError(f"ancilla {anc!r} has cx couplings to {len(data)} data qubits ({name_list(data)}); "
                           f"a {code} check needs {need}")
    layers = [nbrs[n]["layer"] for n in data]
    if len(set(layers)) != len(layers):
        raise CatcodeError(f"ancilla {anc!r} runs two CX gates in the same layer {sorted(layers)}; give each a distinct layer")


def _validate_data_layers(dq: str, nbrs: Mapping[Any, Mapping[str, Any]]) -> None:
    """A data qubit does at most one CX per layer."""
    by_layer: dict[int, Any] = {}
    for anc, e in nbrs.items():
        if e["kind"] != "cx":
            continue
        if e["layer"] in by_layer:
            raise CatcodeError(f"data qubit {dq!r} has two CX gates in layer {e['layer']} "
                               f"(with {by_layer[e['layer']]!r} and {anc!r}); a qubit can do one gate per layer")
        by_layer[e["layer"]] = anc


def _validate_couplings(node: Any, kind: str, nbrs: Mapping[Any, Mapping[str, Any]], nodes: Mapping[Any, Mapping[str, Any]]) -> None:
    """A buffer stabilises exactly one cat; a cat has at most one buffer; a transmon none."""
    buffers = [n for n in nbrs if nodes[n]["kind"] == "buffer"]
    if kind == "buffer":
        if len(nbrs) != 1 or next(iter(nbrs.values()))["kind"] != "stabilization":
            raise CatcodeError(f"buffer {node!r} must stabilise exactly one cat; it is coupled to {name_list(sorted(nbrs))}")
    elif kind == "cat" and len(buffers) > 1:
        raise CatcodeError(f"cat {node!r} has {len(buffers)} buffers {name_list(sorted(buffers))}; at most one")
    elif kind == "transmon" and buffers:
        raise CatcodeError(f"transmon {node!r} is coupled to a buffer; buffers stabilise cats only")


def _validate_params(where: str, params: object) -> None:
    """Overrides are a mapping of parameter name (a string) -> finite number >= 0, bool or string."""
    if not isinstance(params, Mapping):
        raise CatcodeError(f"{where} params must be a mapping of name -> value; got {type(params).__name__}")
    for key, value in params.items():
        if not isinstance(key, str):
            raise CatcodeError(f"{where} parameter names must be strings; got {_short(key)}")
        if isinstance(value, bool) or isinstance(value, str):
            continue
        if not _is_finite_number(value) or value < 0:
            raise CatcodeError(f"{where} parameter {key!r} must be a finite number >= 0; got {_short(value)}")


def _shared_params(params: object) -> dict[str, Any]:
    """The ``params`` argument of a constructor (overrides set on every qubit), checked, as a dict."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise CatcodeError("params must be a mapping of parameter name -> value (e.g. {'kappa_1_hz': 2e4}) "
                           f"or None; got {_short(params)}")
    _validate_params("params:", params)
    return dict(params)


def _keyword_params(where: str, params: Mapping[Any, Any]) -> dict[str, Any]:
    """``params`` as keyword arguments: every name a string."""
    for key in params:
        if not isinstance(key, str):
            raise CatcodeError(f"{where} parameter names must be strings; got {_short(key)}")
    return dict(params)


def _ldpc_cat_positions(code: Any, check: Any) -> list[tuple[int, tuple[int, int]]]:
    from catcode.ldpc_cat import check_positions

    return check_positions(code, check)
