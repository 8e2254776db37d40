"""Hyperparameter tuning: what to search, where the search lives, and what it found.

The search itself is ultralytics' own ``model.tune()`` (genetic evolution: each iteration
mutates the best hyperparameters so far and trains a short run with them), or Ray Tune
through ultralytics' ``use_ray=True``. This module only decides the inputs (a small search
space per recipe, checked before anything starts) and reads the outputs
(``tune_results.ndjson``, one line per finished iteration) into a hyperparameter YAML that
``train --hyp`` and the wizard's *Load hyperparameter YAML* accept.

Qt-free and torch-free: the CLI, the Tune page and the tuning child process share it.
"""

from __future__ import annotations

import math
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.dataset.labels import atomic_write_text
from penguin_studio.core.errors import UserError
from penguin_studio.core.training import runs
from penguin_studio.core.training.config import (
    FINETUNE_PRESET,
    MODES,
    TrainConfig,
    check_at_least_one,
    check_hours,
    check_setting_keys,
    ultralytics_defaults,
)
from penguin_studio.core.training.events import read_json_lines
from penguin_studio.core.training.yaml_files import read_yaml_file

TUNE_CONFIG = "penguin_tune.yaml"
RESULTS_FILE = "tune_results.ndjson"  # ultralytics' Tuner writes it
BEST_HYP = "best_hyp.yaml"  # ours: the best iteration's values plus the optimizer
TUNE_LOG = "tune.log"

Range = tuple  # (low, high) or (low, high, gain): ultralytics' Tuner format

_OPTIMIZER_SPACE: dict[str, Range] = {
    "lr0": (1e-4, 1e-2),
    "lrf": (0.01, 1.0),
    "momentum": (0.6, 0.98, 0.3),
    "weight_decay": (0.0, 0.001),
    "warmup_epochs": (0.0, 5.0),
}
_LOSS_SPACE: dict[str, Range] = {"box": (1.0, 20.0), "cls": (0.1, 4.0)}
_AUGMENT_SPACE: dict[str, Range] = {"hsv_s": (0.0, 0.9), "hsv_v": (0.0, 0.9),
                                    "scale": (0.0, 0.9), "mosaic": (0.0, 1.0)}

#: Small spaces per recipe: a few iterations on a laptop cannot explore ultralytics' 26
#: dimensions. Fine-tuning adapts a trained model gently: only the optimizer's own settings
#: (its optimizer stays SGD, the preset's). Feature extraction trains the head: the
#: optimizer plus the loss gains and the two augmentations that matter most. Hot start and
#: scratch train every layer, so colour and geometry augmentation join in.
SPACES: dict[str, dict[str, Range]] = {
    "finetune": {**_OPTIMIZER_SPACE, "warmup_epochs": (0.0, 3.0)},
    "freeze": {**_OPTIMIZER_SPACE, **_LOSS_SPACE, "scale": (0.0, 0.9), "mosaic": (0.0, 1.0)},
    "hotstart": {**_OPTIMIZER_SPACE, **_LOSS_SPACE, **_AUGMENT_SPACE},
    "scratch": {**_OPTIMIZER_SPACE, **_LOSS_SPACE, **_AUGMENT_SPACE,
                "translate": (0.0, 0.9), "fliplr": (0.0, 1.0)},
}

_FRACTION = (0.0, 1.0)
#: Where each tunable hyperparameter makes sense at all (a range outside is refused).
LIMITS: dict[str, tuple[float, float]] = {
    "lr0": (1e-8, 1.0), "lrf": (1e-6, 1.0), "momentum": (0.0, 0.999),
    "weight_decay": (0.0, 0.1), "warmup_epochs": (0.0, 100.0), "warmup_momentum": (0.0, 0.999),
    "warmup_bias_lr": (0.0, 1.0), "box": (0.0, 100.0), "cls": (0.0, 100.0),
    "dfl": (0.0, 100.0), "cls_pw": _FRACTION, "hsv_h": _FRACTION, "hsv_s": _FRACTION,
    "hsv_v": _FRACTION, "degrees": (0.0, 180.0), "translate": _FRACTION,
    "scale": (0.0, 0.999), "shear": (0.0, 180.0), "perspective": (0.0, 0.001),
    "flipud": _FRACTION, "fliplr": _FRACTION, "bgr": _FRACTION, "mosaic": _FRACTION,
    "mixup": _FRACTION, "cutmix": _FRACTION, "copy_paste": _FRACTION,
    "close_mosaic": (0.0, 1000.0),
}

