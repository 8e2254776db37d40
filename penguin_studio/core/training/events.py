"""The JSON-lines protocol between the training child process and whoever watches it.

One event per line, a JSON object with a ``type``:

``setup``   the child started: ``run_dir``, ``resume``, ``pid``
``start``   training begins: ``epochs``, ``start_epoch`` (0-based), ``batches`` per epoch,
            ``batch_size``, ``imgsz``, ``threads``, ``device``, ``frozen`` (layer indices),
            ``trainable`` and ``total`` parameter counts
``batch``   after every batch: ``epoch`` (0-based), ``batch`` (1-based), ``batches``,
            ``epochs``, ``step`` (global, 1-based), ``loss`` (this batch) and ``mean``
            (epoch running mean) as ``{box_loss, cls_loss, dfl_loss}``, ``lr``, ``ips``
            (images/s), ``elapsed`` (s since training started)
``epoch``   after every epoch's validation: ``epoch`` (1-based, as in results.csv),
            ``epochs``, ``metrics`` (results.csv columns → value), ``fitness``,
            ``best_fitness``, ``elapsed``
``final``   best.pt validated at the end: ``metrics``
``log``     a log line: ``level``, ``message``
``stopped`` the user stopped it: ``epochs_done``, ``resumable``
``done``    finished: ``best``, ``last``, ``epochs_done``
``error``   it failed: ``message``, ``user`` (a problem the user can fix), ``detail``

Plain text lines (a library printing to the wrong stream) decode as ``log`` events, so a
stray print never breaks the watcher. The same lines are kept in ``penguin_events.jsonl``
in the run folder, so a resumed run's plots continue where they left off.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Event = dict[str, Any]

EVENTS_FILE = "penguin_events.jsonl"


def encode(event: Event) -> str:
    """One line of JSON (NaN and infinities become null: JSON has no such numbers)."""
    return json.dumps(_finite(event), separators=(",", ":"), ensure_ascii=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def decode(line: str | bytes) -> Event | None:
    """Parse one line; ``None`` for a blank line, a ``log`` event for anything not JSON."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    text = line.strip()
    if not text:
        return None
    if text.startswith("{"):
        try:
            event = json.loads(text)
        except json.JSONDecodeError:
            event = None
        if isinstance(event, dict) and isinstance(event.get("type"), str):
            return event
    return {"type": "log", "level": "info", "message": text}


def read_events(path: Path) -> list[Event]:
    """Every event recorded in a run's ``penguin_events.jsonl`` (missing file → [])."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [e for e in (decode(line) for line in text.splitlines()) if e is not None]


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    """Every JSON object line of a file that is appended to while it is read (the run index,
    ultralytics' tune_results.ndjson): a half-written or foreign line is skipped, a missing
    file is []."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    rows = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


@dataclass
class ProgressTracker:
    """Fraction done, ETA and throughput from the event stream (CLI and GUI share it)."""

    epochs: int = 0
    batches: int = 0
    start_epoch: int = 0
    done_steps: int = 0
    ips: float = 0.0
    _t0: float | None = None
    _steps_at_t0: int = 0
    _recent: list[float] = field(default_factory=list)

    def feed(self, event: Event, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        kind = event.get("type")
        if kind == "start":
            self.epochs = int(event.get("epochs") or 0)
            self.batches = int(event.get("batches") or 0)
            self.start_epoch = int(event.get("start_epoch") or 0)
            self.done_steps = self.start_epoch * self.batches
            self._t0, self._steps_at_t0 = now, self.done_steps
        elif kind == "batch":
            self.epochs = int(event.get("epochs") or self.epochs)
            self.batches = int(event.get("batches") or self.batches)
            self.done_steps = int(event["epoch"]) * self.batches + int(event["batch"])
            if event.get("ips"):
                self._recent = (self._recent + [float(event["ips"])])[-20:]
                self.ips = sum(self._recent) / len(self._recent)
            if self._t0 is None:
                self._t0, self._steps_at_t0 = now, self.done_steps - 1
        elif kind == "epoch":
            self.epochs = int(event.get("epochs") or self.epochs)

    @property
    def total_steps(self) -> int:
        return self.epochs * self.batches

    @property
    def fraction(self) -> float:
        total = self.total_steps
        return min(1.0, self.done_steps / total) if total else 0.0

    def eta_seconds(self, now: float | None = None) -> float | None:
        """Seconds left at the pace of this session (validation time included)."""
        now = time.monotonic() if now is None else now
        steps = self.done_steps - self._steps_at_t0
        if self._t0 is None or steps <= 0 or not self.total_steps:
            return None
        per_step = (now - self._t0) / steps
        return max(0.0, (self.total_steps - self.done_steps) * per_step)


def format_duration(seconds: float | None) -> str:
    """``1h 02m``, ``4m 05s``, ``12s`` or ``–``."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s}s"
