"""Layout graph: constructors, derived structure, validation, drawing."""

import matplotlib
import networkx as nx
import numpy as np
import pytest

from catcode import CatcodeError, Layout

matplotlib.use("Agg")


@pytest.mark.parametrize("d", [2, 3, 5, 8])
@pytest.mark.parametrize("ancilla", ["transmon", "cat"])
def test_chain_counts(d, ancilla):
    layout = Layout.chain(d, ancilla=ancilla)
    g = layout.graph
    assert layout.num_qubits == 2 * d - 1
    assert layout.distance == d
    assert len(layout.data_qubits) == d
    assert len(layout.ancilla_qubits) == d - 1
    buffers = [n for n, a in g.nodes(data=True) if a["kind"] == "buffer"]
    assert len(buffers) == (d if ancilla == "transmon" else 2 * d - 1)
    assert all(g.nodes[a]["kind"] == ancilla for a in layout.ancilla_qubits)
    assert all(g.nodes[q]["kind"] == "cat" for q in layout.data_qubits)
    assert [s.data for s in layout.stabilizers] == [(f"D{i}", f"D{i + 1}") for i in range(1, d)]
    assert all(s.basis == "X" for s in layout.stabilizers)
    # Each data qubit does at most one CX per layer, and every ancilla does two.
    assert len(layout.cx_layers) == 2
    for layer in layout.cx_layers:
        touched = [q for pair in layer for q in pair]
        assert len(touched) == len(set(touched))


def test_ocelot_and_sections():
    ocelot = Layout.ocelot()
    assert ocelot.num_qubits == 9
    assert ocelot.distance == 5
    kinds = nx.get_node_attributes(ocelot.graph, "kind")
    assert sorted(kinds.values()).count("buffer") == 5
    assert sorted(kinds.values()).count("transmon") == 4
    left, right = ocelot.section(1, 3), ocelot.section(3, 5)
    assert left.data_qubits == ("D1", "D2", "D3")
    assert right.data_qubits == ("D3", "D4", "D5")
    assert right.ancilla_qubits == ("A3", "A4")
    assert right.num_qubits == 5
    # Sections keep their coordinates (Stim indices are renumbered from 0).
    assert right.coords("D3") == ocelot.coords("D3")
    assert right.qubit_index["D3"] == 0


def test_section_rejects_bad_ranges():
    ocelot = Layout.ocelot()
    with pytest.raises(CatcodeError, match=r"section first must be an integer >= 1 and <= 5; got 0"):
        ocelot.section(0, 3)
    with pytest.raises(CatcodeError, match="at least 2"):
        ocelot.section(3, 3)


def test_overrides_live_on_nodes_and_edges():
    layout = Layout.ocelot().with_params("D2", kappa_1_hz=2.0e4).with_params(("A1", "D1"), cx_duration_ns=552)
    assert layout.node_params("D2") == {"kappa_1_hz": 2.0e4}
    assert layout.node_params("D1") == {}
    assert layout.edge_params("A1", "D1") == {"cx_duration_ns": 552}
    with pytest.raises(CatcodeError, match="no node"):
        layout.with_params("Q9", t1_us=1)


def _chain_graph(d=3):
    return nx.Graph(Layout.chain(d).graph)


def test_rejects_ancilla_touching_three_data_qubits():
    g = _chain_graph(3)
    g.add_edge("A1", "D3", kind="cx", layer=2, params={})
    with pytest.raises(CatcodeError, match="needs exactly 2"):
        Layout(g)


def test_rejects_negative_parameter():
    g = _chain_graph(3)
    g.nodes["D2"]["params"] = {"kappa_1_hz": -5.0}
    with pytest.raises(CatcodeError, match=r"kappa_1_hz.*>= 0"):
        Layout(g)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda g: g.nodes["D1"].update(kind="qubit"), "kind must be one of"),
        (lambda g: g.nodes["D1"].update(role="spare"), "role must be one of"),
        (lambda g: g.nodes["D1"].update(coords=(0,)), "coords"),
        (lambda g: g.nodes["D2"].update(coords=(0, 0)), "share coords"),
        (lambda g: g.edges["A1", "D1"].update(layer=1), "same layer"),
        (lambda g: g.add_edge("BD1", "BD2", kind="stabilization", params={}), "stabilization edge"),
        (lambda g: g.add_edge("A1", "A2", kind="cx", layer=3, params={}), "must join an ancilla and a data qubit"),
        (lambda g: g.add_edge("D1", "D2", kind="magic", params={}), "kind must be one of 'cx', 'stabilization'"),
        (lambda g: g.remove_edge("A2", "D3"), "needs exactly 2"),
    ],
)
def test_malformed_graphs_are_rejected(mutate, message):
    g = _chain_graph(3)
    mutate(g)
    with pytest.raises(CatcodeError, match=message):
        Layout(g)


def test_chain_rejects_bad_arguments():
    with pytest.raises(CatcodeError, match=">= 2"):
        Layout.chain(1)
    with pytest.raises(CatcodeError, match="'cat', 'transmon'"):
        Layout.chain(3, ancilla="fluxonium")


