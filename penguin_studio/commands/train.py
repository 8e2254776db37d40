"""``penguin-studio train``: the wizard's training job, headless (for a GPU server).

Examples::

    penguin-studio train --data ds/data.yaml --mode scratch --model yolov8n.yaml --epochs 50
    penguin-studio train --data ds/data.yaml --mode freeze --weights yolo11n.pt
    penguin-studio train --data ds/data.yaml --mode hotstart --weights yolo11n.pt
    penguin-studio train --data ds/data.yaml --mode finetune      # from the last freeze run
    penguin-studio train --config run.yaml [--epochs 80]            # a saved TrainConfig
    penguin-studio train --resume ds/runs/freeze-yolo11n

Ctrl+C stops after the current batch and keeps the run resumable (twice: stop at once).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

#: flags that map one-to-one onto TrainConfig fields
FIELDS = ("mode", "model", "weights", "freeze", "epochs", "time", "imgsz", "batch", "cache",
          "device", "patience", "seed", "project", "name", "hyp", "optimizer", "lr0")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a detector (scratch, frozen backbone, fine-tune)",
                       description=__doc__.split("\n\n")[0],
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog=__doc__.split("\n\n", 1)[1])
    src = p.add_argument_group("what to run (one of)")
    src.add_argument("--data", metavar="D", help="data yaml (or its folder)")
    src.add_argument("--config", type=Path, metavar="RUN.yaml",
                     help="a saved training config (penguin_config.yaml); flags override it")
    src.add_argument("--resume", type=Path, metavar="RUN_DIR",
                     help="continue an interrupted run to its planned epochs")
    rec = p.add_argument_group("recipe")
    rec.add_argument("--mode", choices=("scratch", "freeze", "finetune", "hotstart"),
                     help="from scratch, feature extraction (frozen backbone), fine-tuning, "
                     "or hot start (pretrained weights, every layer, ultralytics' defaults)")
    rec.add_argument("--model", metavar="ARCH.yaml", help="architecture for scratch "
                     "(yolov8n.yaml, yolo11s.yaml, ...)")
    rec.add_argument("--weights", metavar="W", help="start weights: a .pt file or a named "
                     "model (yolo11n.pt); finetune defaults to the last freeze run's best.pt")
    rec.add_argument("--freeze", type=int, metavar="N", help="layers to freeze (freeze mode; "
                     "default: the backbone, 10 for YOLOv8, 11 for YOLO11/26)")
    rec.add_argument("--hyp", metavar="FILE", help="hyperparameter YAML (ultralytics cfg=)")
    rec.add_argument("--optimizer", help="SGD, AdamW, ... (finetune preset: SGD)")
    rec.add_argument("--lr0", type=float, help="initial learning rate (finetune preset: 0.001)")
    st = p.add_argument_group("settings")
    st.add_argument("--epochs", type=int, metavar="E")
    st.add_argument("--time", type=float, metavar="HOURS", help="time budget (overrides epochs)")
    st.add_argument("--imgsz", type=int, metavar="S")
    st.add_argument("--batch", type=int, metavar="B", help="-1 = automatic (GPU)")
    st.add_argument("--cache", choices=("none", "ram", "disk"))
    st.add_argument("--device", metavar="DEV", help="cpu, 0, 0,1 (several GPUs) ...")
    st.add_argument("--patience", type=int, metavar="N", help="stop after N epochs without gain")
    st.add_argument("--seed", type=int)
    st.add_argument("--project", metavar="DIR", help="runs folder (default: <dataset>/runs)")
    st.add_argument("--name", help="run name (default: <mode>-<model>, numbered)")
    p.add_argument("--verbose", "-v", action="store_true", help="print ultralytics' own log")
    p.add_argument("--print-config", action="store_true",
                   help="print the planned config and yolo command, then exit without training")


def build_config(args: argparse.Namespace):
    """The TrainConfig the flags describe (same defaults as the wizard)."""
    from penguin_studio.core.errors import UserError
    from penguin_studio.core.training.config import TrainConfig
    from penguin_studio.core.training.plan import default_weights

    given: dict[str, Any] = {k: getattr(args, k) for k in FIELDS if getattr(args, k) is not None}
    if args.config is not None:
        base = TrainConfig.load(args.config).to_dict()
        if args.data:
            base["data"] = args.data
        base.update(given)
        return TrainConfig.from_dict(base, where=args.config.name)
    if not args.data:
        raise UserError("Give --data (a data yaml), --config RUN.yaml or --resume RUN_DIR.")
    mode = given.pop("mode", None) or "scratch"
    if mode == "finetune" and "weights" not in given:
        given["weights"] = str(default_weights(args.data))
    return TrainConfig.for_mode(mode, args.data, **given)


def run(args: argparse.Namespace) -> int:
    from penguin_studio.core.errors import UserError
    from penguin_studio.core.training.job import run_training

    if args.resume is not None and (args.data or args.config):
        raise UserError("--resume continues a run as it was planned; leave out --data/--config.")
    printer = _Printer(verbose=args.verbose)
    if args.resume is not None:
        outcome = _supervised(lambda **kw: run_training(resume_dir=args.resume, **kw), printer)
    else:
        config = build_config(args)
        if args.print_config:
            from penguin_studio.core.training.plan import plan_run

            plan = plan_run(config, write=False)
            print(plan.to_yaml(), end="")
            print(plan.yolo_command())
            return 0
        outcome = _supervised(lambda **kw: run_training(config, **kw), printer)
    return _report(outcome)


def _supervised(start, printer: _Printer):
    """Run with Ctrl+C mapped to a graceful stop (a second Ctrl+C kills the child)."""
    holder: dict[str, Any] = {}

    def on_sigint(_signum, _frame) -> None:
        proc = holder.get("proc")
        if proc is None:
            raise KeyboardInterrupt
        if holder.get("stopping"):
            print("\nstopping now", file=sys.stderr)
            proc.kill()
            return
        holder["stopping"] = True
        print("\nstopping after this batch (Ctrl+C again to stop at once)…", file=sys.stderr)
        proc.stop()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        return start(on_event=printer, on_started=lambda p: holder.update(proc=p))
    finally:
        signal.signal(signal.SIGINT, previous)


def _report(outcome) -> int:
    from penguin_studio.core.errors import UserError

    run_dir = outcome.run_dir
    if outcome.status == "completed":
        print(f"Done. Best weights: {run_dir / 'weights' / 'best.pt'}")
        from penguin_studio.core.training import runs, verdict

        record = runs.load_run(run_dir)
        if verdict.learned_nothing(record.best):
            print(f"warning: {verdict.nothing_learned_message(record.best, record.config)}",
                  file=sys.stderr)
        return 0
    if outcome.status == "stopped":
        if outcome.resumable:
            print(f"Stopped. Continue with: penguin-studio train --resume {run_dir}")
        else:
            print("Stopped before the first checkpoint; nothing to resume.")
        return 130
    for line in outcome.log_tail[-8:]:
        print(f"  | {line}", file=sys.stderr)
    hint = f" (resumable: penguin-studio train --resume {run_dir})" if outcome.resumable else ""
    raise UserError(f"{outcome.message or 'training failed'}{hint}")


class _Printer:
    """Turns events into a few readable lines (a live line per batch on a terminal)."""

    def __init__(self, verbose: bool = False) -> None:
        from penguin_studio.core.training.events import ProgressTracker

        self.verbose = verbose
        self.tracker = ProgressTracker()
        self.tty = sys.stdout.isatty()
        self._live = False

    def __call__(self, event: dict) -> None:
        self.tracker.feed(event)
        handler = getattr(self, f"_on_{event['type']}", None)
        if handler is not None:
            handler(event)

    def _print(self, text: str, stream=None) -> None:
        if self._live:
            print(file=sys.stdout)
            self._live = False
        print(text, file=stream or sys.stdout, flush=True)

    def _on_setup(self, e: dict) -> None:
        verb = "Resuming" if e.get("resume") else "Training in"
        self._print(f"{verb} {e['run_dir']}")

    def _on_start(self, e: dict) -> None:
        frozen = f", {len(e['frozen'])} layers frozen" if e.get("frozen") else ""
        self._print(f"{e['images']} images, {e['batches']} batches per epoch, epochs "
                    f"{e['start_epoch'] + 1}-{e['epochs']} on {e['device']} "
                    f"({e['threads']} threads){frozen}")

    def _on_batch(self, e: dict) -> None:
        if not self.tty:
            return
        from penguin_studio.core.training.events import format_duration

        loss = " ".join(f"{k.split('_')[0]} {v:.3f}" for k, v in e["mean"].items())
        eta = format_duration(self.tracker.eta_seconds())
        print(f"\r  epoch {e['epoch'] + 1}/{e['epochs']} batch {e['batch']}/{e['batches']}  "
              f"{loss}  {self.tracker.ips:.1f} img/s  ETA {eta}   ", end="", flush=True)
        self._live = True

    def _on_epoch(self, e: dict) -> None:
        m = e["metrics"]
        loss = " ".join(f"{k.split('/')[1].split('_')[0]} {v:.3f}" for k, v in m.items()
                        if k.startswith("train/"))
        scores = "  ".join(f"{label} {m.get(key, 0.0) or 0.0:.3f}" for label, key in (
            ("P", "metrics/precision(B)"), ("R", "metrics/recall(B)"),
            ("mAP50", "metrics/mAP50(B)"), ("mAP50-95", "metrics/mAP50-95(B)")))
        self._print(f"epoch {e['epoch']}/{e['epochs']}  {loss}  {scores}")

    def _on_final(self, e: dict) -> None:
        m = e["metrics"]
        self._print(f"best.pt on val: mAP50 {m.get('metrics/mAP50(B)', 0):.3f}, "
                    f"mAP50-95 {m.get('metrics/mAP50-95(B)', 0):.3f}")

    def _on_log(self, e: dict) -> None:
        if self.verbose or e.get("level") in ("warning", "error", "critical"):
            self._print(str(e.get("message", "")), sys.stderr)
