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


def test_no_arguments_prints_usage_to_stderr_and_exits_2(capsys):
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("usage: catcode")


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
