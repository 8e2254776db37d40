"""``penguin-studio val``: evaluate a checkpoint on a split with ultralytics' own figures.

``--json`` prints one JSON document on stdout (overall and per-class metrics, plus the
confusion matrix at ``--conf``); everything ultralytics logs goes to stderr then.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from collections.abc import Iterator


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("val", help="evaluate a model on a dataset split (mAP, per class)")
    p.add_argument("--weights", required=True, metavar="W", help="a .pt checkpoint")
    p.add_argument("--data", required=True, metavar="D",
                   help="a data yaml or a dataset folder holding one")
    p.add_argument("--split", default="val", choices=("train", "val", "test"),
                   help="the split to evaluate (default val)")
    p.add_argument("--imgsz", type=int, default=None, metavar="S",
                   help="image size (default: the size the model was trained at)")
    p.add_argument("--batch", type=int, default=16, metavar="N", help="batch size (default 16)")
    p.add_argument("--conf", type=float, default=0.25, metavar="C",
                   help="confidence for the confusion matrix and error counts (default 0.25)")
    p.add_argument("--iou", type=float, default=0.45, metavar="I",
                   help="IoU to match a box to the ground truth (default 0.45)")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def run(args: argparse.Namespace) -> int:
    from penguin_studio.core.engine import check_trained_weights
    from penguin_studio.core.errors import UserError
    from penguin_studio.core.evaluation import evaluate

    check_model_flags(args)
    if args.batch < 1:
        raise UserError("--batch must be at least 1.")
    check_trained_weights(args.weights)
    with ultralytics_output_to_stderr():  # stdout: only our own table or JSON
        result = evaluate(args.weights, args.data, split=args.split, imgsz=args.imgsz,
                          batch=args.batch)
    if args.json:
        doc = result.to_json()
        doc["confusion_matrix"] = {
            "conf": args.conf, "iou": args.iou,
            "labels": [result.class_name(c) for c in range(result.nc)] + ["background"],
            "rows": "predicted", "columns": "true",
            "matrix": result.confusion(args.conf, args.iou).astype(int).tolist(),
        }
        print(json.dumps(doc, indent=1))
        return 0
    print_table(result, args.conf, args.iou)
    return 0


def check_fraction(flag: str, value: float) -> None:
    from penguin_studio.core.errors import UserError

    if not 0.0 <= value <= 1.0:
        raise UserError(f"{flag} must be between 0 and 1, not {value}.")


def check_model_flags(args: argparse.Namespace) -> None:
    """The flags every model command shares, checked one way: ``--conf`` and ``--iou``
    between 0 and 1 (where the command has them), ``--imgsz`` at least 32 pixels."""
    from penguin_studio.core.errors import UserError

    for name in ("conf", "iou"):
        if hasattr(args, name):
            check_fraction(f"--{name}", getattr(args, name))
    if args.imgsz is not None and args.imgsz < 32:
        raise UserError("--imgsz must be at least 32 pixels.")


def print_table(result, conf: float, iou: float) -> None:
    def fmt(v: float | None) -> str:
        return "      -" if v is None else f"{v:7.3f}"

    print(f"{result.weights.name} on {result.split} ({len(result.images)} images, "
          f"imgsz {result.imgsz})")
    print(f"{'class':>16} {'images':>7} {'inst.':>7} {'P':>7} {'R':>7} {'mAP50':>7} "
          f"{'mAP50-95':>8}")
    for row in [result.overall, *result.classes]:
        print(f"{row.name[:16]:>16} {row.images:7d} {row.instances:7d} {fmt(row.precision)} "
              f"{fmt(row.recall)} {fmt(row.map50)}  {fmt(row.map50_95)}")
    worst = [r for r in result.image_rows(conf, iou) if r.errors.errors][:5]
    if worst:
        print(f"\nImages with the most errors at conf {conf}, IoU {iou}:")
        for r in worst:
            e = r.errors
            print(f"  {r.path.name}: {e.tp} TP, {e.fp} FP, {e.fn} FN")
    if result.warning:
        print(f"\nwarning: {result.warning}", file=sys.stderr)


@contextlib.contextmanager
def ultralytics_output_to_stderr(active: bool = True) -> Iterator[None]:
    """Send ultralytics' console output (its logger and progress bars) to stderr.

    Its logger holds the ``sys.stdout`` of import time, so redirecting ``sys.stdout`` alone
    is not enough: the handlers' streams are swapped too, and restored afterwards.
    """
    if not active:
        yield
        return
    from penguin_studio.core import engine

    engine.ultralytics_module()
    handlers = [h for h in logging.getLogger("ultralytics").handlers
                if isinstance(h, logging.StreamHandler)]
    previous = [h.stream for h in handlers]
    for handler in handlers:
        handler.setStream(sys.stderr)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)
