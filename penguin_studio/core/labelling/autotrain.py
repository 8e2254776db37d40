"""Auto-train: proposal models that improve while the user labels (Qt-free).

After the first ``FIRST_AT`` labelled images, and then after every ``EVERY`` more, a short
time-budgeted training run (``BUDGET_S``) makes a *proposal model*. It is an ordinary run of
the one training path (:func:`~penguin_studio.core.training.job.run_training`: the same child
process, at low priority), saved in the dataset's ``runs/`` and marked as a proposal model
(``runs.mark_purpose``), so History lists it, marked as such. It is feature extraction from
the best pretrained model on this computer: the first run starts from it, each later one
continues the previous proposal model that started from it (the same frozen pretrained
backbone, its head already trained: a few CPU minutes add up instead of starting over each
time). Without a pretrained model it fine-tunes the previous proposal model, else trains from
scratch. It trains on the labelled images only (a list file in
``.penguin-studio/autotrain/``): an unlabelled image in the train split would otherwise
teach "nothing here". When it ends, and only if its validation mAP50 beats the previous
proposal model's, it is calibrated on its validation images (``core/labelling/fixing``: the
proposal threshold that would have cost the fewest fixing seconds there, and how many objects
it misses, stored beside its weights) and the still-unlabelled images get fresh proposals at
that threshold (images whose proposals the user already started reviewing keep theirs).

:class:`AutoTrainScheduler` decides when: never while the user's own training runs, one
run at a time, a trigger during a run is queued (not doubled). Its state (labelled count at
the last start, best mAP50, the proposal model, paused) persists in
``.penguin-studio/autotrain.json``; a read-only dataset keeps it in memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from penguin_studio.core.dataset.labels import atomic_write_text, read_labels
from penguin_studio.core.dataset.project import Dataset, label_path_for
from penguin_studio.core.errors import Cancelled, UserError
from penguin_studio.core.jobs import JobContext
from penguin_studio.core.labelling import fixing
from penguin_studio.core.training import runs
from penguin_studio.core.training.config import TrainConfig

FIRST_AT, EVERY, BUDGET_S = 10, 20, 180.0
STATE_FILE = "autotrain.json"
DATA_DIR = "autotrain"
PROPOSAL_CONF = 0.25
PROPOSAL_BATCH = 8
SCRATCH_MODEL = "yolov8n.yaml"
TRANSIENT = ("note", "next_base")  # AutoTrainState fields never saved


@dataclass
class AutoTrainState:
    """What auto-train remembers about a dataset between sessions."""

    last_start: int = 0  # labelled images when the last run started (0: never)
    best_map50: float | None = None
    model: str = ""  # best.pt of the proposal model whose proposals are shown
    runs: int = 0
    paused: bool = False
    last_message: str = ""
    base: str = ""  # the pretrained model the proposal model's line started from ("" none)
    note: str = field(default="", compare=False)  # a read-only dataset: kept in memory
    next_base: str = field(default="", compare=False)  # ``base`` of the run being trained

    @classmethod
    def load(cls, state_dir: Path) -> AutoTrainState:
        try:
            data = json.loads((Path(state_dir) / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {k: v for k, v in data.items()
                 if k in cls.__dataclass_fields__ and k not in TRANSIENT}
        return cls(**known) if isinstance(data, dict) else cls()

    def save(self, state_dir: Path) -> None:
        values = {k: v for k, v in asdict(self).items() if k not in TRANSIENT}
        try:
            Path(state_dir).mkdir(parents=True, exist_ok=True)
            atomic_write_text(Path(state_dir) / STATE_FILE, json.dumps(values, indent=1))
        except OSError as exc:
            self.note = f"Auto-train state stays in memory ({exc.strerror or exc})."


def default_enabled(labelled: int, total: int) -> bool:
    """On by default for a project with fewer than half of its images labelled."""
    return total > 0 and labelled < 0.5 * total


def labelled_images(dataset: Dataset) -> list[Path]:
    return [p for p in dataset.unique_images() if label_path_for(p).exists()]


def user_run_active(dataset: Dataset) -> bool:
    """Whether one of the user's own runs of this dataset is training right now."""
    for run in runs.list_runs(dataset.yaml_path or dataset.root, dataset.root):
        if run.status == "running" and run.purpose != runs.PROPOSAL:
            return True
    return False


