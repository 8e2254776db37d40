"""The permission bits a file written by the app gets: the original's, or the umask default.

Every atomic save writes a temporary file and renames it over the target. ``mkstemp``
creates that temporary file as 0600, so without care a label file that was 0644 (readable by
a colleague, a web server or a training job running as another user) silently became 0600
after one edit. The rule, in one place: replacing a file keeps its mode; a new file gets
what ``open()`` would have given it (0666 minus the umask).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_default: int | None = None


def default_file_mode() -> int:
    """0666 minus the process umask: the mode ``open(path, "w")`` gives a new file."""
    global _default
    if _default is None:
        _default = 0o666 & ~_read_umask()
    return _default


def _read_umask() -> int:
    """The umask without changing it (Linux reports it); else set-and-restore once."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def mode_for(target: str | Path | None) -> int:
    """The mode a file written at ``target`` should end up with (``None``: a new file)."""
    if target is None:
        return default_file_mode()
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return default_file_mode()


def give_mode(tmp: str | Path | int, target: str | Path | None) -> None:
    """Give the temporary file (path or open descriptor) the mode ``target`` should have.

    Call it before the rename. Failing to set a mode never fails the save (some file
    systems, e.g. FAT or SMB mounts, have no modes).
    """
    mode = mode_for(target)
    try:
        if isinstance(tmp, int):
            if hasattr(os, "fchmod"):
                os.fchmod(tmp, mode)
        else:
            os.chmod(tmp, mode)
    except OSError:
        pass
