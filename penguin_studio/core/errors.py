"""Errors meant for people: one clear line saying what went wrong and what to do.

Core code raises :class:`UserError` (or a subclass) for every bad input it recognises; the CLI
prints its message on one line and exits non-zero, the GUI shows it in a message box. Anything
else that escapes is a bug.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; ``str(error)`` is the whole message."""


class Cancelled(Exception):
    """Raised inside a job when its cancel token was set; not an error for the user."""


class NotACheckpointError(UserError):
    """A file given as weights is not a YOLO checkpoint."""


class DatasetError(UserError):
    """A dataset (data yaml, folder, label file) cannot be opened."""


def unreadable_reason(exc: BaseException) -> str:
    """Why a file could not be read as text, in words: ``str(exc)`` of a decode error or a
    folder read as a file ("'utf-8' codec can't decode byte 0x80…", "[Errno 21] Is a
    directory: '…'") tells a user neither what is wrong nor what to pick instead."""
    if isinstance(exc, IsADirectoryError):
        return "it is a folder, not a file"
    if isinstance(exc, UnicodeDecodeError):
        return "it is not a text file (binary data, or not UTF-8)"
    if isinstance(exc, OSError):
        return (exc.strerror or str(exc)).lower()
    return str(exc)