def test_canonical_indices_do_not_depend_on_insertion_order():
    g = Layout.chain(4).graph
    reversed_graph = nx.Graph()
    reversed_graph.add_nodes_from(reversed(list(g.nodes(data=True))))
    reversed_graph.add_edges_from(reversed(list(g.edges(data=True))))
    assert Layout(reversed_graph).qubit_index == Layout(nx.Graph(g)).qubit_index


def test_draw_distinguishes_component_kinds(tmp_path):
    fig = Layout.ocelot().draw()
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["cat (data)", "transmon (ancilla)", "buffer (two-photon dissipation)"]
    fig.savefig(tmp_path / "ocelot.png")
    assert (tmp_path / "ocelot.png").stat().st_size > 1000


# ---------------------------------------------------------------- hostile input (issue 14) and cost (issue 15)
@pytest.mark.parametrize("params", [[1, 2], 0, "", False, 3.5, ("a", 1)])
def test_constructor_params_must_be_a_mapping_or_none(params):
    for build in (lambda: Layout.chain(3, params=params), lambda: Layout.rectangular_surface(3, 2, params=params),
                  lambda: Layout.ocelot(params)):
        with pytest.raises(CatcodeError, match=r"^params must be a mapping"):
            build()


@pytest.mark.parametrize("node", [("D1",), ("A1", "D1", "D2"), ["A1", "D1"], 3, None, ("A1", 3)])
def test_with_params_takes_a_node_name_or_a_pair_of_names(node):
    with pytest.raises(CatcodeError, match=r"^node must be a node name such as 'D1' or a coupling"):
        Layout.chain(3).with_params(node, t1_us=1.0)


def test_with_params_rejects_a_bad_value_before_copying():
    with pytest.raises(CatcodeError, match=r"node 'D1' parameter 't1_us' must be a finite number >= 0; got nan"):
        Layout.chain(3).with_params("D1", t1_us=float("nan"))
    with pytest.raises(CatcodeError, match=r"params\['D1'\] must be a mapping"):
        Layout.ocelot({"D1": 3})


def test_long_name_lists_are_capped():
    with pytest.raises(CatcodeError) as info:
        Layout.chain(501).with_params("Q1", t1_us=1.0)
    assert "(993 more)" in str(info.value) and len(str(info.value)) < 300, str(info.value)


@pytest.mark.parametrize("build, message", [
    (lambda: Layout.chain(True), r"distance must be an integer >= 2 and <= 10001; got True"),
    (lambda: Layout.chain(10**400), r"got 1e\+400 \(approx\.\)"),
    (lambda: Layout.rotated_surface(np.bool_(True)), r"distance must be an integer >= 2 and <= 101"),
    (lambda: Layout.ocelot().section(1, 10**30), r"section last must be an integer >= 1 and <= 5; got 1e\+30"),
    (lambda: Layout.ldpc_cat(4, 10**400), r"width must be an integer >= 3 and <= 101; got 1e\+400"),
    (lambda: Layout("chain"), r"graph must be an undirected networkx.Graph; got str"),
])
def test_integer_arguments_are_bounded_and_bools_are_not_integers(build, message):
    with pytest.raises(CatcodeError, match=message):
        build()


def test_numpy_integers_are_integers():
    assert Layout.chain(np.int64(4)).distance == 4
    assert Layout.ocelot().section(np.int64(1), np.int64(3)).distance == 3


def test_each_layout_is_validated_once_and_with_params_does_not_revalidate(monkeypatch):
    calls = []
    original = Layout._validate
    monkeypatch.setattr(Layout, "_validate", lambda self: (calls.append(self.name), original(self))[1])
    Layout.chain(5)
    Layout.rotated_surface(3)
    assert calls == ["chain_transmon", "rotated_surface"]
    calls.clear()
    Layout.ocelot({"D1": {"t1_us": 1.0}, ("A1", "D1"): {"cx_duration_ns": 300.0}})
    assert calls == ["chain_transmon"]  # the chain it starts from; the overrides are checked alone


def test_docs_state_the_bounds_the_code_enforces():
    from pathlib import Path

    from catcode.compiler import MAX_ROUNDS
    from catcode.layout import MAX_CHAIN_DISTANCE, MAX_DISTANCE, MAX_LDPC_WIDTH

    text = (Path(__file__).resolve().parent.parent / "docs" / "inputs.md").read_text(encoding="utf-8")
    for fragment in (f"2 to {MAX_CHAIN_DISTANCE} (`catcode.layout.MAX_CHAIN_DISTANCE`)",
                     f"2 to {MAX_DISTANCE} (`catcode.layout.MAX_DISTANCE`)",
                     f"width 3 to {MAX_LDPC_WIDTH} (`catcode.layout.MAX_LDPC_WIDTH`)",
                     f"1 to 10^{len(str(MAX_ROUNDS)) - 1} (`catcode.compiler.MAX_ROUNDS`)"):
        assert fragment in text, fragment
    assert MAX_ROUNDS == 10 ** (len(str(MAX_ROUNDS)) - 1)
    for bad in (MAX_CHAIN_DISTANCE + 1, True):
        with pytest.raises(CatcodeError):
            Layout.chain(bad)
    with pytest.raises(CatcodeError):
        Layout.rotated_surface(MAX_DISTANCE + 1)
    with pytest.raises(CatcodeError):
        Layout.ldpc_cat(4, MAX_LDPC_WIDTH + 1)