#: AdamW is what ultralytics' tuner trains with when no optimizer is named ('auto' would
#: ignore lr0, the first thing searched); 0.001 is a usual AdamW start.
SEARCH_OPTIMIZER = {"optimizer": "AdamW", "lr0": 0.001}


# ----- the search space -------------------------------------------------------------------------
def check_space(space: dict[str, Any], where: str = "search space") -> dict[str, Range]:
    """Every key a tunable ultralytics hyperparameter, every range possible; named if not."""
    if not isinstance(space, dict) or not space:
        raise UserError(f"{where}: expected lines such as 'lr0: [0.0001, 0.01]' (a mapping of "
                        f"hyperparameter to [min, max]).")
    check_setting_keys(set(space), where)
    out: dict[str, Range] = {}
    for key, value in space.items():
        if key not in LIMITS:
            raise UserError(f"{where}: '{key}' cannot be tuned (tunable: "
                            f"{', '.join(sorted(LIMITS))}).")
        out[key] = _check_range(key, value, where)
    return out


def _check_range(key: str, value: Any, where: str) -> Range:
    ok = isinstance(value, (list, tuple)) and len(value) in (2, 3) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        for v in value)
    if not ok:
        raise UserError(f"{where}: '{key}' must be [min, max] or [min, max, gain] numbers, "
                        f"not {value!r}.")
    low, high = float(value[0]), float(value[1])
    lo, hi = LIMITS[key]
    if low > high:
        raise UserError(f"{where}: '{key}' range [{low:g}, {high:g}] is impossible: min is "
                        f"above max.")
    if low < lo or high > hi:
        raise UserError(f"{where}: '{key}' range [{low:g}, {high:g}] is outside what "
                        f"{key} can be ({lo:g} to {hi:g}).")
    if len(value) == 3 and not 0 < float(value[2]) <= 1:
        raise UserError(f"{where}: '{key}' gain {value[2]!r} must be above 0 and at most 1.")
    return tuple(float(v) for v in value)


def load_space_file(path: str | Path) -> dict[str, Range]:
    """Read and check a search-space YAML (``lr0: [0.0001, 0.01]`` per line)."""
    path = Path(path).expanduser()
    data = read_yaml_file(path, "Search-space file not found", "Cannot read search-space file")
    return check_space(data, path.name)


