"""Property-based fuzz of the public API's arguments with adversarial values (issue 14).

Every call either succeeds with a valid result (a validated Layout; a circuit whose detectors and
observables are deterministic and whose noise probabilities lie in [0, 1]) or raises a one-line
:class:`CatcodeError` that names the argument it was given; never another exception type, never
more than :data:`BUDGET_S` seconds. One argument at a time is adversarial (the others are valid),
so the error must name that argument; those cases are enumerated exhaustively (every argument x
every value). Hypothesis (derandomized) draws the combinations: pairs of values for overrides and
couplings, and every metadata key at once ("valid or CatcodeError"). Noise is the generic ``depolarizing`` preset only; each
preset's own parameters are fuzzed with the presets (tests/test_presets.py).
"""

from __future__ import annotations

import json
import math
import re
import signal
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
import pytest
import stim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catcode import Layout, noise
from catcode.compiler import memory_circuit
from catcode.errors import CatcodeError, _short
from catcode.experiment import build_circuit, build_layout

#: Wall-clock budget of one call, generous for a loaded 2-core machine (a valid call takes < 0.2 s).
BUDGET_S = 5.0

class _Opaque:
    """An arbitrary object with a fixed repr (``object()``'s repr holds an address, which would give
    each pytest-xdist worker different test ids)."""

    def __repr__(self) -> str:
        return "<opaque object>"


