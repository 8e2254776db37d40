"""Change many files as one: all of them or none, even if the process dies halfway.

A class rename or reorder rewrites the data yaml and thousands of label files. Done file by
file, a crash would leave some files with the new class ids and some with the old: silently
wrong training data. A :class:`FileTransaction` is a small write-ahead journal:

1. ``journal.json`` is written (state ``preparing``) listing every target and its staged copy;
2. each new content is written and fsync'ed to a hidden staged file beside its target;
3. the journal flips to ``committed`` with one atomic ``os.replace``: the commit point;
4. each staged file is ``os.replace``d over its target (moves are done likewise); then the
   journal is deleted.

:func:`recover` (run by ``open_dataset``) finishes the job after a crash: before the commit
point it deletes the staged files (nothing was changed: roll back), after it it replaces the
remaining ones (roll forward). Either way no mix of old and new ever stays on disk.

For tests, ``PENGUIN_STUDIO_CRASH_AFTER=staged:N`` or ``replaced:N`` makes the process
``os._exit(77)`` after N files of that phase, the way a power cut would.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from penguin_studio.core.dataset.labels import LabelWriteError
from penguin_studio.core.dataset.parallel import thread_map
from penguin_studio.core.errors import DatasetError
from penguin_studio.core.filemodes import give_mode

JOURNAL_NAME = "journal.json"
CRASH_ENV = "PENGUIN_STUDIO_CRASH_AFTER"
PREPARING, COMMITTED = "preparing", "committed"

Progress = Callable[[int, int, str], None]


@dataclass
class FileTransaction:
    """Stage writes and moves, then :meth:`commit` them all-or-nothing."""

    state_dir: Path
    label: str = "change"
    writes: dict[Path, str] = field(default_factory=dict)
    moves: list[tuple[Path, Path]] = field(default_factory=list)

    def write(self, target: str | Path, text: str) -> None:
        self.writes[Path(target)] = text

    def move(self, src: str | Path, dst: str | Path) -> None:
        self.moves.append((Path(src), Path(dst)))

    def __len__(self) -> int:
        return len(self.writes) + len(self.moves)

    def commit(self, progress: Progress | None = None) -> None:
        """Apply everything; raises :class:`LabelWriteError` with nothing changed on failure
        before the commit point."""
        if not self:
            return
        recover(self.state_dir)
        tx = uuid.uuid4().hex[:12]
        entries = [{"kind": "write", "target": str(t), "staged": str(_staged_name(t, tx))}
                   for t in self.writes]
        entries += [{"kind": "move", "src": str(s), "dst": str(d)} for s, d in self.moves]
        journal = self.state_dir / JOURNAL_NAME
        doc = {"label": self.label, "state": PREPARING, "entries": entries}
        _write_json(journal, doc)
        try:
            self._stage(tx, progress)
            for folder in {t.parent for t in self.writes}:
                _fsync_dir(folder)  # staged names must survive a power cut, not just data
            _write_json(journal, {**doc, "state": COMMITTED})  # the commit point
        except BaseException:
            _roll_back(journal, doc)
            raise
        _roll_forward(journal, doc, progress)

    def _stage(self, tx: str, progress: Progress | None) -> None:
        """Write every new content beside its target, fsync'ed, in a few threads (I/O bound)."""
        items = list(self.writes.items())
        total = len(items)

        def stage_one(item: tuple[Path, str]) -> None:
            target, text = item
            staged = _staged_name(target, tx)
            _write_synced(staged, text)
            give_mode(staged, target)  # a rewritten label keeps its mode

        with thread_map(stage_one, items, 8) as results:
            for done, _ in enumerate(results, start=1):
                _crash_point("staged", done)
                if progress is not None and (done % 200 == 0 or done == total):
                    progress(done, total, "writing new files")


def recover(state_dir: Path) -> str | None:
    """Finish or undo a transaction interrupted by a crash; returns what was done, if any."""
    journal = Path(state_dir) / JOURNAL_NAME
    if not journal.exists():
        return None
    try:
        doc = json.loads(journal.read_text(encoding="utf-8"))
        state = doc["state"]
    except (OSError, ValueError, KeyError, TypeError):
        # The journal itself was being written when we died: nothing was staged under it yet.
        journal.unlink(missing_ok=True)
        return "discarded an incomplete journal"
    try:
        if state == COMMITTED:
            _roll_forward(journal, doc, None)
            return f"finished an interrupted {doc.get('label', 'change')}"
        _roll_back(journal, doc)
        return f"undid an interrupted {doc.get('label', 'change')}"
    except OSError as exc:
        raise DatasetError(
            f"An interrupted {doc.get('label', 'change')} could not be completed "
            f"({exc.strerror or exc}: {getattr(exc, 'filename', '')}). Make the dataset "
            "folder writable and open it again.") from exc


# --------------------------------------------------------------------------------------


def _staged_name(target: Path, tx: str) -> Path:
    return target.parent / f".{target.name}.{tx}.staged"


def _crash_point(phase: str, done: int) -> None:
    spec = os.environ.get(CRASH_ENV, "")
    if spec and spec == f"{phase}:{done}":
        os._exit(77)




def _write_synced(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise LabelWriteError(f"Cannot write in {path.parent}: {exc.strerror or exc}. "
                              "Nothing was changed.") from exc


def _write_json(path: Path, doc: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    _write_synced(tmp, json.dumps(doc, ensure_ascii=False))
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise LabelWriteError(f"Cannot write in {path.parent}: {exc.strerror or exc}. "
                              "Nothing was changed.") from exc
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open folders; its replace is durable enough
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _roll_back(journal: Path, doc: dict) -> None:
    for entry in doc.get("entries", []):
        if entry.get("kind") == "write":
            Path(entry["staged"]).unlink(missing_ok=True)
    journal.unlink(missing_ok=True)


def _roll_forward(journal: Path, doc: dict, progress: Progress | None) -> None:
    entries = doc.get("entries", [])
    folders: set[Path] = set()
    for done, entry in enumerate(entries, start=1):
        if entry.get("kind") == "move":
            src, dst = Path(entry["src"]), Path(entry["dst"])
            if src.exists() and not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
            folders.update((src.parent, dst.parent))
        else:
            staged, target = Path(entry["staged"]), Path(entry["target"])
            if staged.exists():
                os.replace(staged, target)
            folders.add(target.parent)
        _crash_point("replaced", done)
        if progress is not None and (done % 200 == 0 or done == len(entries)):
            try:  # past the commit point nothing may stop us, not even a cancel
                progress(done, len(entries), "replacing files")
            except Exception:
                progress = None
    for folder in folders:
        _fsync_dir(folder)
    journal.unlink(missing_ok=True)
