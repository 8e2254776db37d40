"""``TrainConfig``: every setting of one training run, the recipes' presets, and checks.

The wizard edits a ``TrainConfig``, the CLI builds one from its flags or a YAML file, and
both hand it to the same job (:mod:`penguin_studio.core.training.job`). It is saved as
``penguin_config.yaml`` in the run folder, so a run can always be inspected and repeated.

``to_train_kwargs()`` is the *exact* keyword set given to ``YOLO(model_source()).train()``;
``yolo_command()`` is the same run as a ``yolo train ...`` command line.
"""

from __future__ import annotations

import difflib
import shlex
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from penguin_studio.core.errors import UserError
from penguin_studio.core.training import architectures
from penguin_studio.core.training.yaml_files import read_yaml_file

MODES = ("scratch", "freeze", "finetune", "hotstart")
MODE_TITLES = {
    "scratch": "From scratch",
    "hotstart": "Hot start (pretrained, every layer, default settings)",
    "freeze": "Feature extraction (frozen backbone)",
    "finetune": "Fine-tuning (all layers, low learning rate)",
}
CACHE_CHOICES = ("none", "ram", "disk")

#: Fine-tuning preset. ``optimizer=auto`` (ultralytics' default) ignores ``lr0``, so the
#: optimizer is named. SGD with lr0=0.001 is a tenth of ultralytics' default lr0 (0.01, which
#: is an SGD rate); plain SGD moves each weight in proportion to its gradient, so well-trained
#: features change little, whereas Adam-type optimizers normalise every step to about lr and
#: shift even weights whose gradient is tiny. One warmup epoch instead of three, and the bias
#: warmup starts at lr0 instead of 0.1 (100x lr0 would jolt the pretrained biases).
FINETUNE_PRESET: dict[str, Any] = {
    "optimizer": "SGD", "lr0": 0.001, "warmup_epochs": 1.0, "warmup_bias_lr": 0.001,
}

#: Keys the config itself controls; a hyperparameter file may not set them (they would be
#: silently overridden by the wizard's own values otherwise).
MANAGED_KEYS = frozenset({
    "model", "data", "epochs", "time", "imgsz", "batch", "cache", "device", "patience", "seed",
    "project", "name", "exist_ok", "freeze", "resume", "mode", "task", "cfg", "save_dir",
})

#: Run settings listed by :meth:`TrainConfig.changed_settings` (paths and names excluded).
RUN_SETTING_KEYS = ("epochs", "time", "imgsz", "batch", "cache", "patience", "seed", "device",
                    "freeze")


@lru_cache(maxsize=1)
def ultralytics_defaults() -> dict[str, Any]:
    """ultralytics' ``DEFAULT_CFG_DICT``, read from its ``default.yaml`` without importing it."""
    path = architectures.ultralytics_dir() / "cfg" / "default.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def check_setting_keys(keys: list[str] | set[str], where: str) -> None:
    """Refuse any key ultralytics does not know, naming it (and the closest known key)."""
    known = ultralytics_defaults()
    for key in keys:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), list(known), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "."
        raise UserError(f"{where}: unknown hyperparameter '{key}' (not an ultralytics "
                        f"training setting{hint})")


def load_hyp_file(path: str | Path) -> dict[str, Any]:
    """Read a hyperparameter YAML (ultralytics ``cfg=``) and check every key in it."""
    path = Path(path).expanduser()
    data = read_yaml_file(path, "Hyperparameter file not found", "Cannot read hyperparameter file")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"{path.name} must hold 'key: value' lines (a YAML mapping).")
    check_setting_keys(set(data), path.name)
    managed = sorted(set(data) & MANAGED_KEYS)
    if managed:
        raise UserError(f"{path.name} sets '{managed[0]}', which is a run setting: set it in the "
                        f"wizard (or with --{managed[0]}) and remove it from the file.")
    return data