ADVERSARIAL: tuple[Any, ...] = (
    0, -1, 1, 2, 3, 4, 5, -3, 2.5, 3.0, 4.0, math.nan, math.inf, -math.inf, 1e300, -1e300, 1e-300, 5e-324,
    10**400, -(10**400), 2**64, 2**63 - 1, "3", "", "X", "chain", None, True, False, [3], (3,), (), {}, [],
    {"p": 1}, np.int64(3), np.int64(-1), np.uint64(2**64 - 1), np.float64(math.nan), np.float64(3.0),
    np.bool_(True), _Opaque(),
)
values = st.sampled_from(ADVERSARIAL)
SETTINGS = settings(derandomize=True, max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


class _OverBudget(Exception):
    pass


def _outcome(fn: Callable[[], Any]) -> tuple[Any, CatcodeError | None]:
    """``(result, None)`` or ``(None, error)``; any other exception or a slow call fails the test."""

    def alarm(signum, frame):  # noqa: ARG001
        raise _OverBudget

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, BUDGET_S)
    try:
        return fn(), None
    except CatcodeError as exc:
        assert "\n" not in str(exc), f"multi-line message: {exc}"
        assert len(str(exc)) < 600, f"message of {len(str(exc))} characters: {str(exc)[:200]}..."
        return None, exc
    except _OverBudget:
        pytest.fail(f"call took more than {BUDGET_S} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _names(exc: CatcodeError | None, name: str) -> None:
    if exc is not None:
        assert re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", str(exc)), f"{name!r} not named in: {exc}"


def _valid_circuit(circuit: stim.Circuit) -> None:
    assert isinstance(circuit, stim.Circuit) and circuit.num_observables >= 1
    circuit.detector_error_model(allow_gauge_detectors=False, approximate_disjoint_errors=True)  # deterministic
    for inst in circuit.flattened():
        if stim.gate_data(inst.name).is_noisy_gate:
            args = inst.gate_args_copy()
            assert all(0.0 <= a <= 1.0 for a in args) and sum(args) <= 1.0 + 1e-12, inst


# ---------------------------------------------------------------------------------------- layouts
LAYOUT_CALLS: dict[str, tuple[Callable[..., Layout], dict[str, Any], dict[str, str]]] = {
    # constructor, valid keyword arguments, argument -> the name its error message must use
    "chain": (Layout.chain, {"distance": 3, "ancilla": "transmon", "params": None},
              {"distance": "distance", "ancilla": "ancilla", "params": "params"}),
    "rotated_surface": (Layout.rotated_surface, {"distance": 3}, {"distance": "distance"}),
    "rectangular_surface": (Layout.rectangular_surface,
                            {"phase_distance": 3, "bit_distance": 2, "ancilla": "cat", "params": None},
                            {"phase_distance": "phase_distance", "bit_distance": "bit_distance",
                             "ancilla": "ancilla", "params": "params"}),
    "ldpc_cat": (Layout.ldpc_cat, {"height": 4, "width": 5, "boundary": "periodic"},
                 {"height": "height", "width": "width", "boundary": "boundary"}),
    "ocelot": (Layout.ocelot, {"params": None}, {"params": "params"}),
    "Layout": (Layout, {"graph": nx.Graph(Layout.chain(3).graph), "name": "x", "code": "repetition"},
               {"graph": "graph", "name": "name", "code": "code"}),
}


@pytest.mark.parametrize("call, arg", [(c, a) for c, (_, _, names) in LAYOUT_CALLS.items() for a in names])
def test_layout_constructors_give_a_layout_or_name_the_argument(call, arg):
    """Exhaustive: every argument of every constructor against every adversarial value."""
    for value in ADVERSARIAL:
        _check_layout_call(call, arg, value)


def _check_layout_call(call: str, arg: str, value: Any) -> None:
    ctor, kwargs, names = LAYOUT_CALLS[call]
    result, exc = _outcome(lambda: ctor(**{**kwargs, arg: value}))
    _names(exc, names[arg])
    if exc is None:
        assert isinstance(result, Layout) and result.num_qubits >= 3


@SETTINGS
@given(values, values)
def test_params_values_give_a_layout_or_name_the_parameter(value, other):
    """Random pairs (a value and a second node name): overrides, components and couplings."""
    """A value inside ``params`` (chain, rectangular_surface, ocelot per component, with_params)."""
    for fn in (lambda: Layout.chain(3, params={"kappa_1_hz": value}),
               lambda: Layout.rectangular_surface(3, 2, params={"kappa_1_hz": value}),
               lambda: Layout.ocelot(params={"D1": {"kappa_1_hz": value}}),
               lambda: Layout.ocelot(params={("A1", "D1"): {"kappa_1_hz": value}}),
               lambda: Layout.chain(3).with_params("D1", kappa_1_hz=value)):
        result, exc = _outcome(fn)
        _names(exc, "kappa_1_hz")
        if exc is None:
            assert isinstance(result, Layout)
    _, exc = _outcome(lambda: Layout.ocelot(params={"D1": value}))
    _names(exc, "params")
    _, exc = _outcome(lambda: Layout.ocelot(params={value: {"t1_us": 1.0}}) if _hashable(value) else None)
    if exc is not None:
        assert "params" in str(exc) or "node" in str(exc) or "coupling" in str(exc), exc
    _, exc = _outcome(lambda: Layout.chain(3).with_params(value, t1_us=1.0))
    _names(exc, "node")
    _, exc = _outcome(lambda: Layout.chain(3).with_params((value, other), t1_us=1.0))
    if exc is not None:
        assert "node" in str(exc) or "coupling" in str(exc), exc


@pytest.mark.parametrize("arg", ["first", "last"])
@pytest.mark.parametrize("value", ADVERSARIAL, ids=lambda v: f"{type(v).__name__}:{_short(v)[:24]}")
def test_section_gives_a_layout_or_names_the_bound(arg, value):
    kwargs = {"first": 1, "last": 3, arg: value}
    result, exc = _outcome(lambda: Layout.ocelot().section(**kwargs))
    if exc is not None:
        assert arg in str(exc) or "at least 2" in str(exc), exc
    else:
        assert isinstance(result, Layout) and result.distance == kwargs["last"] - kwargs["first"] + 1


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# ---------------------------------------------------------------------------------------- circuits
CIRCUIT_ARGS = {"layout": "layout", "noise": "noise", "rounds": "rounds", "basis": "basis", "verify": "verify"}


@pytest.mark.parametrize("arg", sorted(CIRCUIT_ARGS))
def test_memory_circuit_gives_a_valid_circuit_or_names_the_argument(arg):
    for value in ADVERSARIAL:
        _check_memory_circuit(arg, value)


def _check_memory_circuit(arg: str, value: Any) -> None:
    kwargs = {"layout": Layout.chain(3), "noise": noise.depolarizing(1e-3), "rounds": 2, "basis": "X",
              "verify": True, arg: value}
    result, exc = _outcome(lambda: memory_circuit(kwargs.pop("layout"), kwargs.pop("noise"), **kwargs))
    _names(exc, CIRCUIT_ARGS[arg])
    if exc is None:
        _valid_circuit(result)


METADATA_NAMES = {"layout": "layout", "d": "d", "r": "r", "b": "b", "noise": "noise", "p": "p",
                  "boundary_noise": "boundary_noise"}


@pytest.mark.parametrize("key", sorted(METADATA_NAMES))
def test_build_circuit_gives_a_valid_circuit_or_names_the_key(key):
    for value in ADVERSARIAL:
        _check_build_circuit(key, value)


def _check_build_circuit(key: str, value: Any) -> None:
    meta = {"layout": "chain", "d": 3, "r": 2, "b": "Z", "noise": "depolarizing", "p": 1e-3, key: value}
    result, exc = _outcome(lambda: build_circuit(meta))
    _names(exc, METADATA_NAMES[key])
    if exc is None:
        _valid_circuit(result)


def test_build_layout_reuses_the_last_layout_but_never_skips_a_check():
    """A sweep's points get the same layout object; values equal to valid ones (5.0 == 5,
    True == 1) but of a refused type are still refused, and a refusal forgets nothing."""
    first = build_layout("chain", 5)
    assert build_layout("chain", 5) is first
    for distance in (5.0, "5", True):
        with pytest.raises(CatcodeError, match=r"d \(code distance\) must be an integer"):
            build_layout("chain", distance)
    with pytest.raises(CatcodeError, match="ancilla"):
        build_layout("chain", 5, ancilla=1.0)
    assert build_layout("chain", 5) is first
    other = build_layout("chain", 5, ancilla="cat")
    assert other.graph.nodes["A1"]["kind"] == "cat" and first.graph.nodes["A1"]["kind"] == "transmon"
    again = build_layout("chain", 5)
    assert again is not first and sorted(again.graph.nodes) == sorted(first.graph.nodes)


@pytest.mark.parametrize("value", [v for v in ADVERSARIAL if not isinstance(v, dict)], ids=lambda v: f"{type(v).__name__}:{_short(v)[:24]}")
def test_build_circuit_rejects_non_mappings(value):
    _, exc = _outcome(lambda: build_circuit(value))
    assert exc is not None and "metadata" in str(exc)


@settings(derandomize=True, max_examples=80, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({k: st.one_of(values, st.sampled_from(good)) for k, good in {
    "layout": ["chain", "rotated_surface", "ocelot"], "d": [3, 5], "r": [1, 3], "b": ["X", "Z"],
    "noise": ["depolarizing"], "p": [1e-3, 0.0, 0.5],
}.items()}))
def test_any_metadata_gives_a_valid_circuit_or_a_catcode_error(meta):
    result, exc = _outcome(lambda: build_circuit(meta))
    if exc is None:
        _valid_circuit(result)


SWEEP_NAMES = {"d": "d", "b": "b", "rounds": "rounds", "layout": "layout", "noise": "noise", "ancilla": "ancilla"}


@pytest.mark.parametrize("key", sorted(SWEEP_NAMES))
def test_sweep_gives_points_or_names_the_key(key):
    """The sweep behind `catcode collect`/`generate`: one value adversarial (as a one-value range)."""
    for value in ADVERSARIAL:
        _check_sweep(key, value)


def _check_sweep(key: str, value: Any) -> None:
    from catcode.sweep import Sweep

    spec = {"d": 3, "b": "X", "rounds": "d", "layout": "chain", "noise": "depolarizing", "ancilla": "transmon",
            "p": 1e-3, key: value}
    result, exc = _outcome(lambda: Sweep.from_dict(spec).points())
    _names(exc, SWEEP_NAMES[key])
    if exc is None:
        assert len(result) >= 1
        json.dumps(result)  # sinter's json_metadata: numpy scalars must have become Python numbers


MUTATIONS = ("node attr", "edge attr", "drop node attr", "drop edge attr", "remove edge", "add edge", "graph attr")


@settings(derandomize=True, max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["chain", "rotated_surface", "rectangular_surface", "ldpc_cat"]),
       st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 10**6), st.integers(0, 10**6),
                          st.sampled_from(["kind", "role", "coords", "params", "layer", "check", "logicals",
                                           "distance"]), values), min_size=1, max_size=3))