class AutoTrainScheduler:
    """When to start a proposal run: ``FIRST_AT`` labelled, then every ``EVERY`` more."""

    def __init__(self, state: AutoTrainState, first: int = FIRST_AT, every: int = EVERY) -> None:
        self.state, self.first, self.every = state, first, every
        self.running = False
        self.queued = False

    def due(self, labelled: int) -> bool:
        if self.state.last_start <= 0:
            return labelled >= self.first
        return labelled - self.state.last_start >= self.every

    def labelled_changed(self, labelled: int, user_training: bool) -> str:
        """``start`` | ``queued`` | ``waiting`` (user's run / paused) | ``""`` (not due)."""
        if not self.due(labelled):
            return ""
        if self.running:
            self.queued = True
            return "queued"
        if self.state.paused or user_training:
            return "waiting"
        self.running = True
        self.state.last_start = labelled
        return "start"

    def finished(self) -> bool:
        """A run ended; True when a queued trigger should be looked at now."""
        self.running = False
        queued, self.queued = self.queued, False
        return queued


# ----- the run ----------------------------------------------------------------------------------
def labelled_split(dataset: Dataset) -> tuple[list[Path], list[Path]]:
    """(train, val) of the labelled images: val the labelled val images, else every 5th."""
    labelled = set(labelled_images(dataset))
    train = [p for p in dataset.images("train") if p in labelled]
    val = [p for s in ("val", "test") for p in dataset.images(s) if p in labelled]
    if not val:
        val = train[::5]
        train = [p for p in train if p not in set(val)] or val
    return train, val


def training_yaml(dataset: Dataset) -> Path:
    """A data yaml of the labelled images only (see :func:`labelled_split`)."""
    train, val = labelled_split(dataset)
    if len(train) < 2:
        raise UserError("Auto-train needs at least 2 labelled training images.")
    folder = dataset.state_dir / DATA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name, items in (("train.txt", train), ("val.txt", val)):
        atomic_write_text(folder / name, "".join(f"{p.resolve()}\n" for p in items))
    data = {"path": str(folder.resolve()), "train": "train.txt", "val": "val.txt",
            "names": dict(enumerate(dataset.names))}
    atomic_write_text(folder / "data.yaml", yaml.safe_dump(data, sort_keys=False))
    return folder / "data.yaml"


def pretrained_start() -> str:
    """The best pretrained model on this computer (downloaded, else imported); "" if none."""
    for source in ("downloaded", "imported"):
        found = [e for e in runs.model_entries() if e.source == source]
        if found:
            return str(found[0].path)
    return ""


def start_weights(state: AutoTrainState,
                  pretrained: str | Path | None = None) -> tuple[str, str, str]:
    """(recipe, weights or architecture, pretrained base) of the next proposal run.

    ``pretrained`` replaces :func:`pretrained_start` (the benchmark names its own).
    """
    base = str(pretrained) if pretrained else pretrained_start()
    previous = state.model if state.model and Path(state.model).is_file() else ""
    if base:
        return "freeze", (previous if previous and state.base == base else base), base
    if previous:
        return "finetune", previous, ""
    return "scratch", SCRATCH_MODEL, ""


def proposal_config(dataset: Dataset, state: AutoTrainState, budget_s: float = BUDGET_S,
                    pretrained: str | Path | None = None, **overrides) -> TrainConfig:
    """The proposal run's TrainConfig (``overrides``: tests use 1 epoch at 64 px;
    ``pretrained``: see :func:`start_weights`).

    Two settings make a few labelled images and a few CPU minutes teach the model something
    (measured with ``benchmarks/bench_labelling.py``: 16 sample images, 60 s, 320 px, the COCO
    backbone frozen: mAP50 0.00 → 0.37 → 0.47). ``nbs`` = ``batch``: ultralytics otherwise
    accumulates gradients up to a nominal batch of 64, one optimizer step every 8 batches,
    which on 16 images is one step every 4 epochs. ``val`` off: the budget goes to training,
    and the one validation that matters (mAP50 against the previous proposal model) still runs
    when the time is up.
    """
    mode, source, state.next_base = start_weights(state, pretrained)
    where = {"model": source} if mode == "scratch" else {"weights": source}
    batch = int(overrides.pop("batch", PROPOSAL_BATCH))
    extra = {"nbs": batch, "val": False, **overrides.pop("extra", {})}
    values = dict(epochs=100, time=budget_s / 3600.0, imgsz=320, batch=batch, patience=100,
                  device="cpu", project=str(runs.default_project(dataset.root, dataset.title)),
                  name=f"proposal-{state.runs + 1}", extra=extra, **where)
    values.update(overrides)
    return TrainConfig.for_mode(mode, str(training_yaml(dataset)), **values)


@dataclass
class AutoTrainResult:
    run_dir: Path | None
    status: str  # completed | stopped | failed
    map50: float | None = None
    improved: bool = False
    refreshed: int = 0  # images whose proposals were refreshed
    message: str = ""


