"""``penguin-studio tune``: search the training hyperparameters with ultralytics' tuner.

Each iteration trains a short run (--epochs, default 5) with hyperparameters mutated from
the best so far, and is scored on the validation split. The best values land in
``<runs>/tune-<mode>/best_hyp.yaml``, ready for ``train --hyp`` or the wizard.

Examples::

    penguin-studio tune --data ds/data.yaml --weights yolo11n.pt --mode freeze --iterations 20
    penguin-studio tune --data ds/data.yaml --mode finetune --time 2        # a 2-hour budget
    penguin-studio tune --data ds/data.yaml --model yolov8n.yaml --space my_space.yaml
    penguin-studio tune --data ds/data.yaml --weights yolo11n.pt --ray --gpu-per-trial 1
    penguin-studio tune --data ds/data.yaml --weights yolo11n.pt --ray --ray-address ray://head:10001

A search-space file holds ``name: [min, max]`` lines (``lr0: [0.0001, 0.01]``). Ctrl+C stops
after keeping every finished iteration and the best so far.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

TRAIN_FIELDS = ("epochs", "imgsz", "batch", "cache", "device", "seed", "project", "name", "hyp")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tune", help="search the training hyperparameters (ultralytics' tuner, "
                       "or Ray Tune)", description=__doc__.split("\n\n")[0],
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--data", metavar="D", required=True, help="data yaml (with a val split)")
    p.add_argument("--weights", metavar="W", help="start weights (.pt): freeze, finetune, "
                   "hotstart; finetune defaults to the last freeze run's best.pt")
    p.add_argument("--model", metavar="M", help="architecture YAML for --mode scratch")
    p.add_argument("--mode", choices=("scratch", "freeze", "finetune", "hotstart"),
                   help="the recipe tuned (default: freeze with --weights, else scratch); "
                   "each has its own small search space")
    p.add_argument("--iterations", type=int, default=10, metavar="N",
                   help="trainings to run (default 10)")
    p.add_argument("--time", type=float, metavar="HOURS",
                   help="time budget: no iteration starts once it would overrun")
    p.add_argument("--space", type=Path, metavar="FILE",
                   help="search space YAML (name: [min, max]) instead of the recipe's")
    p.add_argument("--ray", action="store_true", help="run the search with Ray Tune "
                   "(pip install 'penguin-studio[cluster]')")
    p.add_argument("--ray-address", metavar="ADDR", help="an existing Ray cluster "
                   "(ray://host:10001 or host:6379); default: a local one")
    p.add_argument("--gpu-per-trial", type=int, metavar="N", help="GPUs each Ray trial uses")
    st = p.add_argument_group("each iteration's training")
    st.add_argument("--epochs", type=int, default=5, metavar="E", help="default 5")
    st.add_argument("--imgsz", type=int, metavar="S")
    st.add_argument("--batch", type=int, metavar="B")
    st.add_argument("--cache", choices=("none", "ram", "disk"))
    st.add_argument("--device", metavar="DEV")
    st.add_argument("--seed", type=int)
    st.add_argument("--hyp", metavar="FILE", help="fixed hyperparameters (ultralytics cfg=)")
    st.add_argument("--project", metavar="DIR", help="runs folder (default: <dataset>/runs)")
    st.add_argument("--name", help="search folder name (default: tune-<mode>, numbered)")
    p.add_argument("--verbose", "-v", action="store_true", help="print ultralytics' own log")


def build_config(args: argparse.Namespace):
    """The TuneConfig the flags describe."""
    from penguin_studio.core.training.config import TrainConfig
    from penguin_studio.core.training.plan import default_weights
    from penguin_studio.core.training.tuning import TuneConfig, load_space_file

    space = load_space_file(args.space) if args.space else None  # refused before anything
    mode = args.mode or ("freeze" if args.weights else "scratch")
    given: dict[str, Any] = {k: getattr(args, k) for k in TRAIN_FIELDS
                             if getattr(args, k) is not None}
    if args.model:
        given["model"] = args.model
    if args.weights:
        given["weights"] = args.weights
    elif mode == "finetune":
        given["weights"] = str(default_weights(args.data))
    train = TrainConfig.for_mode(mode, args.data, **given)
    return TuneConfig(train=train, iterations=args.iterations, time=args.time,
                      space={k: list(v) for k, v in space.items()} if space else None,
                      ray=args.ray, ray_address=args.ray_address,
                      gpu_per_trial=args.gpu_per_trial)


def run(args: argparse.Namespace) -> int:
    from penguin_studio.core.training.tune_job import run_tuning

    config = build_config(args)
    printer = _Printer(args.verbose)
    printer.mode = config.mode
    holder: dict[str, Any] = {}

    def on_sigint(_signum, _frame) -> None:
        proc = holder.get("proc")
        if proc is None:
            raise KeyboardInterrupt
        print("\nstopping: the finished iterations and the best so far are kept…",
              file=sys.stderr)
        proc.stop()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        outcome = run_tuning(config, on_event=printer,
                             on_started=lambda p: holder.update(proc=p))
    finally:
        signal.signal(signal.SIGINT, previous)
    proc = holder.get("proc")
    return _report(outcome, printer, bool(proc and proc.user_error))


def _report(outcome, printer: _Printer, user_error: bool = False) -> int:
    from penguin_studio.core.errors import UserError
    from penguin_studio.core.training.tuning import best_hyp_diff

    if outcome.status == "failed":
        for line in [] if user_error else outcome.log_tail[-8:]:
            print(f"  | {line}", file=sys.stderr)
        raise UserError(outcome.message or "tuning failed")
    best = printer.best_hyp
    if best is None:
        print("No iteration finished: nothing to keep.")
        return 130 if outcome.status == "stopped" else 1
    print(f"{'Stopped' if outcome.status == 'stopped' else 'Done'}: "
          f"{printer.iterations_done} iterations, best fitness {printer.best_fitness:.4f}")
    print("Changed from ultralytics' defaults:")
    for key, default, value in best_hyp_diff(best):
        print(f"  {key:<16} {default!s:>10} -> {value}")
    print(f"Best hyperparameters: {best}")
    print(f"Train with them: penguin-studio train --data ... --mode {printer.mode} --hyp {best}")
    return 130 if outcome.status == "stopped" else 0


class _Printer:
    """One line per iteration (and per epoch of the running one on a terminal)."""

    def __init__(self, verbose: bool = False) -> None:
        self.verbose = verbose
        self.tty = sys.stdout.isatty()
        self.best_hyp: str | None = None
        self.best_fitness = 0.0
        self.iterations_done = 0
        self.mode: str | None = None

    def __call__(self, e: dict) -> None:
        kind = e["type"]
        if kind == "setup":
            print(f"Tuning in {e['run_dir']}", flush=True)
        elif kind == "tune_start":
            space = ", ".join(f"{k} {v[0]:g}-{v[1]:g}" for k, v in e["space"].items())
            how = "Ray Tune" if e.get("ray") else "ultralytics' genetic tuner"
            print(f"{e['iterations']} iterations with {how}, optimizer {e['optimizer']}; "
                  f"searching {space}", flush=True)
        elif kind == "iteration_start" and self.tty:
            print(f"  iteration {e['iteration']}/{e['iterations']} training…", flush=True)
        elif kind == "iteration":
            print(f"iteration {e['iteration']}/{e['iterations']}  fitness {e['fitness']:.4f}  "
                  f"(best {e['best_fitness']:.4f} at {e['best_iteration']})", flush=True)
        elif kind in ("done", "stopped"):
            self.best_hyp = e.get("best_hyp")
            self.best_fitness = float(e.get("best_fitness") or 0.0)
            self.iterations_done = int(e.get("iterations_done") or 0)
            if e.get("reason") == "time budget spent":
                print("Time budget spent: no further iteration started.")
        elif kind == "log" and (self.verbose or e.get("level") in ("error", "critical")):
            print(str(e.get("message", "")), file=sys.stderr)