def test_a_corrupted_graph_gives_a_layout_or_a_catcode_error(kind, mutations):
    """``Layout(graph)`` on a valid graph with random attributes replaced, dropped, edges moved."""
    base = {"chain": lambda: Layout.chain(3, ancilla="cat"), "rotated_surface": lambda: Layout.rotated_surface(3),
            "rectangular_surface": lambda: Layout.rectangular_surface(3, 2),
            "ldpc_cat": lambda: Layout.ldpc_cat(4, 5)}[kind]()
    g = nx.Graph(base.graph)
    g.graph.update(base.graph.graph)
    for what, i, j, attr, value in mutations:
        nodes, edges = list(g.nodes), list(g.edges)
        node, edge = nodes[i % len(nodes)], edges[j % len(edges)] if edges else None
        if what == "node attr":
            g.nodes[node][attr] = value
        elif what == "edge attr" and edge:
            g.edges[edge][attr] = value
        elif what == "drop node attr":
            g.nodes[node].pop(attr, None)
        elif what == "drop edge attr" and edge:
            g.edges[edge].pop(attr, None)
        elif what == "remove edge" and edge:
            g.remove_edge(*edge)
        elif what == "add edge":
            g.add_edge(node, nodes[j % len(nodes)], kind="cx", layer=i % 5, params={})
        elif what == "graph attr":
            g.graph[attr] = value
    result, exc = _outcome(lambda: Layout(g, name="fuzz", code=base.code))
    if exc is None:  # accepted: the derived structure is computable, and a circuit is valid or refused
        _ = (result.stabilizers, result.cx_layers, result.distance, result.bit_distance, result.qubit_index)
        circuit, exc = _outcome(lambda: memory_circuit(result, noise.depolarizing(1e-3), rounds=2, basis="X"))
        if exc is None:
            _valid_circuit(circuit)


