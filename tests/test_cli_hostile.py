"""Hostile command lines: each gives exit != 0, exactly one line on stderr, no traceback, and
creates or changes no file (issue 14). Also the one-line behaviour of the dispatcher itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from catcode.cli import main

GOOD_STIM = "layout=chain,d=3,r=3,b=X,noise=biased,eta=100.0,p=0.001.stim"
CSV_HEADER = "shots,errors,discards,seconds,decoder,strong_id,json_metadata,custom_counts\n"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A directory with good and bad inputs; the cwd of each case."""
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "--layout", "chain", "--d", "3", "--rounds", "3", "--basis", "X", "--noise", "biased",
                 "--param", "p=0.001", "--param", "eta=100", "--out", GOOD_STIM]) == 0
    Path("empty.stim").write_text("")
    Path("dir.stim").mkdir()
    os.mkfifo("fifo.stim")
    Path("notacircuit.stim").write_text("this is not stim\n")
    Path("nondet.stim").write_text("H 0\nM 0\nDETECTOR rec[-1]\n")
    Path(NAMED_NONDET).write_text("H 0\nM 0\nDETECTOR rec[-1]\nOBSERVABLE_INCLUDE(0) rec[-1]\n")
    Path(NAMED_GARBAGE).write_text("this is not stim\n")
    Path(NAMED_NO_DETECTORS).write_text("H 0\nM 0\n")
    Path("notacsv.csv").write_text("hello,world\n1,2\n")
    Path("header_only.csv").write_text(CSV_HEADER)
    Path("empty.csv").write_text("")
    Path("bad_json.csv").write_text(CSV_HEADER + '100,5,0,0.1,pymatching,abc,"{not json",\n')
    Path("negative.csv").write_text(CSV_HEADER + '-5,0,0,0.1,pymatching,abc,"{""d"":3}",\n')
    Path("bad.csv").write_text(CSV_HEADER + '100,500,0,0.1,pymatching,abc,"{""d"":3}",\n')
    Path("existing.txt").write_text("keep me\n")
    os.symlink("existing.txt", "link.csv")
    Path("readonly").mkdir()
    os.chmod("readonly", 0o500)
    yield tmp_path
    os.chmod(tmp_path / "readonly", 0o700)


