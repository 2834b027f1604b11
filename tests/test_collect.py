"""catcode collect: sweeps -> tasks, resumable CSV, kill-and-resume exactness, fail-fast validation."""

from __future__ import annotations

import json
import math
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest
import sinter
from sinter._command._main import main as sinter_main  # what the `sinter` console script runs
import stim

from catcode.cli import main as catcode_main
from catcode.errors import CatcodeError
from catcode.sampling import ResumableCsv, collect, prepare_tasks, read_stats, scan_csv
from catcode.sweep import Sweep, build_circuit, rounds_for, tasks_from_circuit_files

# --------------------------------------------------------------------------------------------
# Circuits with known outcomes: "flip" errs on every shot, "clean" never, "noisy" at ~1 %.


def _flip() -> stim.Circuit:
    return stim.Circuit("R 0 1\nX_ERROR(1) 0\nM 0 1\nDETECTOR rec[-1]\nOBSERVABLE_INCLUDE(0) rec[-2]")


def _clean() -> stim.Circuit:
    return stim.Circuit.generated("repetition_code:memory", distance=3, rounds=3)


def _noisy() -> stim.Circuit:
    return stim.Circuit.generated("repetition_code:memory", distance=9, rounds=9,
                                  before_round_data_depolarization=0.08, after_clifford_depolarization=0.02)


@pytest.fixture()
def circuit_files(tmp_path: pathlib.Path) -> list[str]:
    folder = tmp_path / "circuits"
    folder.mkdir()
    paths = []
    for name, circuit in (("noisy", _noisy()), ("flip", _flip()), ("clean", _clean())):
        path = folder / f"name={name},d=9.stim"
        circuit.to_file(path)
        paths.append(str(path))
    return paths


def _totals(path: pathlib.Path) -> dict[str, tuple[int, int]]:
    return {s.json_metadata["name"]: (s.shots, s.errors) for s in sinter.read_stats_from_csv_files(str(path))}


def _data_rows(path: pathlib.Path) -> int:
    try:
        return max(0, path.read_bytes().count(b"\n") - 1)
    except FileNotFoundError:
        return 0


# --------------------------------------------------------------------------------------------
# Sweep -> tasks


def test_sweep_is_the_product_with_full_metadata() -> None:
    sweep = Sweep(d=(3, 5), b=("X", "Z"), noise=("biased",), params={"p": (1e-3, 2e-3), "eta": (100,)},
                  rounds="2d")
    points = sweep.points()
    assert len(points) == 2 * 2 * 2
    for meta in points:
        assert {"d", "r", "b", "noise", "layout", "p", "eta"} <= set(meta)
        assert meta["r"] == 2 * meta["d"]
        assert meta["layout"] == "chain" and meta["noise"] == "biased"
        assert isinstance(meta["eta"], float)  # canonical: eta=100 and eta=100.0 are one task
    assert len({json.dumps(m, sort_keys=True) for m in points}) == len(points)
    tasks = sweep.tasks()
    assert len(tasks) == len(points)
    for task in tasks[:2]:
        assert task.decoder == "pymatching"
        assert str(task.circuit) == str(build_circuit(task.json_metadata))


def test_sweep_default_parameters_are_recorded_and_layout_dimensions_apply_per_layout() -> None:
    presets = {"toy": lambda p, eta=10.0: None}  # a factory without .params: swept values + floats
    points = Sweep(d=(3,), b=("X",), noise=("toy",), params={"p": (1,)}).points(presets)
    assert points == [{"layout": "chain", "d": 3, "r": 3, "b": "X", "noise": "toy", "p": 1.0}]
    full = Sweep(d=(3, 5), b=("X",), noise=("depolarizing",), layout=("ocelot", "chain"),
                 ancilla=("transmon", "cat"), params={"p": (1e-3,)}).points()
    ocelot = [(m["d"], m.get("section")) for m in full if m["layout"] == "ocelot"]
    assert ocelot == [(3, "1-3"), (3, "3-5"), (5, None)]
    chain = [(m["d"], m.get("ancilla", "transmon")) for m in full if m["layout"] == "chain"]
    assert chain == [(3, "transmon"), (3, "cat"), (5, "transmon"), (5, "cat")]


