"""One owner per concept (issue 10 item 3): the stats reader, the progress printer, the preset check."""

from __future__ import annotations

import pytest
import sinter
import stim

from catcode import analysis, noise
from catcode.errors import CatcodeError
from catcode.sampling.csvio import read_stats


def _stats(name: str, shots: int, errors: int) -> sinter.TaskStats:
    return sinter.TaskStats(strong_id=name * 4, decoder="pymatching", json_metadata={"distance": 3, "name": name},
                            shots=shots, errors=errors)


def _csv(path, *stats: sinter.TaskStats, tail: str = "") -> str:
    path.write_text(sinter.CSV_HEADER + "\n" + "".join(s.to_csv_line() + "\n" for s in stats) + tail)
    return str(path)


def test_one_reader_sums_files_ignores_a_torn_tail_and_normalises_on_request(tmp_path):
    a = _csv(tmp_path / "a.csv", _stats("a", 100, 3), _stats("b", 10, 1))
    b = _csv(tmp_path / "b.csv", _stats("a", 50, 2), tail="       7,   1,   0,  0.1,pymat")  # a write in progress
    clean = {s.strong_id: (s.shots, s.errors) for s in sinter.read_stats_from_csv_files(a)}
    assert {s.strong_id: (s.shots, s.errors) for s in read_stats(a)} == clean
    summed = {s.strong_id: (s.shots, s.errors) for s in read_stats(a, b)}
    assert summed == {"aaaa": (150, 5), "bbbb": (10, 1)}
    raw = read_stats(a)[0].json_metadata
    normalised = analysis.read_stats(a, b)[0].json_metadata
    assert "distance" in raw and normalised["d"] == 3 and "distance" not in normalised
    assert analysis.read_stats(a, b) == read_stats(a, b, normalize=True)


def test_the_reader_names_a_bad_file(tmp_path):
    with pytest.raises(CatcodeError, match="stats file not found"):
        read_stats(tmp_path / "missing.csv")
    (tmp_path / "header.csv").write_text("a,b\n1,2\n")
    with pytest.raises(CatcodeError, match=r"could not read sinter stats from .*header\.csv.*header lacks"):
        read_stats(tmp_path / "header.csv")


def test_the_rare_estimator_reports_through_the_progress_printer():
    from catcode.rare import estimate_logical_error

    circuit = stim.Circuit.generated("repetition_code:memory", distance=3, rounds=3, before_round_data_depolarization=0.02)
    lines: list[str] = []
    estimate_logical_error(circuit, method="subset", max_shots=20_000, seed=1, progress=lines.append)
    assert lines and all(line.startswith("[catcode estimate ") for line in lines)


@pytest.mark.parametrize(
    ("params", "message"),
    [({"p": 0.001, "zeta": 1}, "unknown parameter 'zeta' for noise preset 'biased'"),
     ({"p": 0.001}, "noise preset 'biased' needs parameter 'eta'")],
)
def test_preset_and_sweep_share_one_signature_check(params, message):
    from catcode.sweep import Sweep

    with pytest.raises(CatcodeError, match=message):
        noise.preset("biased", **params)
    with pytest.raises(CatcodeError, match=message):
        Sweep(d=(3,), noise=("biased",), params={k: (v,) for k, v in params.items()}).points()