def _snapshot(root: Path) -> dict[str, tuple]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            p = Path(dirpath) / name
            st = os.lstat(p)
            out[str(p.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


NAMED_NONDET = "layout=chain,d=3,r=3,b=X,noise=x,nondet=1.stim"
NAMED_GARBAGE = "layout=chain,d=3,r=3,b=X,noise=x,garbage=1.stim"
NAMED_NO_DETECTORS = "layout=chain,d=3,r=3,b=X,noise=x,nodet=1.stim"
GEN = ["generate", "--layout", "chain", "--d", "3", "--rounds", "3", "--basis", "X", "--noise", "biased",
       "--param", "p=0.001", "--param", "eta=100"]
COLLECT = ["collect", "--d", "3", "--b", "X", "--noise", "biased", "--param", "p=0.001", "--param", "eta=100",
           "--max_shots", "100", "--quiet"]
CASES = {
    # bad flags and values
    "unknown verb": ["frobnicate"],
    "generate unknown flag": GEN + ["--out", "a.stim", "--bogus"],
    "generate bad int": ["generate", "--rounds", "x", "--basis", "X", "--noise", "biased", "--out", "a.stim"],
    "generate duplicate param": GEN + ["--param", "p=0.3", "--out", "a.stim"],
    "generate section on chain": GEN + ["--section", "1-3", "--out", "a.stim"],
    "generate ocelot d=3 without section": ["generate", "--layout", "ocelot", "--d", "3", "--rounds", "3", "--basis", "X",
                                            "--noise", "ocelot", "--out", "a.stim"],
    "generate unknown preset": ["generate", "--d", "3", "--rounds", "3", "--basis", "X", "--noise", "nope", "--out", "a.stim"],
    "layout bad extension": ["layout", "--out", "a.pdf"],
    "collect missing max_shots": ["collect", "--d", "3", "--out", "s.csv"],
    "collect duplicate param": COLLECT + ["--param", "p=0.01", "--out", "s.csv"],
    "collect section on chain": COLLECT + ["--section", "1-3", "--out", "s.csv"],
    "collect bad custom decoders": COLLECT + ["--custom_decoders_module_function", "json:dumps", "--out", "s.csv"],
    "plot nan factor": ["plot", "--in", "bad.csv", "--x", "p", "--max_likelihood_factor", "nan"],
    "estimate bad float": ["estimate", "--circuits", GOOD_STIM, "--confidence", "high"],
    "overhead unknown flag": ["overhead", "--bogus"],
    # bad input files
    "collect missing file": ["collect", "--circuits", "missing.stim", "--max_shots", "10", "--out", "s.csv"],
    "collect directory": ["collect", "--circuits", "dir.stim", "--max_shots", "10", "--out", "s.csv"],
    "collect empty file": ["collect", "--circuits", "empty.stim", "--max_shots", "10", "--out", "s.csv"],
    "collect fifo": ["collect", "--circuits", "fifo.stim", "--max_shots", "10", "--out", "s.csv"],
    "collect not a circuit": ["collect", "--circuits", "notacircuit.stim", "--max_shots", "10", "--out", "s.csv"],
    "collect non-deterministic": ["collect", "--circuits", "nondet.stim", "--max_shots", "10", "--out", "s.csv"],
    "collect invalid csv row": COLLECT + ["--out", "bad.csv"],
    "plot invalid csv row": ["plot", "--in", "bad.csv", "--x", "p"],
    "plot directory": ["plot", "--in", "dir.stim", "--x", "p"],
    "plot fifo": ["plot", "--in", "fifo.stim", "--x", "p"],
    "estimate directory": ["estimate", "--circuits", "dir.stim"],
    "estimate empty": ["estimate", "--circuits", "empty.stim"],
    "estimate fifo": ["estimate", "--circuits", "fifo.stim"],
    # bad output paths
    "generate out is a directory": GEN + ["--out", "dir.stim"],
    "generate out dir not writable": GEN + ["--out", "readonly/a.stim"],
    "generate out_dir is a file": GEN + ["--out_dir", "existing.txt"],
    "layout out is a directory": ["layout", "--out", "dir.stim/"],
    "layout out missing parent": ["layout", "--out", "nowhere/a.png"],
    "collect out is a directory": COLLECT + ["--out", "dir.stim"],
    "collect out is a symlink": COLLECT + ["--out", "link.csv"],
    "plot out is a directory": ["plot", "--in", "bad.csv", "--x", "p", "--out", "dir.stim"],
    "estimate out is a directory": ["estimate", "--circuits", GOOD_STIM, "--out", "dir.stim"],
    "overhead out is a directory": ["overhead", "--d", "3", "--out", "dir.stim"],
    # --- the rest of the matrix: every verb x (bad flag, bad value, bad input file, bad output path)
    "generate missing required flag": ["generate", "--d", "3", "--basis", "X", "--noise", "biased", "--out", "a.stim"],
    "generate rounds 0": GEN[:6] + ["0"] + GEN[7:] + ["--out", "a.stim"],
    "generate rounds beyond bound": GEN[:6] + [str(10**30)] + GEN[7:] + ["--out", "a.stim"],
    "generate d beyond bound": GEN[:4] + [str(10**400)] + GEN[5:] + ["--out", "a.stim"],
    "generate param nan": GEN + ["--param", "x=nan", "--out", "a.stim"],
    "generate out is a symlink": GEN + ["--out", "link.csv"],
    "generate out missing parent": GEN + ["--out", "nowhere/a.stim"],
    "layout unknown flag": ["layout", "--out", "a.png", "--bogus"],
    "layout d too small": ["layout", "--layout", "chain", "--d", "1", "--out", "a.png"],
    "layout d huge": ["layout", "--layout", "rotated_surface", "--d", str(10**400), "--out", "a.png"],
    "layout section on chain": ["layout", "--layout", "chain", "--d", "3", "--section", "1-3", "--out", "a.png"],
    "layout ldpc width huge": ["layout", "--layout", "ldpc_cat", "--height", "4", "--width", str(2**64), "--out", "a.png"],
    "layout out is a symlink": ["layout", "--out", "link.csv"],
    "layout out dir not writable": ["layout", "--out", "readonly/a.png"],
    "collect unknown flag": COLLECT + ["--out", "s.csv", "--bogus"],
    "collect max_shots negative": COLLECT[:-4] + ["--max_shots", "-1", "--quiet", "--out", "s.csv"],
    "collect max_shots nan": COLLECT[:-4] + ["--max_shots", "nan", "--quiet", "--out", "s.csv"],
    "collect max_errors negative": COLLECT + ["--max_errors", "-1", "--out", "s.csv"],
    "collect workers 0": COLLECT + ["--workers", "0", "--out", "s.csv"],
    "collect chunk_seconds nan": COLLECT + ["--chunk_seconds", "nan", "--out", "s.csv"],
    "collect unknown decoder": COLLECT + ["--decoders", "nope", "--out", "s.csv"],
    "collect rounds beyond bound": COLLECT + ["--rounds", str(10**7), "--out", "s.csv"],
    "collect circuits and sweep": COLLECT + ["--circuits", GOOD_STIM, "--out", "s.csv"],
    "collect named non-deterministic": ["collect", "--circuits", NAMED_NONDET, "--max_shots", "10", "--out", "s.csv"],
    "collect named not a circuit": ["collect", "--circuits", NAMED_GARBAGE, "--max_shots", "10", "--out", "s.csv"],
    "collect named no detectors": ["collect", "--circuits", NAMED_NO_DETECTORS, "--max_shots", "10", "--out", "s.csv"],
    "collect out parent is a file": COLLECT + ["--out", "existing.txt/s.csv"],
    "collect out dir not writable": COLLECT + ["--out", "readonly/s.csv"],
    "collect csv not sinter": COLLECT + ["--out", "notacsv.csv"],
    "plot unknown flag": ["plot", "--in", "bad.csv", "--bogus"],
    "plot seed negative": ["plot", "--in", "bad.csv", "--x", "p", "--seed", "-1"],
    "plot bootstrap without fit": ["plot", "--in", "bad.csv", "--x", "p", "--bootstrap", "3"],
    "plot missing file": ["plot", "--in", "missing.csv", "--x", "p"],
    "plot empty file": ["plot", "--in", "empty.csv", "--x", "p"],
    "plot not a csv": ["plot", "--in", "notacsv.csv", "--x", "p"],
    "plot header only": ["plot", "--in", "header_only.csv", "--x", "p"],
    "plot bad json": ["plot", "--in", "bad_json.csv", "--x", "p"],
    "plot negative shots": ["plot", "--in", "negative.csv", "--x", "p"],
    "plot out is a symlink": ["plot", "--in", "bad.csv", "--x", "p", "--out", "link.csv"],
    "plot out missing parent": ["plot", "--in", "bad.csv", "--x", "p", "--out", "nowhere/a.png"],
    "threshold unknown flag": ["threshold", "--in", "bad.csv", "--x", "p", "--bogus"],
    "threshold missing x": ["threshold", "--in", "bad.csv"],
    "threshold resamples 0": ["threshold", "--in", "bad.csv", "--x", "p", "--resamples", "0"],
    "threshold seed negative": ["threshold", "--in", "bad.csv", "--x", "p", "--seed", "-1"],
    "threshold factor nan": ["threshold", "--in", "bad.csv", "--x", "p", "--max_likelihood_factor", "nan"],
    "threshold missing file": ["threshold", "--in", "missing.csv", "--x", "p"],
    "threshold directory": ["threshold", "--in", "dir.stim", "--x", "p"],
    "threshold empty file": ["threshold", "--in", "empty.csv", "--x", "p"],
    "threshold fifo": ["threshold", "--in", "fifo.stim", "--x", "p"],
    "threshold not a csv": ["threshold", "--in", "notacsv.csv", "--x", "p"],
    "threshold invalid csv row": ["threshold", "--in", "bad.csv", "--x", "p"],
    "threshold bad json": ["threshold", "--in", "bad_json.csv", "--x", "p"],
    "estimate unknown flag": ["estimate", "--circuits", GOOD_STIM, "--bogus"],
    "estimate seed negative": ["estimate", "--circuits", GOOD_STIM, "--seed", "-1"],
    "estimate workers 0": ["estimate", "--circuits", GOOD_STIM, "--workers", "0"],
    "estimate max_shots 0": ["estimate", "--circuits", GOOD_STIM, "--max_shots", "0"],
    "estimate target nan": ["estimate", "--circuits", GOOD_STIM, "--target_relative_ci", "nan"],
    "estimate target not a factor": ["estimate", "--circuits", GOOD_STIM, "--target_relative_ci", "0.5", "--out", "e.csv"],
    "estimate confidence 1.5": ["estimate", "--circuits", GOOD_STIM, "--confidence", "1.5", "--out", "e.csv"],
    "estimate unknown method": ["estimate", "--circuits", GOOD_STIM, "--method", "nope", "--out", "e.csv"],
    "estimate missing file": ["estimate", "--circuits", "missing.stim"],
    "estimate not a circuit": ["estimate", "--circuits", "notacircuit.stim"],
    "estimate non-deterministic": ["estimate", "--circuits", "nondet.stim"],
    "estimate not .stim": ["estimate", "--circuits", "existing.txt"],
    "estimate out is a symlink": ["estimate", "--circuits", GOOD_STIM, "--out", "link.csv"],
    "estimate out missing parent": ["estimate", "--circuits", GOOD_STIM, "--out", "nowhere/e.csv"],
    "overhead d too small": ["overhead", "--d", "1"],
    "overhead out is a symlink": ["overhead", "--d", "3", "--out", "link.csv"],
    "overhead out missing parent": ["overhead", "--d", "3", "--out", "nowhere/o.csv"],
}


@pytest.mark.parametrize("argv", list(CASES.values()), ids=list(CASES))
def test_bad_command_line_is_one_line_and_changes_nothing(workdir, argv, capsys, monkeypatch):
    if os.geteuid() == 0 and "readonly" in " ".join(argv):
        pytest.skip("root ignores directory permissions")
    monkeypatch.delenv("CATCODE_DEBUG", raising=False)
    before = _snapshot(workdir)
    code = main(list(argv))
    err = capsys.readouterr().err
    assert code != 0
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and err.startswith("catcode"), err
    assert _snapshot(workdir) == before


def _proc_refuses_new_files() -> bool:
    try:
        with open("/proc/catcode-probe", "w"):
            return False
    except OSError:
        return os.path.isdir("/proc")


UNWRITABLE = "/proc/catcode-out"  # a directory that exists and refuses new files, even to root
UNWRITABLE_OUTPUTS = {
    "generate": GEN + ["--out", f"{UNWRITABLE}.stim"],
    "layout": ["layout", "--out", f"{UNWRITABLE}.png"],
    "collect": COLLECT + ["--out", f"{UNWRITABLE}.csv"],
    "plot": ["plot", "--in", "bad.csv", "--x", "p", "--out", f"{UNWRITABLE}.png"],
    "estimate": ["estimate", "--circuits", GOOD_STIM, "--out", f"{UNWRITABLE}.csv"],
    "overhead": ["overhead", "--d", "3", "--out", f"{UNWRITABLE}.csv"],
}


@pytest.mark.skipif(not _proc_refuses_new_files(), reason="needs Linux's /proc")
@pytest.mark.parametrize("argv", list(UNWRITABLE_OUTPUTS.values()), ids=list(UNWRITABLE_OUTPUTS))
def test_output_directory_that_refuses_files_is_named_before_any_work(workdir, argv, capsys, monkeypatch):
    # os.access says "writable" to root in /proc; creating a file there fails. Every verb must
    # find out by trying, before it compiles or samples anything, and say so in one line.
    monkeypatch.delenv("CATCODE_DEBUG", raising=False)
    before = _snapshot(workdir)
    assert main(list(argv)) != 0
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "directory '/proc' is not writable" in err and "Traceback" not in err, err
    assert _snapshot(workdir) == before


def test_no_arguments_is_a_one_line_error_listing_the_commands(capsys):
    from catcode.cli import COMMANDS

    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("catcode: error: give a command")
    assert all(verb in err for verb in COMMANDS)


def test_version(capsys):
    import catcode

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"catcode {catcode.__version__}"


def test_debug_shows_the_exception(workdir):
    from catcode.errors import CatcodeError

    with pytest.raises(CatcodeError):
        main(["--debug"] + GEN + ["--param", "p=0.3", "--out", "a.stim"])


def test_help_into_a_closed_pipe_is_quiet():
    proc = subprocess.run(f"{sys.executable} -m catcode --help | head -1", shell=True, capture_output=True, text=True)
    assert proc.stdout.startswith("usage: catcode") and proc.stderr == ""


def test_generate_out_dir_is_created_and_reported(tmp_path, capsys):
    out_dir = tmp_path / "new" / "out"
    assert main(GEN + ["--out_dir", str(out_dir)]) == 0
    (written,) = out_dir.iterdir()
    assert str(written) in capsys.readouterr().err


def test_atomic_output_respects_the_umask_and_leaves_it_alone(tmp_path):
    from catcode.io import write_atomically

    old = os.umask(0o077)
    try:
        write_atomically(tmp_path / "a.txt", "x")
        assert os.umask(0o077) == 0o077
    finally:
        os.umask(old)
    # the umask read at import is what the file gets (0o666 & ~umask)
    from catcode.io import UMASK

    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~UMASK


@pytest.mark.slow
def test_the_base_command_lines_of_the_matrix_succeed(workdir, monkeypatch):
    """Positive control: the matrix's commands fail because of the one bad part, not the rest."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    assert main(GEN + ["--out", "ok.stim"]) == 0
    assert main(COLLECT + ["--out", "ok.csv"]) == 0
    assert main(["collect", "--circuits", GOOD_STIM, "--max_shots", "10", "--out", "ok2.csv", "--quiet"]) == 0
    assert main(["plot", "--in", "ok.csv", "--x", "p", "--out", "ok.png"]) == 0
    assert main(["layout", "--out", "ok.svg"]) == 0


def test_scheduler_that_is_not_dask_is_one_line(tmp_path, capsys):
    """A service that answers with garbage (here: an HTTP-like reply) must not crash the client."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
                conn.sendall(b"HTTP/1.1 200 OK\r\n" + b"\xff" * 64)
                conn.recv(100)
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    try:
        code = main(COLLECT + ["--out", str(tmp_path / "s.csv"), "--scheduler",
                               f"tcp://127.0.0.1:{server.getsockname()[1]}", "--scheduler_timeout", "2"])
    finally:
        server.close()
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Dask" in err, err
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize("argv", [
    COLLECT[:-4] + ["--max_shots", "-1", "--out", "s.csv"],
    COLLECT + ["--workers", "0", "--out", "s.csv"],
    COLLECT + ["--chunk_seconds", "0", "--out", "s.csv"],
    COLLECT + ["--decoders", "nope", "--out", "s.csv"],
    ["estimate", "--d", "3", "--b", "X", "--noise", "biased", "--param", "p=0.001", "--param", "eta=100",
     "--confidence", "2"],
    ["estimate", "--d", "3", "--b", "X", "--noise", "biased", "--param", "p=0.001", "--param", "eta=100",
     "--method", "nope"],
], ids=["collect max_shots", "collect workers", "collect chunk_seconds", "collect decoder", "estimate confidence",
        "estimate method"])
def test_bad_values_fail_before_any_circuit_is_built(tmp_path, monkeypatch, capsys, argv):
    from catcode.sweep import Sweep

    def no_work(*args, **kwargs):
        raise AssertionError("a circuit was built before the bad value was reported")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Sweep, "tasks", no_work)
    monkeypatch.setattr(Sweep, "points", no_work)
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "AssertionError" not in err, err
    assert list(tmp_path.iterdir()) == []