# ----- one search ---------------------------------------------------------------------------------
@dataclass
class TuneConfig:
    """One search. ``train`` is the base run each iteration trains (shortened by ``epochs``)."""

    train: TrainConfig
    iterations: int = 10
    time: float | None = None  # hours for the whole search; no new iteration after it
    space: dict[str, list[float]] | None = None  # None: the recipe's own space
    ray: bool = False
    ray_address: str | None = None
    gpu_per_trial: int | None = None
    tune_dir: str | None = None  # set by plan_tune

    @property
    def mode(self) -> str:
        return self.train.mode

    def search_space(self) -> dict[str, Range]:
        if self.space:
            return {k: tuple(v) for k, v in self.space.items()}
        return dict(SPACES[self.train.mode])

    def optimizer_settings(self) -> dict[str, Any]:
        """The optimizer every iteration uses (it is not searched): the recipe's own."""
        if self.train.mode == "finetune":
            return {"optimizer": self.train.optimizer or FINETUNE_PRESET["optimizer"],
                    "lr0": self.train.lr0 or FINETUNE_PRESET["lr0"]}
        if self.train.optimizer and self.train.optimizer != "auto":
            return {"optimizer": self.train.optimizer, "lr0": self.train.lr0 or 0.01}
        return dict(SEARCH_OPTIMIZER)

    def _base_kwargs(self) -> dict[str, Any]:
        """The base run's training arguments, its hyperparameter file merged in (the
        tuner's iterations drop ``cfg=``), with the search's optimizer."""
        from penguin_studio.core.training.config import load_hyp_file

        kw = self.train.to_train_kwargs()
        for key in ("project", "name", "exist_ok", "time", "cfg"):
            kw.pop(key, None)
        if self.train.hyp:
            kw = {**load_hyp_file(self.train.hyp), **kw}
        kw.update(self.optimizer_settings())
        kw.setdefault("plots", False)  # each iteration's plots cost seconds nobody looks at
        return kw

    def tune_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``model.tune()`` (the local genetic search)."""
        kw = self._base_kwargs()
        kw.update(space=self.search_space(), iterations=self.iterations)
        if self.tune_dir:
            # save_dir: the Tuner writes into this folder; project: iterations go under it;
            # resume: a folder that exists is taken as is, not renumbered
            kw.update(save_dir=self.tune_dir, project=self.tune_dir, resume=True)
        return kw

    def ray_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``model.tune(use_ray=True, ...)`` (space still as ranges)."""
        kw = self._base_kwargs()
        gpus = self.gpu_per_trial
        if gpus is None:  # a trial sees only the GPUs Ray gives it: one, when GPUs are asked
            gpus = 1 if str(self.train.device or "cpu").lower() not in ("cpu", "mps") else 0
        kw.update(iterations=self.iterations, gpu_per_trial=gpus,
                  grace_period=max(1, min(3, self.train.epochs)), search_alg=None)
        if self.tune_dir:
            # Ray's results in <tune_dir>/ray, each trial's run in <tune_dir>/ray_<id>;
            # resume: take the folder as is instead of numbering a new one
            kw.update(project=self.tune_dir, name="ray", resume=True)
        return kw

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["train"] = self.train.to_dict()
        if self.space:
            out["space"] = {k: list(v) for k, v in self.space.items()}
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str = TUNE_CONFIG) -> TuneConfig:
        values = dict(values)
        train = TrainConfig.from_dict(values.pop("train", None) or {}, where=where)
        try:
            return cls(train=train, **values)
        except TypeError as exc:
            raise UserError(f"{where}: {exc}") from exc

    def save(self, path: str | Path) -> None:
        atomic_write_text(path, yaml.safe_dump(self.to_dict(), sort_keys=False))

    @classmethod
    def load(cls, path: str | Path) -> TuneConfig:
        path = Path(path)
        values = read_yaml_file(path, "Tuning config not found", "Cannot read")
        if not isinstance(values, dict):
            raise UserError(f"{path.name} is not a tuning config.")
        return cls.from_dict(values, where=path.name)

    def check(self) -> None:
        if self.train.mode not in MODES:
            raise UserError(f"Unknown recipe '{self.train.mode}': choose one of "
                            f"{', '.join(MODES)}.")
        check_at_least_one("iterations", self.iterations)
        check_hours(self.time)
        if self.gpu_per_trial is not None and self.gpu_per_trial < 0:
            raise UserError(f"--gpu-per-trial must be 0 or more (got {self.gpu_per_trial}).")
        if self.ray_address and not self.ray:
            raise UserError("--ray-address needs --ray (the search runs on that Ray cluster).")
        if self.space:
            self.space = {k: list(v) for k, v in check_space(self.space).items()}
        self.train.check()


def check_validation_split(data: str | Path) -> None:
    """Tuning scores every iteration on the validation split: without one, say so first."""
    ds = open_dataset(data)
    if ds.yaml_path is not None and not ds.splits.get("val") and "val" not in ds.problems:
        raise UserError(f"{ds.yaml_path.name} has no validation split, and tuning needs one: "
                        f"every iteration is scored on it. Add a 'val' split (Dataset › "
                        f"Splits, or penguin-studio dataset split {ds.yaml_path}).")


def plan_tune(config: TuneConfig, write: bool = True) -> TuneConfig:
    """Check everything (fast, in the calling process), then make the search folder."""
    from penguin_studio.core.training import plan as planning

    config.check()
    check_validation_split(config.train.data)
    if config.ray:
        check_ray(config.ray_address)
    base = config.train.copy(name=None)
    planned = planning.plan_run(base, write=False)
    project = Path(planned.project or ".")
    name = config.train.name or planning._free_name(project, f"tune-{config.mode}")
    if config.train.name and (project / name / TUNE_CONFIG).exists():
        name = planning._free_name(project, config.train.name)
    tune_dir = project / name
    ds = planning.open_training_dataset(config.train.data)
    train = planned.copy(name=None, project=None,
                         data=str(planning.ultralytics_data_yaml(ds, tune_dir, write)))
    plan = TuneConfig(**{**asdict(config), "train": train, "tune_dir": str(tune_dir)})
    plan.space = {k: list(v) for k, v in plan.search_space().items()}
    if write:
        planning._create_run_dir(tune_dir)
        plan.save(tune_dir / TUNE_CONFIG)
    return plan


# ----- Ray ---------------------------------------------------------------------------------------
def ray_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None


RAY_MISSING = ('Ray is not installed: tuning with --ray needs the cluster extra: '
               'pip install "penguin-studio[cluster]" (or pip install "ray[tune]").')


