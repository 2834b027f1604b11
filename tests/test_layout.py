"""Layout graph: constructors, derived structure, validation, drawing."""

import matplotlib
import networkx as nx
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
