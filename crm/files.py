"""Writing files safely: private (0600), atomic (temp file in the same folder, then rename),
and only ever regular files: a FIFO, a device or a socket is refused before it is opened (an
open() of a FIFO blocks; a rename over /dev/null replaces the device), so are names longer
than the system allows.

Temporary files are named `.NAME.PURPOSE-PID-XXXX.tmp` beside their target: a later run can
tell a crashed run's leftovers (the PID is gone) from one still working (see `stale_temp_files`).
"""
from __future__ import annotations

import os
import re
import signal
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from crm.errors import (MAX_NAME_BYTES, MAX_PATH_BYTES, InvalidInput, NameTooLong, StorageError,
                        environment_error)

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"),
)
# Pseudo-file systems: nothing crm writes belongs there (`-o /dev/stdout` is `-o -`).
_SYSTEM_ROOTS = ("/dev", "/proc", "/sys")


def check_name_lengths(path: Path) -> None:
    """Refuse a path whose total length, or any one name in it, is over the system's limit."""
    text = os.fsencode(str(path))
    if len(text) > MAX_PATH_BYTES:
        raise NameTooLong(f"the path is {len(text)} bytes long; the system allows {MAX_PATH_BYTES}")
    for part in Path(path).parts:
        size = len(os.fsencode(part))
        if size > MAX_NAME_BYTES:
            shown = part[:40] + "..."
            raise NameTooLong(f"the name {shown!r} in the path is {size} bytes long; at most {MAX_NAME_BYTES} are allowed")


def special_kind(path: Path) -> str | None:
    """What `path` is if it exists and is not a regular file ('a FIFO (named pipe)', 'a folder',
    'a dangling symbolic link'); None for a regular file (or a link to one) or no file at all.
    Uses stat only: never opens (and so never blocks on) the file."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return "a dangling symbolic link"
        return None
    except OSError as exc:
        problem = environment_error(exc, str(path))
        if problem:
            raise problem from None
        raise StorageError(f"cannot examine {path}: {exc.strerror}") from None
    for test, kind in _KINDS:
        if test(info.st_mode):
            return kind
    return None


def in_system_tree(path: Path) -> bool:
    """Under /dev, /proc or /sys, where nothing of ours lives (/dev/shm, an ordinary tmpfs, excepted)."""
    absolute = os.path.abspath(path)
    if absolute == "/dev/shm" or absolute.startswith("/dev/shm/"):
        return False
    return any(absolute == root or absolute.startswith(root + "/") for root in _SYSTEM_ROOTS)


def check_output_path(path: Path, what: str = "output") -> None:
    """Refuse, before anything opens it, a target crm must not write: one under /dev, /proc or
    /sys, a FIFO, device, socket, folder or dangling link, a name too long."""
    path = Path(path)
    check_name_lengths(path)
    if in_system_tree(path):
        raise InvalidInput(f"{path} is a system file; crm writes only regular files (use -o - for standard output)")
    kind = special_kind(path)
    if kind:
        raise InvalidInput(f"{path} is {kind}; the {what} must be a regular file")


def check_input_file(path: Path, error: type = InvalidInput) -> None:
    """Refuse, without opening it, an input that is not a regular file."""
    check_name_lengths(path)
    kind = special_kind(path)
    if kind:
        raise error(f"{path} is {kind}, not a regular file")


def make_private_dirs(directory: Path) -> None:
    """Create `directory` and any missing parents, each 0700 whatever the umask."""
    directory = Path(directory)
    missing: list[Path] = []
    probe = directory
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue  # another crm process made it first
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask


def private_temp(directory: Path, name: str, purpose: str) -> Path:
    """A new empty 0600 file beside `name`, named so `stale_temp_files` can find it later."""
    import tempfile  # here: with random and shutil (bz2, lzma) it costs ~4 ms, and most commands write no file

    fd, tmp = tempfile.mkstemp(prefix=f".{name}.{purpose}-{os.getpid()}-", suffix=".tmp", dir=directory)
    os.close(fd)
    return Path(tmp)


_TEMP = re.compile(r"\.(?P<name>.+)\.(?P<purpose>[a-z-]+)-(?P<pid>\d+)-[^.]*\.tmp(?P<side>-journal|-wal|-shm)?\Z")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_temp_files(directory: Path, name: str) -> list[Path]:
    """Temporary files beside `name` left by a crm run that is no longer running (killed,
    crashed, power cut), with their -journal/-wal/-shm."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    found = []
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match and match.group("name") == name and not _alive(int(match.group("pid"))):
            found.append(Path(directory) / entry.name)
    return sorted(found)


def remove_files(paths: Iterable[Path]) -> list[Path]:
    """Remove what can be removed; returns what was."""
    removed = []
    for path in paths:
        try:
            os.unlink(path)
            removed.append(path)
        except FileNotFoundError:
            pass
        except OSError:
            pass  # a read-only folder: reported again next time
    return removed


def atomic_write(path: Path, chunks: Iterable[str | bytes]) -> None:
    """Write `chunks` to `path` so that readers see the old file or the whole new one, never a
    truncated one. The file is created readable by its owner only. A symbolic link to a
    regular file is followed: the file it points to is replaced, the link stays."""
    path = Path(path)
    check_output_path(path)
    if path.is_symlink():
        path = path.resolve()
    directory = path.parent if str(path.parent) else Path(".")
    try:
        tmp_name = str(private_temp(directory, path.name, "write"))
    except OSError as exc:
        raise _write_error(exc, path) from None
    try:
        with open(tmp_name, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, path)
    except BaseException as exc:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise _write_error(exc, path) from None
        raise
    fsync_directory(directory)  # make the rename itself durable


def _write_error(exc: OSError, path: Path) -> Exception:
    from crm.errors import FormatError

    return environment_error(exc, f"cannot write {path}") or FormatError(f"cannot write {path}: {exc.strerror}")


def fsync_directory(directory: Path) -> None:
    """Flush a folder's entries (a rename or a new file) to disk; a no-op where unsupported."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


class _Held:
    interrupted = False


@contextmanager
def hold_interrupts() -> Iterator[_Held]:
    """Hold Ctrl-C (SIGINT) while a step that must not stop half-way runs: the caller learns
    afterwards that it came (`held.interrupted`) and can say truthfully that the step finished.
    SIGKILL cannot be held; that is what the step's own atomicity is for."""
    held = _Held()
    if threading.current_thread() is not threading.main_thread():
        yield held
        return

    def note(signum, frame):
        held.interrupted = True

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, previous)