def _sweep_helpers() -> dict[str, tuple[Callable[[Any], Any], str]]:
    from catcode.experiment import metadata_filename
    from catcode.sweep import Sweep, parse_value, read_circuit_file, rounds_for, tasks_from_circuit_files

    return {  # call on one adversarial value -> the name its error must use
        "tasks_from_circuit_files": (lambda v: tasks_from_circuit_files(v), r"paths|circuit file|--circuits"),
        "read_circuit_file": (lambda v: read_circuit_file(v), "circuit file"),
        "rounds_for d": (lambda v: rounds_for("2d", v), r"d|rounds"),
        "rounds_for rule": (lambda v: rounds_for(v, 3), "rounds"),
        "parse_value": (lambda v: parse_value(v), "value"),
        "metadata_filename": (lambda v: metadata_filename(v), "metadata"),
        "Sweep params": (lambda v: Sweep(d=(3,), noise=("depolarizing",), params=v).points(),
                         r"params|needs parameter|^p must"),
    }


@pytest.mark.parametrize("helper", sorted(_sweep_helpers()))
def test_sweep_and_file_helpers_refuse_what_they_cannot_use(helper):
    fn, name = _sweep_helpers()[helper]
    for value in ADVERSARIAL:
        _, exc = _outcome(lambda: fn(value))
        if exc is not None:
            assert re.search(name, str(exc)), f"{helper}({_short(value)}): {exc}"


def _assert_one_line_error(run: Callable[[], Any], start: str) -> None:
    """``run()`` raises a one-line CatcodeError whose message begins with ``start``."""
    with pytest.raises(CatcodeError) as info:
        run()
    message = str(info.value)
    assert message.startswith(start) and "\n" not in message, message


