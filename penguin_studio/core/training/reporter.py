"""Inside the training child: ultralytics callbacks that report events and honour Stop.

Stop is asked for between batches. ultralytics' own ``trainer.stop = True`` strips the
optimizer from ``last.pt`` (the run can then never be resumed), so Stop here raises
:class:`TrainingStopped` out of the callback instead, after making sure ``last.pt`` can
continue the run:

- at the end of an epoch (after its validation), ultralytics has just saved a complete,
  resumable ``last.pt``;
- in the middle of an epoch, the current weights, EMA and optimizer state are saved as if
  the *previous* epoch had just ended, so resuming re-runs the interrupted epoch from its
  first batch (with the weights reached so far) and ``results.csv`` continues with no gap
  and no repeated epoch. For a stop inside the very first epoch that checkpoint says
  "epoch -1", which ultralytics refuses to resume; :meth:`Reporter.allow_resume_from_start`
  lets the resumed trainer start again at epoch 0.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from penguin_studio.core import engine
from penguin_studio.core.training.events import Event

Emit = Callable[[Event], None]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_LAYER = re.compile(r"^model\.(\d+)\.")


class TrainingStopped(Exception):
    """Raised from a callback when the user pressed Stop."""


def _floats(values: Any, names: tuple[str, ...] | list[str]) -> dict[str, float]:
    """Loss items as plain floats (a dict of tensors in 8.4, a tensor before)."""
    if values is None:
        return {}
    if isinstance(values, dict):
        return {str(k): float(v) for k, v in values.items()}
    try:
        return {str(n): float(v) for n, v in zip(names, values.tolist(), strict=False)}
    except AttributeError:
        return {}


class EventLogHandler(logging.Handler):
    """Forwards ultralytics' log lines as ``log`` events (colour codes removed)."""

    def __init__(self, emit: Emit) -> None:
        super().__init__(logging.INFO)
        self._emit_event = emit

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = _ANSI.sub("", record.getMessage()).rstrip()
        except Exception:  # a log call with bad arguments must not end training
            return
        for line in message.splitlines() or [""]:
            if line.strip():
                self._emit_event({"type": "log", "level": record.levelname.lower(),
                                  "message": line})