def run_autotrain(ctx: JobContext, dataset: Dataset, state: AutoTrainState,
                  config: TrainConfig | None = None,
                  on_started: Callable[[Any], None] | None = None) -> AutoTrainResult:
    """Train one proposal model; refresh proposals when it beats the previous one.

    ``on_started`` receives the training process (the app kills it when the window closes).
    """
    from penguin_studio.core.training.job import run_training

    config = config or proposal_config(dataset, state)
    state.runs += 1
    def started(proc) -> None:
        runs.mark_purpose(proc.run_dir, runs.PROPOSAL)
        if on_started is not None:
            on_started(proc)

    outcome = run_training(config, ctx=ctx, background=True, on_started=started)
    if outcome.status != "completed":
        return AutoTrainResult(outcome.run_dir, outcome.status,
                               message=outcome.message or f"Auto-train {outcome.status}.")
    return conclude(dataset, state, outcome.run_dir, ctx)


def conclude(dataset: Dataset, state: AutoTrainState, run_dir: Path,
             ctx: JobContext | None = None) -> AutoTrainResult:
    """Keep a finished proposal run's model only if its mAP50 beats the previous one's
    (:func:`adopt`), and then refresh the proposals of the images still to label."""
    result = adopt(dataset, state, run_dir, ctx)
    if result.improved:
        result.refreshed = refresh_proposals(dataset, Path(state.model), ctx)
        result.message += f"; refreshed {result.refreshed} images."
    return result


def adopt(dataset: Dataset, state: AutoTrainState, run_dir: Path,
          ctx: JobContext | None = None) -> AutoTrainResult:
    """:func:`keep_if_better`, and a model kept is calibrated on its validation images."""
    result = keep_if_better(state, run_dir)
    if result.improved:
        calibration = calibrate(dataset, Path(state.model), ctx)
        if calibration is not None:
            result.message += (f", proposals above {calibration.conf:g} (recall "
                               f"{calibration.recall:.0%})")
    return result


def validation_images(dataset: Dataset) -> list[Path]:
    """The images the last proposal run validated on (its list file), else today's split."""
    listed = dataset.state_dir / DATA_DIR / "val.txt"
    try:
        return [Path(line) for line in listed.read_text(encoding="utf-8").splitlines() if line]
    except OSError:
        return labelled_split(dataset)[1]


def calibrate(dataset: Dataset, weights: Path,
              ctx: JobContext | None = None) -> fixing.Calibration | None:
    """The proposal threshold of ``weights`` chosen on its validation images (see
    ``core/labelling/fixing``), stored beside them; None (the default threshold) when no
    labelled validation image can be read."""
    images = [p for p in validation_images(dataset) if label_path_for(p).exists()]
    step = ctx.step if ctx is not None else None
    try:
        return fixing.calibrate(weights, images, lambda p: read_labels(label_path_for(p)), step)
    except (UserError, Cancelled):
        raise
    except Exception:  # an unreadable image or label: the default threshold, as without val
        return None


def proposal_conf(weights: str | Path | None) -> float:
    """The calibrated proposal threshold of ``weights``, else ``PROPOSAL_CONF``."""
    found = fixing.load_calibration(weights)
    return found.conf if found is not None else PROPOSAL_CONF


def keep_if_better(state: AutoTrainState, run_dir: Path) -> AutoTrainResult:
    """The run's validation mAP50; it becomes ``state.model`` only if it beats the last one."""
    record = runs.load_run(run_dir)
    map50 = record.best.get(runs.MAP50)
    result = AutoTrainResult(run_dir, "completed", map50)
    if record.best_weights is None or map50 is None or map50 != map50:
        result.message = "Auto-train finished without a usable model."
        return result
    if state.best_map50 is not None and map50 <= state.best_map50:
        result.message = (f"Proposal model mAP50 {map50:.3f} did not beat {state.best_map50:.3f}:"
                          " proposals kept.")
        return result
    result.improved = True
    state.best_map50, state.model = float(map50), str(record.best_weights)
    state.base = state.next_base
    result.message = f"New proposal model (mAP50 {map50:.3f})"
    return result


def refresh_proposals(dataset: Dataset, weights: Path, ctx: JobContext | None = None,
                      conf: float | None = None) -> int:
    """New proposals for unlabelled images nobody has started reviewing, above ``conf``
    (default: the model's calibrated threshold, :func:`proposal_conf`). ``prelabel`` refuses
    a model whose classes differ from the dataset's, as every proposal path does."""
    from penguin_studio.core.inference.prelabel import load_proposals, prelabel, unlabelled_images

    todo = []
    for image in unlabelled_images(dataset):
        try:
            props = load_proposals(image, dataset.root)
        except UserError:
            props = None  # a damaged proposals file: replaced
        if props is None or len(props.pending) == len(props.proposals):
            todo.append(image)
    conf = proposal_conf(weights) if conf is None else conf
    report = prelabel(dataset, weights, conf, ctx, images=todo, overwrite=True)
    return report.images
