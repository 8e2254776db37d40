"""Turn a TrainConfig into a runnable one: absolute paths, a free run name, files checked.

Everything that can be wrong with the user's input is found here, in the calling process
and within a second or two, before a child process and torch are started: a missing named
model, a file that is not a checkpoint, an unknown hyperparameter, a dataset without a
validation split.
"""

from __future__ import annotations

from pathlib import Path

from penguin_studio.core import engine
from penguin_studio.core.dataset import Dataset, datayaml, open_dataset
from penguin_studio.core.dataset.project import require_classes
from penguin_studio.core.errors import UserError
from penguin_studio.core.training import architectures, runs
from penguin_studio.core.training.config import TrainConfig

DATA_COPY = datayaml.COPY_NAME
SPLIT_LISTS = datayaml.COPY_LISTS


def open_training_dataset(data: str | Path) -> Dataset:
    """Open the dataset and make sure ultralytics can train on it (train and val splits)."""
    ds = open_dataset(data)
    if ds.yaml_path is None:
        raise UserError(f"{ds.root} is a folder of images without a data.yaml: training needs "
                        f"class names and train/val splits (make them in the Dataset panel).")
    for split in ("train", "val"):
        if split in ds.problems:
            raise UserError(f"{ds.yaml_path.name}: the {split} split cannot be used: "
                            f"{ds.problems[split]}")
        if not ds.splits.get(split):
            what = "no 'val' split (validation runs after every epoch)" if split == "val" \
                else "no 'train' split"
            raise UserError(f"{ds.yaml_path.name} has {what}: add one to the data yaml.")
    require_classes(ds)
    return ds


def resolve_weights(weights: str) -> Path:
    """A local, real checkpoint for ``weights`` or a clear error (fast: no torch)."""
    path = engine.check_weights_file(weights)
    if path.suffix.lower() != ".pt":
        raise UserError(not_a_checkpoint_note(path.name))
    engine.check_checkpoint(path)
    return path


def not_a_checkpoint_note(name: str) -> str:
    """Why start weights that are no ``.pt`` (a model or data YAML) cannot start a run: the
    recipes that take start weights train on from trained weights."""
    return (f"Start weights must be a .pt checkpoint, not {name}: pick a run's "
            f"weights/best.pt, or a pretrained model (Models…).")


def resolve_architecture(model: str) -> str:
    """A known architecture name (ultralytics builds it) or an absolute path to a YAML."""
    if model in architectures.ARCHITECTURES or architectures.architecture_yaml(model):
        return model
    path = Path(model).expanduser()
    if path.is_file():
        architectures.model_yaml(str(path))  # a broken or non-architecture YAML: say so now
        return str(path.resolve())
    known = ", ".join(a for a in architectures.ARCHITECTURES if a.endswith(("n.yaml", "s.yaml")))
    raise UserError(f"Unknown architecture '{model}': use one of {known}… or a model YAML file.")


def plan_run(config: TrainConfig, write: bool = True) -> TrainConfig:
    """A copy of ``config`` that ultralytics can run as is, in a new run folder.

    With ``write`` the run folder is created, with the data yaml copy it may need and
    ``penguin_config.yaml``; without, the same plan is only previewed (wizard review page).
    """
    config.check()
    ds = open_training_dataset(config.data)
    plan = config.copy(data=str(ds.yaml_path))
    if config.mode == "scratch":
        plan.model = resolve_architecture(str(config.model))
    else:
        plan.model = None  # the architecture comes with the weights
        plan.weights = str(resolve_weights(str(config.weights)))
        if config.mode == "freeze" and config.freeze is None:
            plan.freeze = _backbone_of(config.weights or "", Path(plan.weights))
    if config.hyp:
        plan.hyp = str(Path(config.hyp).expanduser().resolve())
    project = Path(config.project).expanduser() if config.project else \
        runs.default_project(ds.root, ds.title)
    plan.project = str(project.resolve())
    # never into an existing folder, even one without args.yaml (a run that failed to
    # start): ultralytics is told exist_ok, so it would mix two runs' files
    plan.name = _free_name(project, config.name or _default_name(plan))
    run_dir = Path(plan.project) / plan.name
    plan.data = str(ultralytics_data_yaml(ds, run_dir, write))
    if write:
        _create_run_dir(run_dir)
        plan.save(run_dir / runs.CONFIG_FILE)
        runs.remember_run(ds.yaml_path, run_dir)
    return plan


def _backbone_of(name: str, path: Path) -> int:
    """Backbone size from the model's name, or from the checkpoint itself (loads torch)."""
    size = architectures.default_freeze(name) or architectures.default_freeze(path.name)
    if size is not None:
        return size
    from penguin_studio.core.training.weights import describe_checkpoint

    return describe_checkpoint(path).backbone


def _default_name(plan: TrainConfig) -> str:
    source = str(plan.model) if plan.mode == "scratch" else Path(plan.weights or "model").name
    known = architectures.family(Path(source).name)
    return f"{plan.mode}-{Path(source).stem}" if known else plan.mode


def _free_name(project: Path, base: str) -> str:
    """``base``, or ``base2``, ``base3``… (ultralytics' numbering) if the folder is taken."""
    if not (project / base).exists():
        return base
    n = 2
    while (project / f"{base}{n}").exists():
        n += 1
    return f"{base}{n}"


def _create_run_dir(run_dir: Path) -> None:
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create the run folder {run_dir}: {exc.strerror}. Pick another "
                        f"project folder.") from exc


# ----- the data yaml ultralytics reads -----------------------------------------------------------
def ultralytics_data_yaml(ds: Dataset, run_dir: Path, write: bool = True) -> Path:
    """The user's data yaml when ultralytics reads it as the app does, else an absolute copy
    in the run folder (``data.yaml`` and ``splits/``): see :func:`datayaml.ultralytics_data_yaml`.
    """
    return datayaml.ultralytics_data_yaml(ds, run_dir, write)


def default_weights(data: str | Path) -> Path:
    """Fine-tuning's default start: best.pt of the latest feature-extraction run here."""
    ds = open_training_dataset(data)
    found = runs.newest_model(str(ds.yaml_path), ds.root, recipe="freeze")
    if found is None:
        raise UserError("Fine-tuning starts from the best.pt of a feature-extraction run, and "
                        "this dataset has none yet: run the freeze recipe first, or pass "
                        "--weights FILE.pt.")
    return found
