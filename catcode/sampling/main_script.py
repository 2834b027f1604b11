"""Whether worker processes started on this machine can re-run the main script.

sinter starts its workers with ``spawn``, and ``catcode collect --scheduler local`` forks a Dask
LocalCluster's from a fork server; either way each new process first re-runs the parent's main
script (by its path, or by its module name after ``python -m``; a package's ``__main__`` excepted)
as the module ``__mp_main__`` (Python's ``multiprocessing`` "safe importing
of main module" rule). Two scripts break that, and both used to fail far from the cause:

* a script read from standard input (``python - < study.py``): its path is ``'<stdin>'``, the
  workers die at start-up, and sinter waits for them forever;
* a script that calls :func:`catcode.sampling.collect` at its top level, outside
  ``if __name__ == "__main__":``: each worker re-runs the call, starts a collection of its own
  into the same CSV (refused: the file is locked), dies, and sinter waits forever.

:func:`require_rerunnable_main` finds both in the parent, before any process starts.
"""

from __future__ import annotations

import ast
import pathlib
import sys
from types import FrameType

from catcode.errors import CatcodeError

__all__ = ["require_rerunnable_main"]

_GUARD = 'if __name__ == "__main__":'


def require_rerunnable_main(caller: str) -> None:
    """Raise a one-line CatcodeError if worker processes could not re-run the main script safely.

    ``caller`` names the function for the message. Scripts without a file (``python -c``, Jupyter,
    the interactive prompt) and scripts whose call sits under a ``__name__`` test pass.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    name = getattr(getattr(main, "__spec__", None), "name", None)  # set by `python -m name`
    if name is not None and (name == "__main__" or name.endswith(".__main__")):
        return  # a package's __main__ is not re-run (multiprocessing.spawn skips it)
    if path is None:
        return
    if name is None and not pathlib.Path(path).is_file():
        raise CatcodeError(
            f"{caller} starts worker processes on this machine that re-run the main script, and it is "
            f"{path!r}, not a file they can read; save the script to a file and run that (or pass scheduler= "
            "an external Dask scheduler's address)"
        )
    line = _top_level_line(main.__dict__)
    if line is not None and not _under_name_test(pathlib.Path(path), line):
        raise CatcodeError(
            f"{caller} is called at the top level of the main script {path!r} (line {line}), outside "
            f"`{_GUARD}`; the worker processes it starts re-run that script and would call it again: "
            "put the call under the guard"
        )


def _top_level_line(main_globals: dict) -> int | None:
    """The line the main script's module-level code is executing, if it is on the call stack."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_globals is main_globals and frame.f_code.co_name == "<module>":
            return frame.f_lineno
        frame = frame.f_back
    return None


def _under_name_test(path: pathlib.Path, line: int) -> bool:
    """Whether ``line`` of the script at ``path`` lies in the body of an ``if`` that tests ``__name__``
    (or the script cannot be read or parsed: then nothing is claimed)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return True
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and any(
            isinstance(n, ast.Name) and n.id == "__name__" for n in ast.walk(node.test)
        ):
            if node.body[0].lineno <= line <= (node.body[-1].end_lineno or node.body[-1].lineno):
                return True
    return False