def test_rounds_rules() -> None:
    assert [rounds_for(r, 7) for r in ("d", "3d", "3*d", 4, "4")] == [7, 21, 21, 4, 4]
    for bad in ("x", "0", 0, -1, "d+1", True):
        with pytest.raises(CatcodeError, match="rounds"):
            rounds_for(bad, 3)


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"d": [], "noise": "depolarizing", "p": 1e-3}, "empty range"),
        ({"d": [3], "noise": "depolarizing", "p": []}, "empty range"),
        ({"d": [0, 3], "noise": "depolarizing", "p": 1e-3}, "distance"),
        ({"d": [-3], "noise": "depolarizing", "p": 1e-3}, "distance"),
        ({"d": [3, 3], "noise": "depolarizing", "p": 1e-3}, "more than once"),
        ({"d": [3], "noise": "depolarizing", "p": 1e-3, "zeta": 2}, "unknown parameter 'zeta'"),
        ({"d": [3], "noise": "no_such_preset", "p": 1e-3}, "unknown noise preset"),
        ({"d": [3], "noise": "biased", "p": 1e-3}, "needs parameter 'eta'"),
        ({"d": [3], "noise": "depolarizing", "p": 1e-3, "b": "Y"}, "basis"),
        ({"d": [3], "noise": "depolarizing", "p": 1e-3, "layout": "torus"}, "layout"),
        ({"d": [4], "noise": "depolarizing", "p": 1e-3, "layout": "ocelot"}, "ocelot"),
        ({"d": [3], "noise": "depolarizing", "p": 1e-3, "rounds": "zero"}, "rounds"),
        ({"d": [3], "noise": "depolarizing", "p": 1e-3, "r": 3}, "rounds"),
        ({"noise": "depolarizing", "p": 1e-3}, "needs 'd'"),
    ],
)
def test_bad_sweeps_raise_catcode_error(spec: dict, message: str) -> None:
    with pytest.raises(CatcodeError, match=message):
        Sweep.from_dict(spec).tasks()


@pytest.mark.slow
def test_strong_ids_match_a_plain_sinter_collect(tmp_path: pathlib.Path, circuit_files: list[str]) -> None:
    ours = {t.strong_id() for t in prepare_tasks(tasks_from_circuit_files(circuit_files))}
    theirs = tmp_path / "sinter.csv"
    sinter_main(command_line_args=["collect", "--circuits", *circuit_files, "--metadata_func", "auto",
                                   "--decoders", "pymatching", "--max_shots", "100", "--processes", "2",
                                   "--quiet", "--save_resume_filepath", str(theirs)])
    assert {s.strong_id for s in sinter.read_stats_from_csv_files(str(theirs))} == ours


def test_a_swept_point_and_its_circuit_file_are_the_same_task(tmp_path: pathlib.Path) -> None:
    from catcode.experiment import metadata_filename

    sweep = Sweep(d=(3, 5), b=("X", "Z"), noise=("biased",), params={"p": (1e-3,), "eta": (100,)})
    for meta in sweep.points():
        build_circuit(meta).to_file(tmp_path / metadata_filename(meta))
    files = sorted(str(p) for p in tmp_path.glob("*.stim"))
    assert len(files) == 4
    swept = {t.strong_id() for t in prepare_tasks(sweep.tasks())}
    assert swept == {t.strong_id() for t in prepare_tasks(tasks_from_circuit_files(files))}


# --------------------------------------------------------------------------------------------
# Resumable CSV


def _row(sid: str, shots: int, errors: int) -> sinter.TaskStats:
    return sinter.TaskStats(strong_id=sid, decoder="pymatching", json_metadata={"d": 3}, shots=shots,
                            errors=errors, seconds=0.25)