def check_ray(address: str | None, timeout: float = 3.0) -> None:
    """Ray installed and, for an address, something listening there (within seconds)."""
    if not ray_installed():
        raise UserError(RAY_MISSING)
    if not address or address in ("auto", "local"):
        return
    host, port = _host_port(address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UserError(f"Cannot reach the Ray cluster at {address} ({reason}): start it "
                        f"(ray start --head) or check the address and port.") from None


def _host_port(address: str) -> tuple[str, int]:
    text = address.split("://", 1)[-1].rstrip("/")
    default = 10001 if address.startswith("ray://") else 6379
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    try:
        return host or text, int(port) if port else default
    except ValueError:
        raise UserError(f"Ray address '{address}' is not host:port (e.g. "
                        f"ray://10.0.0.5:10001 or 10.0.0.5:6379).") from None


# ----- results -----------------------------------------------------------------------------------
@dataclass
class Iteration:
    """One finished training of the search."""

    iteration: int
    fitness: float
    hyperparameters: dict[str, float]
    metrics: dict[str, float] = field(default_factory=dict)


def read_iterations(tune_dir: str | Path) -> list[Iteration]:
    """Every finished iteration (a half-written last line is skipped)."""
    out: list[Iteration] = []
    for row in read_json_lines(Path(tune_dir) / RESULTS_FILE):
        datasets = row.get("datasets") or {}
        metrics = next(iter(datasets.values()), None) or {}
        out.append(Iteration(iteration=int(row.get("iteration", len(out) + 1)),
                             fitness=float(row.get("fitness") or 0.0),
                             hyperparameters=dict(row.get("hyperparameters") or {}),
                             metrics={k: float(v) for k, v in metrics.items()
                                      if isinstance(v, (int, float))}))
    return out


def best_iteration(iterations: list[Iteration]) -> Iteration | None:
    trained = [i for i in iterations if i.metrics] or iterations
    return max(trained, key=lambda i: i.fitness) if trained else None


def hyp_diff(hyp: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(key, ultralytics default, tuned)`` for every value that differs."""
    defaults = ultralytics_defaults()
    return [(k, defaults.get(k), v) for k, v in hyp.items() if defaults.get(k) != v]


def best_hyp_diff(path: str | Path) -> list[tuple[str, Any, Any]]:
    """:func:`hyp_diff` of a ``best_hyp.yaml`` (what the CLI prints and the Tune page shows)."""
    hyp = read_yaml_file(Path(path), "Best hyperparameters not found",
                         "Cannot read best hyperparameters")
    return hyp_diff(hyp if isinstance(hyp, dict) else {})


def best_hyperparameters(config: TuneConfig, iterations: list[Iteration]) -> dict[str, Any]:
    """What to train with: the optimizer used in the search plus the best iteration's values."""
    best = best_iteration(iterations)
    if best is None:
        return {}
    values = {k: _rounded(v) for k, v in best.hyperparameters.items()}
    return {"optimizer": config.optimizer_settings()["optimizer"], **values}


def _rounded(value: Any) -> Any:
    return float(f"{value:.6g}") if isinstance(value, float) else value


def write_best_hyp(config: TuneConfig, tune_dir: str | Path) -> Path | None:
    """``best_hyp.yaml``: loads with ``train --hyp`` as is; the header is the diff."""
    iterations = read_iterations(tune_dir)
    hyp = best_hyperparameters(config, iterations)
    if not hyp:
        return None
    best = best_iteration(iterations)
    assert best is not None
    lines = [f"# Best of {len(iterations)} tuning iterations (iteration {best.iteration}, "
             f"fitness {best.fitness:.4f}), recipe {config.mode}.",
             f"# Train with it: penguin-studio train --mode {config.mode} --hyp THIS_FILE ...",
             "# Changed from ultralytics' defaults (default -> tuned):"]
    lines += [f"#   {k}: {d} -> {v}" for k, d, v in hyp_diff(hyp)]
    path = Path(tune_dir) / BEST_HYP
    atomic_write_text(path, "\n".join(lines) + "\n" + yaml.safe_dump(hyp, sort_keys=False))
    return path


def list_searches(data: str | Path, dataset_root: Path | None = None) -> list[Path]:
    """Search folders of a dataset (in its runs folder), oldest first."""
    data_path = Path(data).expanduser().resolve()
    root = dataset_root or data_path.parent
    project = runs.default_project(root)
    if not project.is_dir():
        return []
    found = [p for p in project.iterdir() if (p / TUNE_CONFIG).is_file()]
    return sorted(found, key=lambda p: (p / TUNE_CONFIG).stat().st_mtime)