def _seeded_calls() -> dict[str, Callable[[Any], Any]]:
    from catcode.analysis import fit_parameter_x_th
    from catcode.overhead import OverheadOptions
    from catcode.rare import estimate_logical_error, estimate_tasks
    from catcode.threshold import crossing_threshold

    circuit = stim.Circuit.generated("repetition_code:memory", distance=3, rounds=3, before_round_data_depolarization=0.01)
    return {
        "estimate_logical_error": lambda seed: estimate_logical_error(circuit, seed=seed),
        "estimate_tasks": lambda seed: estimate_tasks([(circuit, {"d": 3})], seed=seed),
        "crossing_threshold": lambda seed: crossing_threshold([], x_key="p", seed=seed),
        "fit_parameter_x_th": lambda seed: fit_parameter_x_th([], x_key="p", method="bootstrap", seed=seed),
        "OverheadOptions": lambda seed: OverheadOptions(seed=seed),
    }


@pytest.mark.parametrize("call", sorted(_seeded_calls()))
@pytest.mark.parametrize("seed", [-1, 1.5, "7", True, _Opaque()], ids=repr)
def test_every_seed_is_an_integer_at_least_zero_or_none(call, seed):
    """Checked before any work (numpy's own errors were a ValueError or TypeError from inside)."""
    with pytest.raises(CatcodeError, match=r"^seed must be an integer >= 0 or None; got "):
        _seeded_calls()[call](seed)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(targets=2.0), r"^target must be a probability in \[0, 0.5\]; got 2.0$"),
        (dict(targets=[1e-9], architectures="bogus"), r"^architecture must be one of .*; got 'bogus'$"),
        (dict(targets=[1e-9], cat_distances=5), r"^cat_distances needs >= 2 different distances .*; got \[5\]$"),
        (dict(targets=[1e-9], nbar_values=-1.0), r"^nbar must be a finite number > 0; got -1.0$"),
        (dict(targets=[1e-9], surface_distances=None), r"^surface_distances must be an integer >= 2; got None$"),
    ],
    ids=["targets", "architectures", "cat_distances", "nbar_values", "surface_distances"],
)
def test_overhead_search_takes_a_single_value_for_a_list_and_names_what_is_wrong(kwargs, message):
    """A bare number or name stands for a list of one (as in the sweep's metadata); it used to
    raise TypeError ('float' object is not iterable) from inside the search."""
    from catcode.overhead import qubits_for_target

    with pytest.raises(CatcodeError, match=message):
        qubits_for_target(**kwargs)


def _stats() -> list:
    import sinter

    return [sinter.TaskStats(strong_id="a", decoder="pymatching", json_metadata={"d": 3, "p": 0.01, "r": 3},
                             shots=1000, errors=10)]


def _rates() -> list:
    from catcode.analysis import error_rates

    return error_rates(_stats())