class Reporter:
    """The callbacks of one training process; ``stop_requested`` is set by the listener."""

    def __init__(self, emit: Emit, stop_requested: threading.Event) -> None:
        self.emit = emit
        self.stop_requested = stop_requested
        self._batch = 0
        self._t_batch = 0.0
        self._t_start = 0.0
        self._final = False

    def attach(self, model: Any) -> None:
        for name in ("on_pretrain_routine_start", "on_train_start", "on_train_epoch_start",
                     "on_train_batch_end", "on_fit_epoch_end"):
            model.add_callback(name, getattr(self, name))

    # ----- set-up -------------------------------------------------------------------------
    def on_pretrain_routine_start(self, trainer: Any) -> None:
        self.allow_resume_from_start(trainer)
        original_final_eval = trainer.final_eval

        def final_eval() -> None:
            self._final = True
            original_final_eval()

        trainer.final_eval = final_eval

    @staticmethod
    def allow_resume_from_start(trainer: Any) -> None:
        """Let a checkpoint saved during the first epoch ("epoch -1") resume at epoch 0."""
        original = trainer.resume_training

        def resume_training(ckpt: Any) -> None:
            if ckpt is not None and trainer.resume and ckpt.get("epoch", -1) < 0:
                original({**ckpt, "epoch": 0})
                trainer.start_epoch = 0
            else:
                original(ckpt)

        trainer.resume_training = resume_training

    def on_train_start(self, trainer: Any) -> None:
        engine.use_all_cores()
        import torch

        self._t_start = time.monotonic()
        frozen, trainable, total = _freeze_summary(trainer.model)
        self.emit({
            "type": "start", "epochs": int(trainer.epochs), "start_epoch": int(trainer.start_epoch),
            "batches": len(trainer.train_loader), "batch_size": int(trainer.batch_size),
            "images": len(trainer.train_loader.dataset), "imgsz": int(trainer.args.imgsz),
            "threads": torch.get_num_threads(), "device": str(trainer.device),
            "frozen": frozen, "trainable": trainable, "total": total,
            "run_dir": str(trainer.save_dir),
        })
        if self.stop_requested.is_set():
            raise TrainingStopped()

    # ----- per batch ----------------------------------------------------------------------
    def on_train_epoch_start(self, trainer: Any) -> None:
        self._batch = 0
        self._t_batch = time.monotonic()

    def on_train_batch_end(self, trainer: Any) -> None:
        self._batch += 1
        now = time.monotonic()
        nb = len(trainer.train_loader)
        n_images = len(trainer.train_loader.dataset)
        size = max(1, min(trainer.batch_size, n_images - (self._batch - 1) * trainer.batch_size))
        dt = now - self._t_batch
        self._t_batch = now
        names = getattr(trainer, "loss_names", ())
        self.emit({
            "type": "batch", "epoch": int(trainer.epoch), "batch": self._batch, "batches": nb,
            "epochs": int(trainer.epochs), "step": int(trainer.epoch) * nb + self._batch,
            "loss": _floats(trainer.loss_items, names), "mean": _floats(trainer.tloss, names),
            "lr": float(trainer.optimizer.param_groups[0]["lr"]),
            "ips": size / dt if dt > 0 else None, "elapsed": now - self._t_start,
        })
        if self.stop_requested.is_set() and self._batch < nb:
            save_resumable_mid_epoch(trainer)
            raise TrainingStopped()

    # ----- per epoch ----------------------------------------------------------------------
    def on_fit_epoch_end(self, trainer: Any) -> None:
        metrics = {str(k): float(v) for k, v in (trainer.metrics or {}).items()}
        if self._final:
            self.emit({"type": "final", "metrics": metrics})
            return
        lr = {str(k): float(v) for k, v in (getattr(trainer, "lr", None) or {}).items()}
        losses = trainer.label_loss_items(trainer.tloss) if trainer.tloss is not None else {}
        self.emit({
            "type": "epoch", "epoch": int(trainer.epoch) + 1, "epochs": int(trainer.epochs),
            "metrics": {**losses, **metrics, **lr},
            "fitness": _maybe_float(trainer.fitness), "best_fitness": _maybe_float(
                trainer.best_fitness), "elapsed": time.monotonic() - self._t_start,
        })
        last_epoch = trainer.epoch + 1 >= trainer.epochs or trainer.stop
        if self.stop_requested.is_set() and not last_epoch:
            raise TrainingStopped()  # last.pt of this epoch was just saved, optimizer included


def _maybe_float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _freeze_summary(model: Any) -> tuple[list[int], int, int]:
    """Indices of fully frozen layers, and trainable/total parameter counts."""
    layers: dict[int, bool] = {}
    trainable = total = 0
    for name, param in model.named_parameters():
        total += param.numel()
        if param.requires_grad:
            trainable += param.numel()
        match = _LAYER.match(name)
        if match and ".dfl" not in name:  # ultralytics always freezes the DFL constant
            index = int(match.group(1))
            layers[index] = layers.get(index, False) or param.requires_grad
    frozen = sorted(i for i, any_trainable in layers.items() if not any_trainable)
    return frozen, trainable, total


def save_resumable_mid_epoch(trainer: Any) -> None:
    """Save last.pt (optimizer kept) as if the previous epoch had just ended.

    ``trainer.save_model`` would also overwrite best.pt (its fitness has not changed) and
    the periodic epoch file; both are pointed away for this one call.
    """
    epoch, best, period = trainer.epoch, trainer.best, trainer.save_period
    scratch = Path(trainer.wdir) / ".stop-unused.pt"
    trainer.epoch, trainer.best, trainer.save_period = epoch - 1, scratch, 0
    try:
        trainer.save_model()
    finally:
        trainer.epoch, trainer.best, trainer.save_period = epoch, best, period
        scratch.unlink(missing_ok=True)
