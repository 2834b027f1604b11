"""Audit of issue 14's findings against the current code: one line per finding, OK or the symptom.

Run: ``.venv/bin/python scripts/audit_issue14.py`` (about 30 s). Each API case runs under a 10-s
alarm; each CLI case runs in-process through :func:`catcode.cli.main` in a scratch directory.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from catcode import Layout, noise
from catcode.cli import main as cli
from catcode.compiler import memory_circuit
from catcode.errors import CatcodeError

RESULTS: list[tuple[str, str, str]] = []


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # noqa: ARG001
    raise _Timeout


signal.signal(signal.SIGALRM, _alarm)


def api(label: str, owner: str, fn, *, must_name: str | None = None, must_raise: bool = True) -> None:
    """``fn()`` must raise a one-line CatcodeError (naming ``must_name``) within 10 s."""
    signal.alarm(10)
    t0 = time.perf_counter()
    try:
        fn()
        status = "OK (accepted)" if not must_raise else "FAIL: accepted silently"
    except CatcodeError as exc:
        msg = str(exc)
        if must_name and must_name not in msg:
            status = f"FAIL: message does not name {must_name!r}: {msg[:120]}"
        elif "\n" in msg:
            status = f"FAIL: multi-line message"
        else:
            status = f"OK: {msg[:110]}"
    except _Timeout:
        status = "FAIL: > 10 s"
    except Exception as exc:  # noqa: BLE001
        status = f"FAIL: {type(exc).__name__}: {str(exc)[:100]}"
    finally:
        signal.alarm(0)
    dt = time.perf_counter() - t0
    RESULTS.append((label, owner, f"{status} [{dt:.2f}s]"))


def cli_case(label: str, owner: str, argv: list[str], setup=None) -> None:
    """``catcode argv`` must exit != 0 with one stderr line, no traceback, no file changed."""
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            if setup:
                setup()
            before = sorted((p, p.stat().st_size) for p in Path(".").rglob("*") if p.is_file())
            err = io.StringIO()
            signal.alarm(60)
            try:
                with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                    code = cli(argv)
            except _Timeout:
                code = "hang"
            finally:
                signal.alarm(0)
            after = sorted((p, p.stat().st_size) for p in Path(".").rglob("*") if p.is_file())
            lines = err.getvalue().strip().splitlines()
            problems = []
            if code == 0 or code == "hang":
                problems.append(f"exit {code}")
            if len(lines) != 1:
                problems.append(f"{len(lines)} stderr lines")
            if "Traceback" in err.getvalue():
                problems.append("traceback")
            if before != after:
                problems.append("files changed")
            status = ("FAIL: " + ", ".join(problems)) if problems else f"OK: {lines[0][:110]}"
        finally:
            os.chdir(cwd)
    RESULTS.append((label, owner, status))


GEN = ["generate", "--layout", "chain", "--d", "3", "--rounds", "3", "--basis", "X", "--noise", "depolarizing",
       "--param", "p=0.001"]


def _good_stim() -> None:
    assert cli(GEN + ["--out", "good.stim"]) == 0


def main() -> None:
    chain3 = Layout.chain(3)
    # ---- presets (owner: presets)
    P = "presets"
    api("ocelot(bit_flip_gamma=1500)", P, lambda: noise.ocelot(bit_flip_gamma=1500), must_name="bit_flip_gamma")
    api("ocelot(nbar=0.1, bit_flip_gamma=400)", P, lambda: noise.ocelot(nbar=0.1, bit_flip_gamma=400))
    api("depolarizing(10**400)", P, lambda: noise.depolarizing(10**400), must_name="p")
    api("ocelot(nbar=10**400)", P, lambda: noise.ocelot(nbar=10**400), must_name="nbar")
    api("depolarizing(p='0.01')", P, lambda: noise.depolarizing(p="0.01"), must_name="p")
    api("depolarizing(p=False)", P, lambda: noise.depolarizing(p=False), must_name="p")
    api("biased(p=1e-3, eta=True)", P, lambda: noise.biased(p=1e-3, eta=True), must_name="eta")
    api("depolarizing(0.7)", P, lambda: noise.depolarizing(0.7), must_name="p")
    api("depolarizing override ignored", P,
        lambda: memory_circuit(chain3.with_params("D1", bogus=1.0), noise.depolarizing(1e-3), rounds=2, basis="X"),
        must_name="bogus")
    api("transmon(ancilla_prep_ns=-1)", P, lambda: noise.transmon(ancilla_prep_ns=-1), must_name="ancilla_prep_ns")
    api("cat_cat(nbar=1e300)", P, lambda: noise.cat_cat(nbar=1e300, k1_over_k2=1e-3), must_name="nbar")
    api("transmon(cx_duration_ns=1e308)", P, lambda: noise.transmon(cx_duration_ns=1e308), must_name="cx_duration_ns")
    api("transmon(t2_us=5e-324)", P, lambda: noise.transmon(t2_us=5e-324), must_name="t2_us")
    api("ocelot(nbar=1e-6)", P, lambda: noise.ocelot(nbar=1e-6), must_name="nbar")
    # ---- compiler (owner: pass) / entry points (hostile)
    api("memory_circuit(rounds=10**400)", "pass", lambda: memory_circuit(chain3, None, rounds=10**400, basis="X"),
        must_name="rounds")
    api("memory_circuit(rounds=2**64)", "pass", lambda: memory_circuit(chain3, None, rounds=2**64, basis="X"),
        must_name="rounds")
    api("memory_circuit(layout, 'depolarizing')", "pass/hostile",
        lambda: memory_circuit(chain3, "depolarizing", rounds=3, basis="X"), must_name="noise")
    api("noise pass 1e5 rounds < 10 s", "pass",
        lambda: memory_circuit(chain3, noise.depolarizing(1e-3), rounds=10**5, basis="X", verify=False),
        must_raise=False)
    # ---- layout (owner: hostile)
    H = "hostile"
    api("Layout.chain(10**400)", H, lambda: Layout.chain(10**400), must_name="distance")
    api("Layout.rotated_surface(1000)", H, lambda: Layout.rotated_surface(1000), must_name="distance")
    api("Layout.chain(True)", H, lambda: Layout.chain(True), must_name="distance")
    api("Layout.chain(3.0)", H, lambda: Layout.chain(3.0), must_name="distance")
    api("with_params(('D1',), nbar=1)", H, lambda: chain3.with_params(("D1",), nbar=1))
    api("with_params(['A1','D1'])", H, lambda: chain3.with_params(["A1", "D1"], nbar=1))
    api("with_params('D1', nbar=nan)", H, lambda: chain3.with_params("D1", nbar=float("nan")), must_name="nbar")
    api("chain(3, params=[1, 2])", H, lambda: Layout.chain(3, params=[1, 2]), must_name="params")
    api("chain(3, params=0)", H, lambda: Layout.chain(3, params=0), must_name="params")
    api("chain(3, params='')", H, lambda: Layout.chain(3, params=""), must_name="params")
    api("chain(3, params=False)", H, lambda: Layout.chain(3, params=False), must_name="params")
    api("rectangular_surface(3, 2, params=[1])", H, lambda: Layout.rectangular_surface(3, 2, params=[1]),
        must_name="params")
    api("ocelot(params=[1])", H, lambda: Layout.ocelot(params=[1]), must_name="params")
    api("ocelot(params={'D1': 3})", H, lambda: Layout.ocelot(params={"D1": 3}), must_name="D1")
    api("section(True, 3)", H, lambda: Layout.ocelot().section(True, 3), must_name="first")
    api("section(1, 10**400)", H, lambda: Layout.ocelot().section(1, 10**400), must_name="last")
    api("ldpc_cat(10**400, 5)", "ldpc2/hostile", lambda: Layout.ldpc_cat(10**400, 5), must_name="height")
    api("ldpc_cat(4, 10**400)", "ldpc2/hostile", lambda: Layout.ldpc_cat(4, 10**400), must_name="width")
    api("ldpc_cat(4, True)", "ldpc2/hostile", lambda: Layout.ldpc_cat(4, True), must_name="width")
    api("cat_cat preset on transmon chain(501): capped list", H,
        lambda: _short_message(lambda: memory_circuit(Layout.chain(501), noise.cat_cat(nbar=4, k1_over_k2=1e-3),
                                                      rounds=1, basis="X")))
    api("with_params on unknown node of chain(501): capped list", H,
        lambda: _short_message(lambda: Layout.chain(501).with_params("Q", x=1.0)))
    api("build_circuit(r=10**400)", H, lambda: _build(r=10**400), must_name="r")
    api("build_circuit(d=True)", H, lambda: _build(d=True), must_name="d")
    api("build_circuit(b=None)", H, lambda: _build(b=None), must_name="b")
    api("build_circuit(noise=3)", H, lambda: _build(noise=3), must_name="noise")
    # ---- CLI (owner: hostile unless noted)
    cli_case("generate --param bit_flip_gamma=1e300", H,
             ["generate", "--layout", "ocelot", "--rounds", "3", "--basis", "X", "--noise", "ocelot",
              "--param", "bit_flip_gamma=1e300", "--out", "a.stim"])
    cli_case("generate --out <dir>", H, GEN + ["--out", "."])
    cli_case("layout --out <dir>.png", H, ["layout", "--out", "d.png"], setup=lambda: os.mkdir("d.png"))
    cli_case("plot --out <dir>", H, ["plot", "--in", "s.csv", "--x", "p", "--out", "d.png"],
             setup=lambda: (_csv(), os.mkdir("d.png")))
    cli_case("estimate --out <dir>", H, ["estimate", "--circuits", "good.stim", "--out", "d.csv"],
             setup=lambda: (_good_stim(), os.mkdir("d.csv")))
    cli_case("overhead --out <dir>", "overhead2", ["overhead", "--d", "3", "--out", "d.csv"],
             setup=lambda: os.mkdir("d.csv"))
    cli_case("estimate --circuits <dir>.stim", H, ["estimate", "--circuits", "d.stim"], setup=lambda: os.mkdir("d.stim"))
    cli_case("estimate --circuits empty.stim", H, ["estimate", "--circuits", "e.stim"],
             setup=lambda: Path("e.stim").write_text(""))
    cli_case("collect --circuits empty.stim", H, ["collect", "--circuits", "e.stim", "--max_shots", "10", "--out", "s.csv"],
             setup=lambda: Path("e.stim").write_text(""))
    cli_case("estimate --circuits fifo.stim", H, ["estimate", "--circuits", "f.stim"], setup=lambda: os.mkfifo("f.stim"))
    cli_case("plot csv errors > shots", H, ["plot", "--in", "b.csv", "--x", "p"], setup=lambda: _csv("b.csv", bad=True))
    cli_case("threshold csv errors > shots", H, ["threshold", "--in", "b.csv", "--x", "p"],
             setup=lambda: _csv("b.csv", bad=True))
    cli_case("generate duplicate --param", H, GEN + ["--param", "p=0.3", "--out", "a.stim"])
    cli_case("generate --section on chain", H, GEN + ["--section", "1-3", "--out", "a.stim"])
    cli_case("plot --max_likelihood_factor nan", H, ["plot", "--in", "s.csv", "--x", "p", "--max_likelihood_factor", "nan"],
             setup=_csv)
    cli_case("collect custom decoders json:dumps", H,
             ["collect", "--d", "3", "--b", "X", "--noise", "depolarizing", "--param", "p=0.001", "--max_shots", "10",
              "--custom_decoders_module_function", "json:dumps", "--out", "s.csv"])
    cli_case("collect non-deterministic detectors", H,
             ["collect", "--circuits", "n.stim", "--max_shots", "10", "--out", "s.csv"],
             setup=lambda: Path("n.stim").write_text("H 0\nM 0\nDETECTOR rec[-1]\n"))
    cli_case("estimate non-deterministic detectors", H, ["estimate", "--circuits", "n.stim"],
             setup=lambda: Path("n.stim").write_text("H 0\nM 0\nDETECTOR rec[-1]\n"))
    cli_case("argparse error is one line", H, ["generate", "--rounds", "x"])
    cli_case("no arguments", H, [])
    cli_case("collect --out symlink", H,
             ["collect", "--d", "3", "--b", "X", "--noise", "depolarizing", "--param", "p=0.001", "--max_shots", "10",
              "--out", "l.csv"], setup=lambda: (Path("t.txt").write_text("x"), os.symlink("t.txt", "l.csv")))
    _task_ids()
    _help_pipe()
    _security()
    width = max(len(r[0]) for r in RESULTS)
    for label, owner, status in RESULTS:
        print(f"{label.ljust(width)}  {owner:<14} {status}")


def _short_message(fn) -> None:
    try:
        fn()
    except CatcodeError as exc:
        if len(str(exc)) > 400:
            raise AssertionError(f"message has {len(str(exc))} chars") from None
        raise


def _build(**over) -> None:
    from catcode.experiment import build_circuit

    meta = {"layout": "chain", "d": 3, "r": 3, "b": "X", "noise": "depolarizing", "p": 0.001, **over}
    build_circuit(meta)


def _csv(name: str = "s.csv", bad: bool = False) -> None:
    header = "shots,errors,discards,seconds,decoder,strong_id,json_metadata,custom_counts\n"
    errors = 500 if bad else 5
    Path(name).write_text(header + f'100,{errors},0,0.1,pymatching,abc,"{{""d"":3,""p"":0.001,""r"":3}}",\n')


def _task_ids() -> None:
    """generate --param eta=100 and a sweep with eta=100.0 give one strong id; --param order irrelevant."""
    from catcode.sweep import Sweep, tasks_from_circuit_files

    with tempfile.TemporaryDirectory() as tmp:
        base = ["generate", "--layout", "chain", "--d", "3", "--rounds", "3", "--basis", "X", "--noise", "biased"]
        with contextlib.redirect_stderr(io.StringIO()):
            cli(base + ["--param", "eta=100", "--param", "p=0.001", "--out_dir", f"{tmp}/a"])
            cli(base + ["--param", "p=0.001", "--param", "eta=100", "--out_dir", f"{tmp}/b"])
        (fa,), (fb,) = list(Path(f"{tmp}/a").iterdir()), list(Path(f"{tmp}/b").iterdir())
        same_file = fa.name == fb.name and fa.read_text() == fb.read_text()
        files = tasks_from_circuit_files([str(fa)], decoders=["pymatching"])
        sweep = Sweep(d=(3,), b=("X",), noise=("biased",), rounds=3, params={"eta": (100.0,), "p": (0.001,)},
                      decoders=("pymatching",)).tasks()
        from catcode.sampling.tasks import prepare_tasks

        same_id = prepare_tasks(files)[0].strong_id() == prepare_tasks(sweep)[0].strong_id()
    RESULTS.append(("task id: generate vs sweep, --param order", "hostile",
                    "OK" if same_file and same_id else f"FAIL: same file {same_file}, same id {same_id}"))


def _help_pipe() -> None:
    proc = subprocess.run(f"{sys.executable} -m catcode --help | head -1", shell=True, capture_output=True, text=True)
    RESULTS.append(("catcode --help | head -1", "hostile", "OK" if proc.stderr == "" else f"FAIL: {proc.stderr[:80]}"))


def _security() -> None:
    import inspect

    from catcode.cli import collect as cli_collect
    from catcode import io as cio

    src = "".join(inspect.getsource(m) for m in _sampling_modules())
    RESULTS.append(("dask dashboard binds localhost", "collect2",
                    "FAIL: ':0' dashboard" if 'dashboard_address=":0"' in src else "OK"))
    RESULTS.append(("--help states the trust model", "hostile",
                    "OK" if "no authentication" in cli_collect.EPILOG else "FAIL"))
    RESULTS.append(("io never sets the process umask", "hostile",
                    "OK" if inspect.getsource(cio).count("os.umask(") <= 2 else "FAIL"))


def _sampling_modules():
    import importlib
    import pkgutil

    import catcode.sampling as s

    return [importlib.import_module(f"catcode.sampling.{m.name}") for m in pkgutil.iter_modules(s.__path__)]


if __name__ == "__main__":
    main()
