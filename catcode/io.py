"""Checked input and output paths, and atomic output files (a failure never leaves a partial file).

Every CLI verb calls :func:`check_output_path` on each output path (and :func:`check_input_file`
on each input file) before doing any work, so a bad path is a one-line error that costs nothing.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from catcode.errors import CatcodeError


def _read_umask() -> int:
    # The only way to read the umask is to set it; done once, at import (single-threaded then).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: The process umask read once at import; new files get ``0o666 & ~UMASK`` like ``open()``'s.
UMASK: int = _read_umask()


def require_path(path: object, what: str = "output") -> Path:
    """``path`` as a Path if it is a ``str`` or ``os.PathLike``, else a one-line CatcodeError."""
    if not isinstance(path, (str, os.PathLike)):
        raise CatcodeError(f"{what} path must be a file path (str or os.PathLike); got {type(path).__name__}")
    return Path(path)


def check_output_path(path: str | os.PathLike, *, create_dir: bool = False, what: str = "output") -> Path:
    """``path`` as a Path if a file can be written there, else a one-line CatcodeError; changes nothing.

    The path must not be a directory or a symlink; its parent directory must exist (or, with
    ``create_dir``, its nearest existing ancestor must be a directory) and accept new files; an
    existing file must be writable.

    >>> check_output_path("/")
    Traceback (most recent call last):
    catcode.errors.CatcodeError: output path '/' is a directory, not a regular file; give a file path
    """
    p = require_path(path, what)
    if str(path) == "" or p.is_dir():
        raise CatcodeError(f"{what} path {str(path)!r} is a directory, not a regular file; give a file path")
    if p.is_symlink():
        raise CatcodeError(f"{what} path {str(p)!r} is a symbolic link; give the real file path "
                           f"({str(p.resolve())!r}) or another name")
    if p.exists():
        if not p.is_file():
            raise CatcodeError(f"{what} path {str(p)!r} exists and is not a regular file")
        if not os.access(p, os.W_OK):
            raise CatcodeError(f"{what} file {str(p)!r} is not writable")
    directory = p.parent
    while not directory.exists() and directory.parent != directory:
        directory = directory.parent
    if not directory.is_dir():
        raise CatcodeError(f"cannot write {what} {str(p)!r}: {str(directory)!r} is not a directory")
    if directory != p.parent and not create_dir:
        raise CatcodeError(f"{what} directory {str(p.parent)!r} does not exist")
    _probe_new_file(directory, f"{what} directory {str(directory)!r} is not writable")
    return p


def _probe_new_file(directory: Path, message: str) -> None:
    """Create and remove a file in ``directory``, else CatcodeError(``message`` and the reason).

    ``os.access`` is not enough: it says yes to root everywhere, and knows nothing of read-only
    or pseudo file systems (``/proc``) or a full disk.
    """
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".catcode-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise CatcodeError(f"{message} ({exc.strerror or exc})") from None


def check_input_file(path: str | os.PathLike, *, what: str = "input file") -> Path:
    """``path`` as a Path if it is a non-empty readable regular file, else a one-line CatcodeError.

    FIFOs and devices are refused (reading them could block forever).

    >>> check_input_file("/")
    Traceback (most recent call last):
    catcode.errors.CatcodeError: input file '/' is a directory, not a file
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise CatcodeError(f"{what} {str(p)!r} not found") from None
    except OSError as exc:
        raise CatcodeError(f"{what} {str(p)!r} cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise CatcodeError(f"{what} {str(p)!r} is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise CatcodeError(f"{what} {str(p)!r} is not a regular file (a FIFO, socket or device)")
    if st.st_size == 0:
        raise CatcodeError(f"{what} {str(p)!r} is empty")
    if not os.access(p, os.R_OK):
        raise CatcodeError(f"{what} {str(p)!r} is not readable")
    return p


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on error it is removed.

    The file gets ``0o666 & ~umask`` permissions (the umask read once at import; the process
    umask is never changed here).

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> with atomic_output(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    p = check_output_path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=p.parent if str(p.parent) else ".", prefix=f".{p.name}.", suffix=p.suffix)
    except OSError as exc:  # the directory changed since it was checked
        raise CatcodeError(f"cannot write {str(p)!r}: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, 0o666 & ~UMASK)
    finally:
        os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, p)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomically(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory."""
    with atomic_output(path) as tmp:
        tmp.write_text(text)
