"""``penguin-studio export``: export a checkpoint to ONNX and check it with onnxruntime.

The ``.onnx`` lands beside the weights. The check runs the ``.pt`` and the ``.onnx`` on the
same image and exits 1 when their boxes differ beyond tolerance.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a model to ONNX (checked with onnxruntime)")
    p.add_argument("--weights", required=True, metavar="W", help="a .pt checkpoint")
    p.add_argument("--format", default="onnx", choices=("onnx",), help="export format")
    p.add_argument("--imgsz", type=int, default=None, metavar="S",
                   help="input size of the exported model (default: the training size)")
    p.add_argument("--check-image", type=Path, default=None, metavar="IMG",
                   help="image for the onnxruntime check (default: one from the model's "
                        "dataset, else a bundled sample)")


def run(args: argparse.Namespace) -> int:
    from penguin_studio.commands.val import check_model_flags, ultralytics_output_to_stderr
    from penguin_studio.core.engine import check_trained_weights
    from penguin_studio.core.inference.export import export_model

    check_model_flags(args)
    check_trained_weights(args.weights)
    with ultralytics_output_to_stderr():
        report = export_model(args.weights, args.format, imgsz=args.imgsz,
                              check_image=args.check_image)
    print(f"Exported {report.exported} (input {report.imgsz}x{report.imgsz})")
    print(report.check.summary())
    if not report.check.passed:
        print(f"error: the exported model does not reproduce {Path(report.weights).name}.",
              file=sys.stderr)
        return 1
    return 0