def _wrong_inputs() -> dict[str, tuple[Callable[[], Any], str]]:
    """Calls with one argument of the wrong kind, and the start of the one-line error each must give."""
    from catcode import analysis
    from catcode.drawing import draw_layout
    from catcode.overhead import plot_overhead
    from catcode.plotting import plot_error_rates, plot_total_and_parts

    from_stats = "sinter statistics become rate points through analysis.error_rates(stats)"
    return {
        "fit_scaling(stats)": (lambda: analysis.fit_scaling(_stats(), x_key="p"),
                               f"points must be a list of ErrorRate or TotalErrorRate points; item 0 is sinter.TaskStats: {from_stats}"),
        "suppression_factors(stats)": (lambda: analysis.suppression_factors(_stats()), "points must be a list of"),
        "format_rates_table(stats)": (lambda: analysis.format_rates_table(_stats(), x_key="p"), "points must be a list of"),
        "fit_parameter_x_th(stats)": (lambda: analysis.fit_parameter_x_th(_stats(), x_key="p"), "points must be a list of"),
        "total_error_rates(stats)": (lambda: analysis.total_error_rates(_stats()),
                                     "rates must be a list of ErrorRate points; item 0 is sinter.TaskStats"),
        "error_rates([3])": (lambda: analysis.error_rates([3]), "stats must be a list of sinter.TaskStats; item 0 is int 3"),
        "error_rates(3)": (lambda: analysis.error_rates(3), "stats must be a list of sinter.TaskStats; got 3"),
        "plot_error_rates(stats)": (lambda: plot_error_rates(_stats(), x_key="p"), "points must be a list of"),
        "plot_error_rates(ax=3)": (lambda: plot_error_rates(_rates(), x_key="p", ax=3),
                                   "ax must be a matplotlib Axes (e.g. plt.subplots()[1]) or None; got int"),
        "plot_total_and_parts(rates)": (lambda: plot_total_and_parts(_rates(), x_key="p"),
                                        "totals must be a list of TotalErrorRate points; item 0 is catcode.analysis.ErrorRate: "
                                        "analysis.total_error_rates(rates) pairs"),
        "draw_layout('x')": (lambda: draw_layout("x"), "layout must be a catcode.Layout (e.g. Layout.chain(5)); got str"),
        "draw_layout(ax=3)": (lambda: draw_layout(Layout.chain(3), ax=3), "ax must be a matplotlib Axes"),
        "plot_overhead(3)": (lambda: plot_overhead(3), "studies must be a list of (label, OverheadStudy) pairs; got 3"),
        "plot_overhead([('a', 3)])": (lambda: plot_overhead([("a", 3)]), "studies must be (label, OverheadStudy) pairs; item 0"),
    }


@pytest.mark.parametrize("call", sorted(_wrong_inputs()))
def test_analysis_and_figures_name_an_argument_of_the_wrong_kind(call):
    """They raised AttributeError or TypeError from inside (e.g. 'TaskStats' object has no attribute 'best')."""
    run, start = _wrong_inputs()[call]
    _assert_one_line_error(run, start)


def _circuit_checks() -> dict[str, tuple[Callable[[], Any], str]]:
    from catcode import ideal_memory_circuit, logical_support, verify_memory_circuit

    quiet = memory_circuit(Layout.chain(3), None, rounds=3, basis="X")
    noisy = memory_circuit(Layout.chain(3), noise.si1000(1e-3), rounds=3, basis="X")
    chain = Layout.chain(3)
    return {
        "ideal_memory_circuit('x')": (lambda: ideal_memory_circuit("x", rounds=3, basis="X"),
                                      "layout must be a catcode.Layout (e.g. Layout.chain(5)); got str"),
        "logical_support('x')": (lambda: logical_support("x", "X"), "layout must be a catcode.Layout"),
        "logical_support(basis='Q')": (lambda: logical_support(chain, "Q"), "basis must be one of 'X', 'Z'; got 'Q'"),
        "logical_support(ldpc_cat)": (lambda: logical_support(Layout.ldpc_cat(4, 4), "X"),
                                      "layout 'ldpc_cat_4x4_periodic' has 8 logical qubits; logical_support is for codes "
                                      "with one: use catcode.compiler.logical_supports"),
        "verify(circuit='x')": (lambda: verify_memory_circuit("x", chain, rounds=3, basis="X"),
                                "circuit must be a stim.Circuit; got str"),
        "verify(layout='x')": (lambda: verify_memory_circuit(noisy, "x", rounds=3, basis="X"), "layout must be a catcode.Layout"),
        "verify(rounds=0)": (lambda: verify_memory_circuit(noisy, chain, rounds=0, basis="X"), "rounds must be an integer >= 1"),
        "verify(basis='Y')": (lambda: verify_memory_circuit(noisy, chain, rounds=3, basis="Y"), "basis must be one of 'X', 'Z'"),
        "verify(distance=0)": (lambda: verify_memory_circuit(noisy, chain, rounds=3, basis="X", distance=0),
                               "distance must be an integer >= 1; got 0"),
        "verify(noiseless, distance=3)": (lambda: verify_memory_circuit(quiet, chain, rounds=3, basis="X", distance=3),
                                          "expected graphlike distance 3, but the circuit has no noise to measure it with"),
    }


