"""Training curves as numpy arrays, fed by live events or read from a run folder.

The monitor plots these; the history view overlays several runs; ``to_csv`` exports what is
plotted. Qt-free so that it is tested without a display.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from penguin_studio.core.training import runs
from penguin_studio.core.training.events import EVENTS_FILE, Event, read_events

LOSSES = ("box_loss", "cls_loss", "dfl_loss")
METRICS = (runs.PRECISION, runs.RECALL, runs.MAP50, runs.MAP)
SMOOTHING = 0.05  # weight of the newest batch in the smoothed loss
METRIC_TITLES = {runs.PRECISION: "precision", runs.RECALL: "recall", runs.MAP50: "mAP50",
                 runs.MAP: "mAP50-95"}


class _Growing:
    """An append-only float array with amortised O(1) appends (100k points stay cheap)."""

    def __init__(self) -> None:
        self._data = np.empty(1024, dtype=np.float64)
        self._n = 0

    def append(self, value: float | None) -> None:
        if self._n == len(self._data):
            self._data = np.resize(self._data, 2 * len(self._data))
        self._data[self._n] = np.nan if value is None else value
        self._n += 1

    def truncate(self, n: int) -> None:
        self._n = min(self._n, max(0, n))

    @property
    def values(self) -> np.ndarray:
        return self._data[: self._n]

    def __len__(self) -> int:
        return self._n


def smooth(values: np.ndarray, alpha: float = SMOOTHING) -> np.ndarray:
    """Exponential moving average, bias-corrected so the first points are not pulled to 0."""
    out = np.empty_like(values)
    acc, weight = 0.0, 0.0
    for i, v in enumerate(values):
        if v == v:  # skip NaN
            acc = (1 - alpha) * acc + alpha * v
            weight = (1 - alpha) * weight + alpha
        out[i] = acc / weight if weight else np.nan
    return out


@dataclass
class Curves:
    """Per-batch losses and learning rate; per-epoch results.csv columns."""

    batch_step: _Growing = field(default_factory=_Growing)  # in epochs (fractional)
    batch_loss: dict[str, _Growing] = field(default_factory=lambda: {k: _Growing() for k in LOSSES})
    batch_smooth: dict[str, _Growing] = field(
        default_factory=lambda: {k: _Growing() for k in LOSSES})
    batch_lr: _Growing = field(default_factory=_Growing)
    epoch: dict[str, list[float]] = field(default_factory=dict)  # results.csv column → values
    batches_per_epoch: int = 0
    revision: int = 0  # bumped on every change, so views redraw only when needed
    _ema: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)

    # ----- feeding -------------------------------------------------------------------------
    def feed(self, event: Event) -> None:
        kind = event.get("type")
        if kind == "batch":
            self._add_batch(event)
        elif kind == "epoch":
            self._add_epoch(event)
        elif kind == "start":
            self.batches_per_epoch = int(event.get("batches") or self.batches_per_epoch)
            self.drop_from_epoch(int(event.get("start_epoch") or 0))

    def _add_batch(self, e: Event) -> None:
        nb = int(e.get("batches") or 1)
        self.batches_per_epoch = nb
        self.batch_step.append(int(e["epoch"]) + int(e["batch"]) / nb)
        loss = e.get("loss") or {}
        for key, series in self.batch_loss.items():
            value = loss.get(key)
            series.append(value)
            self.batch_smooth[key].append(self._smoother(key, value))
        self.batch_lr.append(e.get("lr"))
        self.revision += 1

    def _smoother(self, key: str, value: float | None, alpha: float = SMOOTHING) -> float:
        """One step of :func:`smooth` for series ``key`` (kept incremental: O(1) per batch)."""
        acc, weight = self._ema.get(key, (0.0, 0.0))
        if value is not None and value == value:
            acc, weight = (1 - alpha) * acc + alpha * value, (1 - alpha) * weight + alpha
            self._ema[key] = (acc, weight)
        return acc / weight if weight else float("nan")

    def _add_epoch(self, e: Event) -> None:
        number = int(e["epoch"])
        self.drop_epochs_after(number - 1)
        row = {"epoch": float(number), **{k: _num(v) for k, v in (e.get("metrics") or {}).items()}}
        rows_so_far = len(self.epoch.get("epoch", []))
        for key in row:
            self.epoch.setdefault(key, [np.nan] * rows_so_far)
        for key, column in self.epoch.items():
            column.append(row.get(key, np.nan))
        self.revision += 1

    def drop_from_epoch(self, start_epoch: int) -> None:
        """Forget batches of epochs >= start_epoch (0-based): a resumed run re-runs them."""
        steps = self.batch_step.values
        keep = int(np.searchsorted(steps, start_epoch, side="right")) if len(steps) else 0
        # a batch at exactly `start_epoch` is the last batch of the previous epoch: kept
        for series in (self.batch_step, self.batch_lr, *self.batch_loss.values(),
                       *self.batch_smooth.values()):
            series.truncate(keep)
        self._ema = {}  # restart smoothing state from the kept points
        for key, series in self.batch_loss.items():
            for value in series.values[-200:]:
                self._smoother(key, float(value))
        self.drop_epochs_after(start_epoch)
        self.revision += 1

    def drop_epochs_after(self, epochs_kept: int) -> None:
        numbers = self.epoch.get("epoch", [])
        n = sum(1 for x in numbers if x <= epochs_kept)
        for key in self.epoch:
            del self.epoch[key][n:]

    # ----- reading ---------------------------------------------------------------------------
    @classmethod
    def from_run(cls, run_dir: Path) -> Curves:
        """A run's curves: recorded events when the app made it, else results.csv only."""
        curves = cls()
        for event in read_events(Path(run_dir) / EVENTS_FILE):
            curves.feed(event)
        results = runs.read_results(Path(run_dir) / "results.csv")
        if results:
            curves.epoch = {k: list(v) for k, v in results.items()}
            curves.revision += 1
        return curves

    def epoch_series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(self.epoch.get("epoch", []), dtype=float)
        y = np.asarray(self.epoch.get(key, []), dtype=float)
        n = min(len(x), len(y))
        return x[:n], y[:n]

    def to_csv(self, path: Path) -> None:
        """Per-epoch columns (results.csv's) and, below, per-batch losses and LR."""
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            keys = list(self.epoch)
            w.writerow(keys)
            for row in zip(*(self.epoch[k] for k in keys), strict=False):
                w.writerow(row)
            w.writerow([])
            w.writerow(["epoch_progress", *LOSSES, "lr"])
            cols = [self.batch_step.values, *(self.batch_loss[k].values for k in LOSSES),
                    self.batch_lr.values]
            for row in zip(*cols, strict=False):
                w.writerow([f"{v:.6g}" for v in row])


def _num(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
