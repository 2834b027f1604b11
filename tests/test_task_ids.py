"""One experiment, one sinter task id: `catcode generate` files, a sweep and `sinter collect
--metadata_func auto` over the files share shots (issue 14)."""

from __future__ import annotations

import sinter
import stim

from catcode.cli import main
from catcode.sampling.tasks import prepare_tasks
from catcode.sweep import Sweep, tasks_from_circuit_files


def _generate(out_dir, *params: str) -> str:
    argv = ["generate", "--layout", "chain", "--d", "3", "--rounds", "3", "--basis", "X", "--noise", "biased",
            "--out_dir", str(out_dir)]
    for p in params:
        argv += ["--param", p]
    assert main(argv) == 0
    (path,) = out_dir.iterdir()
    return str(path)


def test_generate_sweep_and_sinter_auto_metadata_share_one_task_id(tmp_path):
    a = _generate(tmp_path / "a", "eta=100", "p=0.001")
    b = _generate(tmp_path / "b", "p=1e-3", "eta=100.0")  # other order, other spelling
    assert (tmp_path / "a").iterdir().__next__().name == (tmp_path / "b").iterdir().__next__().name
    assert open(a).read() == open(b).read()

    sweep_task = Sweep(d=(3,), b=("X",), noise=("biased",), layout=("chain",), rounds="d",
                       params={"p": (0.001,), "eta": (100,)}, decoders=("pymatching",)).tasks()[0]
    file_task = tasks_from_circuit_files([a], decoders=["pymatching"])[0]
    # what `sinter collect --circuits FILE --metadata_func auto --decoders pymatching` builds
    sinter_task = sinter.Task(circuit=stim.Circuit.from_file(a), decoder="pymatching",
                              json_metadata=sinter.comma_separated_key_values(a))
    ids = {t.strong_id() for t in prepare_tasks([sweep_task, ]) + prepare_tasks([file_task]) + prepare_tasks([sinter_task])}
    assert len(ids) == 1


def test_default_decoder_follows_heralds():
    from catcode.decoders import default_decoder

    ocelot = Sweep(d=(5,), b=("X",), noise=("ocelot",), layout=("ocelot",)).tasks()[0]
    plain = Sweep(d=(3,), b=("X",), noise=("depolarizing",), layout=("chain",), params={"p": (1e-3,)}).tasks()[0]
    assert ocelot.decoder == default_decoder(ocelot.circuit) == "pymatching_erasure"
    assert plain.decoder == default_decoder(plain.circuit) == "pymatching"