@pytest.mark.parametrize("call", sorted(_circuit_checks()))
def test_circuit_helpers_refuse_bad_arguments_in_one_line(call):
    """They raised TypeError/AttributeError from inside, a multi-line Stim ValueError (a noiseless
    circuit's distance), or accepted basis='Q' and answered for an LDPC-cat patch's first column."""
    run, start = _circuit_checks()[call]
    _assert_one_line_error(run, start)



def _decoder_checks() -> dict[str, tuple[Callable[[], Any], str]]:
    from catcode.bposd import BpOsdCompiledDecoder, BpOsdSinterDecoder
    from catcode.decoders import ErasureMatchingCompiledDecoder, ErasureMatchingDecoder, default_decoder

    dem = stim.Circuit.generated("repetition_code:memory", distance=3, rounds=3,
                                 before_round_data_depolarization=0.01).detector_error_model(decompose_errors=True)

    def decode(data: Any) -> Any:
        return ErasureMatchingCompiledDecoder(dem).decode_shots_bit_packed(bit_packed_detection_event_data=data)

    return {
        "events int64 300": (lambda: decode(np.full((3, 1), 300, np.int64)),
                             "detection events must be bit-packed bytes (uint8, as sinter passes them); got int64 values "
                             "outside 0..255"),
        "events float": (lambda: decode(np.zeros((3, 1))), "detection events must be bit-packed bytes (uint8, as sinter "
                                                           "passes them); got float64"),
        "use_heralds='no'": (lambda: ErasureMatchingDecoder(use_heralds="no"), "use_heralds must be True or False; got 'no'"),
        "use_heralds=0": (lambda: ErasureMatchingCompiledDecoder(dem, use_heralds=0), "use_heralds must be True or False; got 0"),
        "default_decoder('x')": (lambda: default_decoder("x"),
                                 "circuit_or_dem must be a stim.Circuit or stim.DetectorErrorModel; got str"),
        "bposd ms_scaling_factor='x'": (lambda: BpOsdSinterDecoder(ms_scaling_factor="x"),
                                        "ms_scaling_factor must be a finite number > 0; got 'x'"),
        "bposd dem='x'": (lambda: BpOsdCompiledDecoder("x"), "dem must be a stim.DetectorErrorModel; got str"),
        "bposd bp_method": (lambda: BpOsdCompiledDecoder(dem, bp_method="bogus"),
                            "bp_method must be one of 'product_sum', 'minimum_sum'; got 'bogus'"),
        "bposd osd_method": (lambda: BpOsdCompiledDecoder(dem, osd_method="osd_x"),
                             "osd_method must be one of 'osd_0', 'osd_e', 'osd_cs'; got 'osd_x'"),
        "bposd max_iter": (lambda: BpOsdCompiledDecoder(dem, max_iter=0), "max_iter must be an integer >= 1; got 0"),
    }


@pytest.mark.parametrize("call", sorted(_decoder_checks()))
def test_decoders_refuse_bad_settings_and_data_in_one_line(call):
    """They wrapped int64 bytes modulo 256, read use_heralds='no' as True, or raised from inside
    ldpc, numpy or stim."""
    run, start = _decoder_checks()[call]
    _assert_one_line_error(run, start)


def test_decoders_accept_numpy_booleans_and_small_integer_bytes():
    from catcode.decoders import ErasureMatchingCompiledDecoder, ErasureMatchingDecoder

    dem = stim.Circuit.generated("repetition_code:memory", distance=3, rounds=3,
                                 before_round_data_depolarization=0.01).detector_error_model(decompose_errors=True)
    assert ErasureMatchingDecoder(use_heralds=np.bool_(False)).use_heralds is False
    rows = np.asarray([[0], [3], [6]])
    decoder = ErasureMatchingCompiledDecoder(dem)
    np.testing.assert_array_equal(decoder.decode_shots_bit_packed(bit_packed_detection_event_data=rows),
                                  ErasureMatchingCompiledDecoder(dem).decode_shots_bit_packed(
                                      bit_packed_detection_event_data=rows.astype(np.uint8)))


