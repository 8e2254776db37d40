"""Run history: every training run of a dataset, read from the files ultralytics writes.

A run folder is ultralytics' own (``args.yaml``, ``results.csv``, ``weights/``) plus what the
app adds beside it: ``penguin_config.yaml`` (the TrainConfig), ``penguin_run.json`` (status
and timings) and ``penguin_events.jsonl`` (the live curves). Runs made by plain ultralytics
are listed too, their recipe guessed from ``args.yaml``.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from penguin_studio.core import appdirs
from penguin_studio.core.errors import UserError
from penguin_studio.core.training.events import read_json_lines

CONFIG_FILE = "penguin_config.yaml"
STATUS_FILE = "penguin_run.json"
#: present in a run folder that auto-train made (a proposal model); holds {"purpose": …}
PURPOSE_FILE = "penguin_purpose.json"
INDEX_FILE = "run_index.jsonl"

#: ultralytics' fitness: 0.1·mAP50 + 0.9·mAP50-95 (how best.pt is chosen)
MAP50, MAP = "metrics/mAP50(B)", "metrics/mAP50-95(B)"
PRECISION, RECALL = "metrics/precision(B)", "metrics/recall(B)"


@dataclass
class RunRecord:
    """One run folder as the history table shows it."""

    path: Path
    recipe: str
    status: str  # running | completed | stopped | failed | interrupted | unknown
    epochs_done: int
    epochs_planned: int
    best: dict[str, float] = field(default_factory=dict)  # best epoch's metrics
    duration_s: float | None = None
    started: str = ""
    error: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    purpose: str = ""  # "proposal" for auto-train's runs, "" for the user's

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def best_weights(self) -> Path | None:
        p = self.path / "weights" / "best.pt"
        return p if p.is_file() else None

    @property
    def last_weights(self) -> Path | None:
        p = self.path / "weights" / "last.pt"
        return p if p.is_file() else None

    @property
    def resumable(self) -> bool:
        return (self.status in ("stopped", "failed", "interrupted")
                and self.last_weights is not None and self.epochs_done < self.epochs_planned)


# ----- results.csv ----------------------------------------------------------------------------
def read_results(path: Path) -> dict[str, list[float]]:
    """``results.csv`` as columns (names stripped of ultralytics' padding); missing → {}."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except OSError:
        return {}
    if not rows:
        return {}
    header = [h.strip() for h in rows[0]]
    columns: dict[str, list[float]] = {h: [] for h in header}
    for row in rows[1:]:
        if len(row) != len(header):
            continue  # a row being written right now
        for h, v in zip(header, row, strict=True):
            columns[h].append(_float(v))
    return columns


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def best_epoch(results: dict[str, list[float]]) -> dict[str, float]:
    """The row with the best fitness (how ultralytics picks best.pt), as column → value."""
    if not results.get(MAP):
        return {}
    fitness = [0.1 * a + 0.9 * b for a, b in
               zip(results.get(MAP50, results[MAP]), results[MAP], strict=False)]
    fitness = [f if f == f else -1.0 for f in fitness]  # NaN last
    i = max(range(len(fitness)), key=fitness.__getitem__)
    return {k: v[i] for k, v in results.items() if i < len(v)}


# ----- status file ----------------------------------------------------------------------------
def read_status(run_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((run_dir / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_status(run_dir: Path, **changes: Any) -> dict[str, Any]:
    """Merge ``changes`` into the run's status file (atomically)."""
    from penguin_studio.core.dataset.labels import atomic_write_text

    status = read_status(run_dir)
    status.update(changes)
    atomic_write_text(run_dir / STATUS_FILE, json.dumps(status, indent=1))
    return status


def resumable_last(run_dir: Path) -> Path:
    """The ``weights/last.pt`` of a run that can be resumed, or a UserError saying what to do.

    The one resume check: the app runs it before launching the child, and the child runs it
    again (then also reads the checkpoint's own epoch count, which needs torch). A "running"
    status of the calling process itself (the child) does not count as busy.
    """
    if not run_dir.is_dir():
        raise UserError(f"{run_dir} does not exist: pick a run folder, such as "
                        f"<dataset>/runs/freeze-yolo11n.")
    if not (run_dir / CONFIG_FILE).is_file():
        if (run_dir / "args.yaml").is_file():
            raise UserError(f"{run_dir.name} was not started by Penguin Studio; resume it "
                            f"with: yolo train resume model={run_dir / 'weights' / 'last.pt'}")
        raise UserError(f"{run_dir} is not a training run folder (no {CONFIG_FILE}).")
    last = run_dir / "weights" / "last.pt"
    if not last.is_file():
        raise UserError(f"{run_dir.name} has no weights/last.pt yet: it stopped before its "
                        f"first checkpoint, so start it again instead of resuming.")
    status = read_status(run_dir)
    pid = status.get("pid")
    if status.get("status") == "running" and pid != os.getpid() and pid_alive(pid):
        raise UserError(f"{run_dir.name} is being trained right now (process "
                        f"{status['pid']}); stop it before resuming.")
    if status.get("status") == "completed":
        raise nothing_to_resume(run_dir)
    return last


def nothing_to_resume(run_dir: Path, epochs: int | None = None) -> UserError:
    """The error for resuming a run that already trained all its epochs."""
    what = f"its {epochs} epochs" if epochs else "its planned epochs"
    return UserError(f"{run_dir.name} finished {what}: nothing to resume. To train more, "
                     f"fine-tune from its weights/best.pt.")


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


def _duration(status: dict[str, Any]) -> float | None:
    total = 0.0
    for session in status.get("sessions", []):
        try:
            start = datetime.fromisoformat(session["started"])
            end = datetime.fromisoformat(session.get("ended") or now_iso())
        except (KeyError, ValueError):
            continue
        total += max(0.0, (end - start).total_seconds())
    return total or None


# ----- listing runs -----------------------------------------------------------------------------
def default_project(dataset_root: Path, title: str | None = None) -> Path:
    """``<dataset>/runs`` when the dataset folder is writable, else the app's data folder."""
    root = Path(dataset_root)
    runs = root / "runs"
    target = runs if runs.exists() else root
    if os.access(target, os.W_OK):
        return runs.resolve()
    return appdirs.data_dir() / "runs" / (title or root.name or "dataset")


def dataset_key(data: str | Path) -> str:
    """How runs are tied to a dataset: the resolved path of its data yaml."""
    return str(Path(data).expanduser().resolve())


def remember_run(data: str | Path, run_dir: Path) -> None:
    """Record a run in the index so runs in custom project folders are listed too."""
    line = json.dumps({"data": dataset_key(data), "run": str(run_dir)}) + "\n"
    with open(appdirs.data_dir() / INDEX_FILE, "a", encoding="utf-8") as fh:
        fh.write(line)


def _indexed_runs(data: str | Path) -> list[Path]:
    key = dataset_key(data)
    return [Path(item["run"]) for item in read_json_lines(appdirs.data_dir() / INDEX_FILE)
            if item.get("data") == key and "run" in item]


def run_dirs(data: str | Path, dataset_root: Path | None = None) -> list[Path]:
    """Every run folder of a dataset (default project folders plus the index), oldest first."""
    data_path = Path(data).expanduser().resolve()
    root = dataset_root or (data_path.parent if data_path.is_file() else data_path)
    candidates: set[Path] = set()
    # <root>/runs/detect: where plain ``yolo train`` run in the dataset folder puts its runs
    for project in {root / "runs", root / "runs" / "detect",
                    appdirs.data_dir() / "runs" / root.name}:
        if project.is_dir():
            candidates.update(p for p in project.iterdir() if (p / "args.yaml").is_file())
    candidates.update(p for p in _indexed_runs(data_path) if (p / "args.yaml").is_file())
    return sorted({p.resolve() for p in candidates}, key=_started_key)


def _started_key(path: Path) -> float:
    try:
        return (path / "args.yaml").stat().st_mtime
    except OSError:
        return 0.0


def load_run(run_dir: Path) -> RunRecord:
    """Read one run folder; never raises for missing or half-written files."""
    run_dir = Path(run_dir)
    args = _read_yaml(run_dir / "args.yaml")
    config = _read_yaml(run_dir / CONFIG_FILE)
    status = read_status(run_dir)
    results = read_results(run_dir / "results.csv")
    epochs_done = len(results.get("epoch", []))
    planned = int(args.get("epochs") or config.get("epochs") or 0)
    state = status.get("status") or _guess_status(run_dir, epochs_done, planned)
    if state == "running" and not pid_alive(status.get("pid")):
        state = "interrupted"
    return RunRecord(
        path=run_dir, recipe=config.get("mode") or _guess_recipe(args), status=state,
        epochs_done=epochs_done, epochs_planned=planned, best=best_epoch(results),
        duration_s=_duration(status), started=status.get("started", ""),
        error=status.get("error", ""), config=config or args, purpose=_purpose(run_dir),
    )


def _purpose(run_dir: Path) -> str:
    try:
        return str(json.loads((run_dir / PURPOSE_FILE).read_text(encoding="utf-8"))["purpose"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def mark_purpose(run_dir: Path, purpose: str) -> None:
    """Mark a run as made for ``purpose`` (auto-train's proposal models)."""
    from penguin_studio.core.dataset.labels import atomic_write_text

    atomic_write_text(Path(run_dir) / PURPOSE_FILE, json.dumps({"purpose": purpose}))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _guess_recipe(args: dict[str, Any]) -> str:
    if args.get("freeze"):
        return "freeze"
    return "scratch" if str(args.get("model", "")).endswith((".yaml", ".yml")) else "finetune"


def _guess_status(run_dir: Path, done: int, planned: int) -> str:
    if planned and done >= planned:
        return "completed"
    return "stopped" if (run_dir / "weights" / "last.pt").exists() else "unknown"


def list_runs(data: str | Path, dataset_root: Path | None = None) -> list[RunRecord]:
    return [load_run(p) for p in run_dirs(data, dataset_root)]


def latest_weights(data: str | Path, recipe: str = "freeze",
                   dataset_root: Path | None = None) -> Path | None:
    """best.pt of the newest run of ``recipe`` on this dataset (see :func:`newest_model`)."""
    return newest_model(data, dataset_root, recipe=recipe)


# ----- the weights catalogue --------------------------------------------------------------------
#: the purpose of a run auto-train made to propose boxes (:func:`mark_purpose`)
PROPOSAL = "proposal"


@dataclass(frozen=True)
class CatalogueEntry:
    """One model a user can pick: a run's checkpoint, or an imported / downloaded model."""

    path: Path
    source: str  # "run" | "imported" | "downloaded"
    name: str
    recipe: str = ""
    date: float = 0.0  # when it was made (seconds since the epoch)
    map50: float | None = None  # the best epoch's validation mAP50, for runs
    run: RunRecord | None = None

    @property
    def proposal(self) -> bool:
        """Made by auto-train (proposal model), not by the user's own training."""
        return self.run is not None and self.run.purpose == PROPOSAL

    def label(self) -> str:
        """``run-name (recipe, mAP50 0.512)`` as pickers show it."""
        bits = [self.recipe or self.source]
        if self.proposal:
            bits.append("proposal model")
        if self.map50 is not None and self.map50 == self.map50:
            bits.append(f"mAP50 {self.map50:.3f}")
        return f"{self.name} ({', '.join(bits)})"


def run_entries(data: str | Path | None, dataset_root: Path | None = None) -> list[CatalogueEntry]:
    """The runs of a dataset that left a checkpoint (best.pt, else last.pt), newest first.

    "Newest" is the run's start (its ``args.yaml``), the order History shows; runs in custom
    project folders are found through the run index.
    """
    if data is None:
        return []
    try:
        folders = run_dirs(data, dataset_root)
    except OSError:
        return []
    return entries_of([load_run(folder) for folder in folders])


def entries_of(records: list[RunRecord]) -> list[CatalogueEntry]:
    """Catalogue entries of run records listed oldest first (as :func:`list_runs` gives
    them), newest first; runs without a checkpoint are left out."""
    out = []
    for record in reversed(records):
        weights = record.best_weights or record.last_weights
        if weights is None:
            continue
        out.append(CatalogueEntry(weights, "run", record.name, record.recipe,
                                  _started_key(record.path), record.best.get(MAP50), record))
    return out


def model_entries() -> list[CatalogueEntry]:
    """Models on this computer outside any run: downloaded COCO models and imported files."""
    from penguin_studio.core.training import models

    out = []
    for status in models.list_models():
        if status.on_disk:
            try:
                date = status.path.stat().st_mtime
            except OSError:
                continue
            out.append(CatalogueEntry(status.path, "downloaded" if status.named else "imported",
                                      status.name, date=date))
    return out


def weights_catalogue(data: str | Path | None, dataset_root: Path | None = None,
                      include_models: bool = True) -> list[CatalogueEntry]:
    """Every model to offer for a dataset: its runs newest first, then the other models."""
    entries = run_entries(data, dataset_root)
    return entries + (model_entries() if include_models else [])


def newest_model(data: str | Path | None, dataset_root: Path | None = None,
                 recipe: str | None = None, proposal: bool | None = None) -> Path | None:
    """"The newest model of this dataset": best.pt of its most recently started run.

    ``recipe`` keeps runs of one recipe (fine-tuning's default start is the newest
    feature-extraction run); ``proposal`` True / False keeps only auto-train's / the user's.
    """
    for entry in run_entries(data, dataset_root):
        run = entry.run
        if run is None or run.best_weights is None:
            continue
        if recipe is not None and entry.recipe != recipe:
            continue
        if proposal is not None and entry.proposal != proposal:
            continue
        return run.best_weights
    return None

