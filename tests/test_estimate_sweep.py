"""`catcode estimate` on a sweep: the same flags as collect, rows carrying the sweep's metadata."""

from catcode.cli import main
from catcode.rare import read_estimates_csv, strong_id
from catcode.sweep import Sweep


def test_estimate_sweep_rows_match_collect_metadata(tmp_path):
    out = tmp_path / "est.csv"
    args = ["estimate", "--layout", "chain", "--ancilla", "cat", "--noise", "cat_cat", "--d", "3", "5",
            "--b", "X", "--nbar", "4", "--k1_over_k2", "1e-3", "--out", str(out), "--seed", "1", "--quiet"]
    assert main(args) == 0
    records = read_estimates_csv(out)
    sweep = Sweep.from_dict({"layout": "chain", "ancilla": "cat", "noise": "cat_cat", "d": [3, 5], "b": "X",
                             "nbar": 4, "k1_over_k2": 1e-3})
    tasks = sweep.tasks()
    assert [r.json_metadata for r in records] == [t.json_metadata for t in tasks]
    assert [r.circuit_sha256 for r in records] == [strong_id(t.circuit) for t in tasks]
    assert all(0 < r.ci_low <= r.rate <= r.ci_high < 0.5 for r in records)
    # The larger code is better below threshold (k1/k2 = 1e-3 is well below ~1e-2).
    assert records[1].ci_high < records[0].ci_low