def _estimator_and_threshold_checks() -> dict[str, tuple[Callable[[], Any], str]]:
    from catcode.rare import FaultModel, estimate_logical_error, format_table
    from catcode.threshold import crossing_threshold, crossing_thresholds

    circuit = stim.Circuit.generated("repetition_code:memory", distance=3, rounds=3, before_round_data_depolarization=0.01)
    return {
        "FaultModel.from_dem(circuit)": (lambda: FaultModel.from_dem(circuit),
                                         "dem must be a stim.DetectorErrorModel (circuit.detector_error_model()); got Circuit"),
        "format_table([3])": (lambda: format_table([3]), "records must be a list of EstimateRecord; item 0 is int 3"),
        "crossing_threshold([3])": (lambda: crossing_threshold([3], x_key="p"),
                                    "stats must be a list of sinter.TaskStats; item 0 is int 3"),
        "crossing_thresholds('x')": (lambda: crossing_thresholds("x", x_key="p"),
                                     "stats must be a list of sinter.TaskStats; got 'x'"),
        "estimate progress='yes'": (lambda: estimate_logical_error(circuit, progress="yes"),
                                    "progress must be True, False or a function taking a line of text; got 'yes'"),
    }


@pytest.mark.parametrize("call", sorted(_estimator_and_threshold_checks()))
def test_estimator_and_threshold_refuse_arguments_of_the_wrong_kind(call):
    """They raised AttributeError or a parse error from inside, or took progress='yes' as True."""
    run, start = _estimator_and_threshold_checks()[call]
    _assert_one_line_error(run, start)


_NO_Z9 = "no node 'Z9' in layout 'ocelot'; nodes: D1, A1, D2"


@pytest.mark.parametrize(
    "run, start",
    [
        (lambda: Layout.ocelot().coords("Z9"), _NO_Z9),
        (lambda: Layout.ocelot().kind("Z9"), _NO_Z9),
        (lambda: Layout.ocelot().node_params("Z9"), _NO_Z9),
        (lambda: Layout.ocelot().edge_params("D1", "D9"), "no coupling D1-D9 in layout 'ocelot'; cx couplings: D1-A1"),
        (lambda: Layout.ocelot().with_params("D1"), "with_params('D1') sets nothing: give parameters as keywords"),
        (lambda: Layout.ocelot(params={"Z9": {}}), _NO_Z9),
        (lambda: Layout.ocelot(params={("A1", "D9"): {}}), "no coupling A1-D9 in layout 'ocelot'"),
    ],
    ids=["coords", "kind", "node_params", "edge_params", "with_params()", "params={'Z9': {}}", "params={(A1, D9): {}}"],
)
def test_layout_lookups_name_an_unknown_component(run, start):
    """coords, kind, node_params and edge_params raised a bare KeyError; with_params() and an
    empty mapping for an unknown component were silently accepted."""
    _assert_one_line_error(run, start)


def _path_and_helper_checks() -> dict[str, tuple[Callable[[], Any], str]]:
    from catcode import analysis
    from catcode.io import check_output_path
    from catcode.sampling import ResumableCsv, default_batch_size, read_stats

    return {
        "check_output_path(3)": (lambda: check_output_path(3), "output path must be a file path (str or os.PathLike); got int"),
        "ResumableCsv(3)": (lambda: ResumableCsv(3), "stats CSV path must be a file path (str or os.PathLike); got int"),
        "read_stats(3)": (lambda: read_stats(3), "stats file path must be a file path (str or os.PathLike); got int"),
        "analysis.read_stats(None)": (lambda: analysis.read_stats(None), "stats file path must be a file path"),
        "filter_stats(filters='d=3')": (lambda: analysis.filter_stats([], "d=3"),
                                        "filters must be a mapping of metadata key -> accepted value(s)"),
        "default_batch_size('x')": (lambda: default_batch_size("x"), "circuit must be a stim.Circuit; got str"),
    }


@pytest.mark.parametrize("call", sorted(_path_and_helper_checks()))
def test_paths_and_helpers_refuse_arguments_of_the_wrong_kind(call):
    """They raised TypeError or AttributeError from pathlib, a dict method or stim."""
    _assert_one_line_error(*_path_and_helper_checks()[call])