def test_torn_last_line_is_dropped_and_a_whole_unterminated_row_is_kept(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "s.csv"
    with ResumableCsv(path) as out:
        out.append(_row("a", 100, 3))
    whole = _row("a", 50, 1).to_csv_line()
    path.write_bytes(path.read_bytes() + whole.encode())  # complete row, newline lost
    warnings: list[str] = []
    with ResumableCsv(path, warn=warnings.append) as out:
        assert {k: (v.shots, v.errors) for k, v in out.existing.items()} == {"a": (150, 4)}
        out.append(_row("a", 10, 0))
    assert not warnings
    for cut in (5, len(whole) // 2, len(whole) - 1):  # every torn prefix of a row is dropped
        before = path.read_bytes()
        path.write_bytes(before + whole[:cut].encode())
        with ResumableCsv(path, warn=warnings.append) as out:
            assert out.existing["a"].shots == 160
        assert path.read_bytes() == before
    assert len(warnings) == 3
    assert [(s.shots, s.errors) for s in sinter.read_stats_from_csv_files(str(path))] == [(160, 4)]


def test_csv_scan_rejects_foreign_files_and_repairs_a_torn_header(tmp_path: pathlib.Path) -> None:
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(CatcodeError, match="not a sinter stats CSV"):
        scan_csv(foreign)
    bad_row = tmp_path / "bad.csv"
    bad_row.write_text(sinter.CSV_HEADER + "\n" + "1,2,oops\n" + _row("a", 1, 0).to_csv_line() + "\n")
    with pytest.raises(CatcodeError, match=r"bad.csv:2"):
        scan_csv(bad_row)
    torn_header = tmp_path / "torn.csv"
    torn_header.write_text(sinter.CSV_HEADER[:20])
    with ResumableCsv(torn_header) as out:
        assert out.existing == {}
    assert torn_header.read_text() == sinter.CSV_HEADER + "\n"


def test_one_writer_at_a_time(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "s.csv"
    with ResumableCsv(path):
        with pytest.raises(CatcodeError, match="another catcode collect"):
            ResumableCsv(path).open()


# --------------------------------------------------------------------------------------------
# Kill at any moment, resume, exact totals


def _start_collect(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "catcode", "collect", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the collect process and the sinter workers it started (its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


@pytest.mark.slow
def test_killed_and_resumed_collection_is_exact(tmp_path: pathlib.Path, circuit_files: list[str]) -> None:
    max_shots = 400_000
    path = tmp_path / "stats.csv"
    args = ["--circuits", *circuit_files, "--out", str(path), "--max_shots", str(max_shots),
            "--processes", "2", "--quiet"]
    partial_seen = False
    for rows_before_kill in (2, 6):
        proc = _start_collect(args)
        try:
            start = _data_rows(path)
            deadline = time.monotonic() + 60
            while _data_rows(path) < start + rows_before_kill and proc.poll() is None:
                assert time.monotonic() < deadline, "collect wrote no rows"
                time.sleep(0.005)
        finally:
            _kill_group(proc)
        totals = _totals(path)
        assert all(shots <= max_shots for shots, _ in totals.values())
        partial_seen |= any(shots < max_shots for shots, _ in totals.values())
    assert partial_seen, "the kills came too late to interrupt anything"
    # A write cut short by the kill: half a row at the end of the file.
    half = _row("x" * 64, 123, 4).to_csv_line()[:40]
    with open(path, "a") as f:
        f.write(half)

    assert catcode_main(["collect", *args]) == 0
    resumed = _totals(path)
    assert not path.read_text().endswith(half)
    # Exact per task: every shot counted once, and the deterministic tasks' errors exact.
    assert resumed["flip"] == (max_shots, max_shots)
    assert resumed["clean"] == (max_shots, 0)
    assert resumed["noisy"][0] == max_shots

    # The same stopping rule without interruption: same shots, errors within 5 sigma.
    straight = tmp_path / "straight.csv"
    stats = collect(tasks_from_circuit_files(circuit_files), out=straight, max_shots=max_shots, processes=2)
    assert sorted((s.json_metadata["name"], s.shots) for s in stats) == sorted(
        (name, shots) for name, (shots, _) in resumed.items())
    a, b = resumed["noisy"][1], _totals(straight)["noisy"][1]
    assert a > 1000 and b > 1000
    assert abs(a - b) <= 5 * math.sqrt(a + b)
    # Running again changes nothing: every task is complete.
    before = path.read_bytes()
    assert catcode_main(["collect", *args]) == 0
    assert path.read_bytes() == before


@pytest.mark.slow
def test_workers_do_not_outlive_a_killed_driver(tmp_path: pathlib.Path, circuit_files: list[str]) -> None:
    psutil = pytest.importorskip("psutil")
    path = tmp_path / "stats.csv"
    proc = _start_collect(["--circuits", *circuit_files, "--out", str(path), "--max_shots", "1e9",
                           "--processes", "2", "--quiet"])
    try:
        deadline = time.monotonic() + 60
        while _data_rows(path) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        workers = [c for c in psutil.Process(proc.pid).children() if "spawn_main" in " ".join(c.cmdline())]
        assert len(workers) == 2
        os.kill(proc.pid, signal.SIGKILL)  # the driver only, as `kill -9 PID` would
        proc.wait(timeout=30)
        gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, "sinter workers kept running after their driver was killed"
    finally:
        _kill_group(proc)
    assert read_stats(path)  # what was recorded is readable


@pytest.mark.slow
def test_stopping_rules_count_existing_and_new_data_together(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "s.csv"
    flip = sinter.Task(circuit=_flip(), json_metadata={"name": "flip"})
    clean = sinter.Task(circuit=_clean(), json_metadata={"name": "clean"})
    first = collect([flip, clean], out=path, max_shots=3000, processes=1)
    assert sorted((s.shots, s.errors) for s in first) == [(3000, 0), (3000, 3000)]
    second = collect([flip, clean], out=path, max_shots=5000, max_errors=4000, processes=1)
    got = {s.json_metadata["name"]: (s.shots, s.errors) for s in second}
    assert got["clean"] == (5000, 0)
    assert 4000 <= got["flip"][0] == got["flip"][1] <= 5000  # may overshoot max_errors, as sinter does


# --------------------------------------------------------------------------------------------
# sinter's own tools read our CSV


@pytest.mark.slow
def test_sinter_combine_and_plot_read_our_csv(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "s.csv"
    tasks = Sweep(d=(3, 5), b=("X",), noise=("depolarizing",), params={"p": (0.02, 0.04)}).tasks()
    collect(tasks, out=path, max_shots=2000, processes=2)
    collect(tasks, out=path, max_shots=3000, processes=2)  # two rows (at least) per task
    capsys.readouterr()
    sinter_main(command_line_args=["combine", str(path)])
    combined = capsys.readouterr().out
    assert combined.splitlines()[0].replace(" ", "") == sinter.CSV_HEADER.replace(" ", "")
    rows = combined.strip().splitlines()[1:]
    assert len(rows) == 4 and all(line.split(",")[0].strip() == "3000" for line in rows)
    png = tmp_path / "plot.png"
    sinter_main(command_line_args=["plot", "--in", str(path), "--out", str(png), "--x_func", "metadata['p']",
                                   "--group_func", "metadata['d']", "--xaxis", "[log]p"])
    assert png.stat().st_size > 1000


# --------------------------------------------------------------------------------------------
# Bad requests fail fast and leave the CSV untouched


@pytest.mark.parametrize(
    "args, message",
    [
        (["--d", "3", "--noise", "depolarizing", "--param", "zeta=1"], "unknown parameter 'zeta'"),
        (["--d", "3", "--noise", "nope", "--param", "p=0.01"], "unknown noise preset"),
        (["--d", "0", "--noise", "depolarizing", "--param", "p=0.01"], "distance"),
        (["--d", "3", "--noise", "depolarizing", "--param", "p="], "needs values"),
        (["--d", "3", "--noise", "depolarizing", "--param", "p=0.01", "--decoders", "nope"], "unknown decoder"),
        (["--d", "3", "--noise", "depolarizing", "--param", "p=0.01", "--scheduler", "tcp://127.0.0.1:9",
          "--scheduler_timeout", "1"], "cannot reach the Dask scheduler"),
        (["--d", "3", "--noise", "depolarizing", "--param", "p=0.01", "--max_shots", "0"], "max_shots"),
    ],
)
def test_bad_requests_fail_fast_and_leave_the_csv_intact(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture, args: list[str], message: str
) -> None:
    path = tmp_path / "s.csv"
    with ResumableCsv(path) as out:
        out.append(_row("a", 100, 3))
    path.write_bytes(path.read_bytes() + b"   12,  3")  # a torn tail: any repair would show
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    full = ["collect", "--out", str(path), "--max_shots", "100", "--quiet", *args]
    assert catcode_main(full) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime


def test_unwritable_or_foreign_output_paths_fail_before_sampling(tmp_path: pathlib.Path) -> None:
    tasks = [sinter.Task(circuit=_clean(), json_metadata={"name": "clean"})]
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    with pytest.raises(CatcodeError, match="not a directory"):
        collect(tasks, out=blocker / "s.csv", max_shots=10)
    with pytest.raises(CatcodeError, match="not a regular file"):
        collect(tasks, out=tmp_path, max_shots=10)
    with pytest.raises(CatcodeError, match="not a sinter stats CSV"):
        collect(tasks, out=blocker, max_shots=10)
    assert blocker.read_text() == "not a directory"
    if os.geteuid() != 0:  # root ignores permission bits
        locked = tmp_path / "ro"
        locked.mkdir()
        locked.chmod(0o500)
        with pytest.raises(CatcodeError, match="not writable"):
            collect(tasks, out=locked / "s.csv", max_shots=10)
    with pytest.raises(CatcodeError, match="twice"):
        collect(tasks + tasks, out=tmp_path / "new.csv", max_shots=10)
    assert not (tmp_path / "new.csv").exists()


_COLLECT_SCRIPT = (
    "import sinter, stim\n"
    "from catcode.sampling import collect\n"
    "c = stim.Circuit.generated('repetition_code:memory', distance=3, rounds=3, "
    "before_round_data_depolarization=0.01)\n"
    "def run():\n"
    "    return collect([sinter.Task(circuit=c, json_metadata={{'d': 3}})], out='s.csv', max_shots=100, "
    "processes=1, scheduler={scheduler!r})\n"
)


def _run_script(tmp_path: pathlib.Path, body: str, *, from_stdin: bool = False) -> subprocess.CompletedProcess:
    script = tmp_path / "study.py"
    script.write_text(body)
    args, stdin = ([sys.executable, "-"], body) if from_stdin else ([sys.executable, str(script)], None)
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=120, cwd=tmp_path)


@pytest.mark.parametrize("scheduler", [None, "local"])
def test_scripts_whose_workers_cannot_rerun_them_are_refused_before_any_process_starts(
    tmp_path: pathlib.Path, scheduler
) -> None:
    """Workers re-run the main script. Read from stdin ('<stdin>') or calling collect() outside the
    __main__ guard, sinter used to wait forever for workers that had died (the guard's case after a
    misleading 'being written by another catcode collect')."""
    body = _COLLECT_SCRIPT.format(scheduler=scheduler)
    expected = {
        "stdin": "catcode.errors.CatcodeError: collect() starts worker processes on this machine that re-run the "
                 "main script, and it is '<stdin>', not a file they can read",
        "top level": "catcode.errors.CatcodeError: collect() is called at the top level of the main script "
                     f"'{tmp_path / 'study.py'}' (line 6), outside `if __name__ == \"__main__\":`",
    }
    for case, done in (("stdin", _run_script(tmp_path, body + "run()\n", from_stdin=True)),
                       ("top level", _run_script(tmp_path, body + "run()\n"))):
        assert done.returncode != 0, case
        assert done.stderr.strip().splitlines()[-1].startswith(expected[case]), done.stderr[-400:]
        assert not (tmp_path / "s.csv").exists()


@pytest.mark.slow
def test_a_guarded_script_and_a_package_main_still_sample(tmp_path: pathlib.Path) -> None:
    body = _COLLECT_SCRIPT.format(scheduler=None) + "if __name__ == '__main__':\n    print(run()[0].shots)\n"
    done = _run_script(tmp_path, body)
    assert done.returncode == 0, done.stderr[-400:]
    assert done.stdout.split() == ["100"]
    stim.Circuit.generated("repetition_code:memory", distance=3, rounds=3,
                           before_round_data_depolarization=0.01).to_file(tmp_path / "d=3,r=3.stim")
    cli = subprocess.run([sys.executable, "-m", "catcode", "collect", "--circuits", "d=3,r=3.stim", "--out", "m.csv",
                          "--max_shots", "100", "--processes", "1"], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr[-400:]
    assert read_stats(tmp_path / "m.csv")[0].shots == 100


def test_dry_run_lists_tasks_and_samples_nothing(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "s.csv"
    args = ["collect", "--d", "3", "5", "--b", "X", "--noise", "depolarizing", "--param", "p=0.01,0.02",
            "--out", str(path), "--max_shots", "1e3", "--dry_run"]
    assert catcode_main(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and all(line.split()[0] == "0" for line in lines)
    assert not path.exists()


def test_help_has_examples(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        catcode_main(["collect", "--help"])
    assert "examples:" in capsys.readouterr().out


_STARTUP_PROBE = """
import sys, stim
import catcode.sampling.local  # what a sinter worker imports to unpickle the orphan guard
worker_side = sorted(m for m in ("networkx", "catcode.noise", "catcode.layout", "pymatching") if m in sys.modules)
from catcode.sampling import prepare_tasks, resolve_decoders
from catcode.sweep import tasks_from_circuit_files
tasks = prepare_tasks(tasks_from_circuit_files([sys.argv[1]]))
resolve_decoders([t.decoder for t in tasks])
print(worker_side, [t.decoder for t in tasks], "pymatching" in sys.modules)
"""


def test_start_up_imports_only_what_it_needs(tmp_path: pathlib.Path) -> None:
    """The driver resolves decoders without importing PyMatching (0.5 s); a worker imports no networkx.

    Guards catcode collect's start-up against sinter collect's (issue 15).
    """
    path = tmp_path / "d=3,b=X.stim"
    path.write_text(str(stim.Circuit.generated("repetition_code:memory", distance=3, rounds=3,
                                               before_round_data_depolarization=0.01)))
    out = subprocess.run([sys.executable, "-c", _STARTUP_PROBE, str(path)], check=True, capture_output=True,
                         text=True).stdout.strip()
    assert out == "[] ['pymatching'] False"


def test_collect_parser_imports_no_layouts() -> None:
    """`catcode collect --help` (building the parser) imports neither the layouts nor networkx (0.3 s)."""
    probe = ("import sys\nfrom catcode.cli.collect import _parser\n_parser().format_help()\n"
             "print(sorted(m for m in ('networkx', 'catcode.layout', 'catcode.experiment', 'catcode.sweep') "
             "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.strip()
    assert out == "[]"


def test_collect_on_circuit_files_imports_no_compiler_or_noise_model(tmp_path):
    """Start-up (issue 15): `catcode collect --circuits` reads files and samples; its driver must not
    import the compiler, the layouts (networkx) or the noise models (~0.3 s more than sinter)."""
    import subprocess
    import sys

    path = tmp_path / "d=3,b=X,p=0.01.stim"
    stim.Circuit.generated("repetition_code:memory", distance=3, rounds=3, before_round_data_depolarization=0.01).to_file(path)
    code = (
        "import sys\nfrom catcode.cli.collect import main\n"
        f"main(command_line_args=['--circuits', {str(path)!r}, '--out', {str(tmp_path / 'o.csv')!r}, '--max_shots', '10', '--dry_run'])\n"
        "heavy = [m for m in ('networkx', 'catcode.compiler', 'catcode.layout', 'catcode.noise', 'catcode.sweep') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