@dataclass
class TrainConfig:
    """One training run. ``None`` means "ultralytics' default" and is not passed on."""

    data: str
    mode: str = "scratch"
    model: str | None = "yolov8n.yaml"  # architecture, used by the from-scratch recipe only
    weights: str | None = None  # start weights (.pt path or a named COCO model)
    freeze: int | None = None  # layers to freeze (feature extraction); None = backbone
    epochs: int = 30
    time: float | None = None  # hours; when set, ultralytics fits the epochs into it
    imgsz: int = 416
    batch: int = 8  # -1 = AutoBatch (GPU only)
    cache: str = "ram"
    device: str | None = None  # None = automatic (first GPU, else CPU)
    patience: int = 15
    seed: int = 0
    project: str | None = None  # default: <dataset>/runs
    name: str | None = None  # default: <mode>-<architecture>, numbered if taken
    hyp: str | None = None  # hyperparameter YAML (ultralytics cfg=)
    optimizer: str | None = None
    lr0: float | None = None
    warmup_epochs: float | None = None
    warmup_bias_lr: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # other ultralytics settings

    # ----- construction -------------------------------------------------------------------
    @classmethod
    def for_mode(cls, mode: str, data: str | Path, **values: Any) -> TrainConfig:
        """A config with the recipe's defaults (the fine-tune preset for ``finetune``)."""
        preset = FINETUNE_PRESET if mode == "finetune" else {}
        if values.get("hyp"):  # a tuned hyp file's optimizer and lr0 win over the preset
            tuned = load_hyp_file(values["hyp"])
            preset = {k: v for k, v in preset.items() if k not in tuned}
        return cls(data=str(data), mode=mode, **{**preset, **values})

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str = "config") -> TrainConfig:
        """Build from a mapping (a YAML file), refusing unknown keys by name."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            close = difflib.get_close_matches(unknown[0], sorted(names), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise UserError(f"{where}: unknown setting '{unknown[0]}'{hint}")
        if "data" not in values or not values["data"]:
            raise UserError(f"{where}: 'data' (the dataset's data yaml) is required.")
        extra = values.get("extra") or {}
        if not isinstance(extra, dict):
            raise UserError(f"{where}: 'extra' must be a mapping of ultralytics settings.")
        return cls(**{**values, "extra": dict(extra)})

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        path = Path(path).expanduser()
        values = read_yaml_file(path, "Config file not found", "Cannot read config")
        if not isinstance(values, dict):
            raise UserError(f"{path.name} is not a training config (expected 'key: value').")
        return cls.from_dict(values, where=path.name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def save(self, path: str | Path) -> None:
        from penguin_studio.core.dataset.labels import atomic_write_text

        atomic_write_text(path, self.to_yaml())

    def copy(self, **changes: Any) -> TrainConfig:
        return replace(self, extra=dict(self.extra), **changes)

    # ----- what ultralytics receives -----------------------------------------------------
    def model_source(self) -> str:
        """What goes into ``YOLO(...)``: the architecture YAML, or the start weights."""
        if self.mode == "scratch":
            return str(self.model or "")
        return str(self.weights or "")

    def effective_freeze(self) -> int | None:
        """Layers frozen: ``freeze`` or the architecture's backbone (feature extraction only)."""
        if self.mode != "freeze":
            return None
        if self.freeze is not None:
            return self.freeze
        return architectures.default_freeze(str(self.weights or ""))

    def to_train_kwargs(self) -> dict[str, Any]:
        """The exact keyword arguments for ``YOLO(self.model_source()).train(**kwargs)``."""
        kw: dict[str, Any] = {"data": self.data, "epochs": self.epochs}
        if self.time:
            kw["time"] = self.time
        kw.update(imgsz=self.imgsz, batch=self.batch,
                  cache=False if self.cache == "none" else self.cache,
                  patience=self.patience, seed=self.seed)
        if self.device:
            kw["device"] = self.device
        freeze = self.effective_freeze()
        if freeze:
            kw["freeze"] = freeze
        if self.hyp:
            kw["cfg"] = self.hyp
        for key in ("optimizer", "lr0", "warmup_epochs", "warmup_bias_lr"):
            value = getattr(self, key)
            if value is not None:
                kw[key] = value
        kw.update(self._startup_defaults())
        kw.update(self.extra)
        if self.project:
            kw["project"] = self.project
        if self.name:
            kw["name"] = self.name
            kw["exist_ok"] = True  # the job picked a free name; never let ultralytics renumber
        return kw

    def _startup_defaults(self) -> dict[str, Any]:
        """Workers by cores and no ultralytics plots, unless the user set them
        (see :mod:`penguin_studio.core.training.startup` for what each saves)."""
        from penguin_studio.core.training import startup

        chosen = set(self.extra)
        try:
            chosen |= set(load_hyp_file(self.hyp)) if self.hyp else set()
        except UserError:  # validate() reports the file
            chosen.add("plots")  # unknown: leave ultralytics' defaults alone
        out: dict[str, Any] = {}
        if "workers" not in chosen:
            out["workers"] = startup.default_workers()
        if "plots" not in chosen:
            out["plots"] = False
        return out

    def yolo_command(self) -> str:
        """The same run as ultralytics' own command line."""
        parts = ["yolo", "detect", "train", f"model={self.model_source()}"]
        parts += [f"{k}={_cli_value(v)}" for k, v in self.to_train_kwargs().items()]
        return " ".join(shlex.quote(p) for p in parts)

    def changed_hyperparameters(self) -> list[tuple[str, Any, Any]]:
        """``(key, ultralytics default, this run)`` for every hyperparameter changed here."""
        defaults = ultralytics_defaults()
        values: dict[str, Any] = {}
        if self.hyp:
            values.update(load_hyp_file(self.hyp))
        for key in ("optimizer", "lr0", "warmup_epochs", "warmup_bias_lr"):
            if getattr(self, key) is not None:
                values[key] = getattr(self, key)
        values.update(self.extra)
        return [(k, defaults.get(k), v) for k, v in values.items() if defaults.get(k) != v]

    def changed_settings(self) -> list[tuple[str, Any, Any]]:
        """Every value given to ``train()`` that differs from ultralytics' default.

        The run settings come first: the app's own defaults (30 epochs, 416 px, batch 8,
        images cached in RAM, patience 15, the frozen backbone) differ from ultralytics'
        even when no hyperparameter was touched, and a user comparing with a plain
        ``yolo train`` needs to see them.
        """
        defaults = ultralytics_defaults()
        kwargs = self.to_train_kwargs()
        rows = [(k, defaults.get(k), kwargs[k]) for k in RUN_SETTING_KEYS
                if k in kwargs and kwargs[k] != defaults.get(k)]
        return rows + self.changed_hyperparameters()

    # ----- checks ----------------------------------------------------------------------------
    def check(self) -> None:
        """Fast checks of the settings themselves (files are checked when a run is planned)."""
        if not str(self.data or "").strip():
            raise UserError("No dataset: open a data yaml first (or pass --data).")
        if self.mode not in MODES:
            raise UserError(f"Unknown recipe '{self.mode}': choose one of {', '.join(MODES)}.")
        if self.mode == "scratch" and not str(self.model or "").endswith((".yaml", ".yml")):
            raise UserError(f"From scratch needs an architecture YAML such as yolov8n.yaml, "
                            f"not '{self.model}' (to start from weights, use --mode freeze or "
                            f"finetune with --weights).")
        if self.mode != "scratch" and not self.weights:
            raise UserError(f"The {self.mode} recipe needs start weights (--weights FILE.pt or a "
                            f"named model such as yolo11n.pt).")
        check_at_least_one("epochs", self.epochs)
        check_hours(self.time)
        if self.imgsz < 32:
            raise UserError(f"imgsz must be at least 32 pixels (got {self.imgsz}).")
        if self.batch == 0 or self.batch < -1:
            raise UserError(f"batch must be -1 (automatic) or a positive number "
                            f"(got {self.batch}).")
        if self.cache not in CACHE_CHOICES:
            raise UserError(f"cache must be one of {', '.join(CACHE_CHOICES)} (got {self.cache}).")
        if self.freeze is not None and self.freeze < 0:
            raise UserError(f"freeze must be 0 or more layers (got {self.freeze}).")
        if self.patience < 0:
            raise UserError(f"patience must be 0 or more epochs (got {self.patience}).")
        check_setting_keys(set(self.extra), "extra settings")
        managed = sorted(set(self.extra) & MANAGED_KEYS)
        if managed:
            raise UserError(f"extra settings: '{managed[0]}' has its own field in the config.")
        if self.hyp:
            load_hyp_file(self.hyp)


def check_at_least_one(name: str, value: int) -> None:
    """A count the run needs at least one of (epochs of a run, iterations of a search)."""
    if value < 1:
        raise UserError(f"{name} must be at least 1 (got {value}).")


def check_hours(time: float | None) -> None:
    """A time budget in hours (a run's ``time``, a search's ``--time``): none, or above 0."""
    if time is not None and time <= 0:
        raise UserError(f"time must be a positive number of hours (got {time}).")


def _cli_value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(str(v) for v in value) + "]"
    return str(value)
