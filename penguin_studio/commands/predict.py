"""``penguin-studio predict``: run a model on an image, a folder or a video.

The model runs once per image (candidates cached at conf 0.001), then the boxes at
``--conf``/``--iou`` are printed, saved as annotated images (``--save DIR``) and/or written
as YOLO labels (``--labels DIR``). ``--json`` prints one JSON document on stdout with an
entry per image (or video frame). Unreadable images in a folder are skipped with a warning.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="detect objects in an image, a folder or a video")
    p.add_argument("--weights", required=True, metavar="W", help="a .pt checkpoint")
    p.add_argument("--source", required=True, metavar="S",
                   help="an image, a folder of images or a video file")
    p.add_argument("--conf", type=float, default=0.25, metavar="C",
                   help="confidence threshold (default 0.25)")
    p.add_argument("--iou", type=float, default=0.7, metavar="I",
                   help="IoU threshold of non-maximum suppression (default 0.7)")
    p.add_argument("--imgsz", type=int, default=None, metavar="S",
                   help="image size (default: the size the model was trained at)")
    p.add_argument("--augment", action="store_true",
                   help="test-time augmentation (flips and scales; slower)")
    p.add_argument("--save", type=Path, default=None, metavar="DIR",
                   help="write annotated images (or an annotated video) into DIR")
    p.add_argument("--labels", type=Path, default=None, metavar="DIR",
                   help="write the detections as YOLO label files into DIR")
    p.add_argument("--backend", default="torch",
                   choices=("auto", "torch", "openvino", "onnxruntime"),
                   help="what runs the model (default torch; auto: the fastest measured here; "
                        "openvino/onnxruntime export it once into the cache folder)")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def run(args: argparse.Namespace) -> int:
    from penguin_studio.commands.val import check_model_flags, ultralytics_output_to_stderr
    from penguin_studio.core.engine import check_trained_weights
    from penguin_studio.core.inference import outputs, predict

    check_model_flags(args)
    check_trained_weights(args.weights)
    with ultralytics_output_to_stderr():  # stdout: only our own table or JSON
        preds = predict.predict_source(args.weights, args.source, imgsz=args.imgsz,
                                       augment=args.augment, backend=args.backend)
    if preds.backend_note:
        print(f"warning: {preds.backend_note}", file=sys.stderr)
    for skipped in preds.skipped:
        print(f"warning: skipped {skipped.path} ({skipped.reason})", file=sys.stderr)
    if args.save is not None:
        written = outputs.save_annotated(preds, args.save, args.conf, args.iou)
        print(f"Saved {len(written)} annotated file(s) in {args.save}", file=sys.stderr)
    if args.labels is not None:
        written = outputs.export_yolo_labels(preds, args.labels, args.conf, args.iou)
        print(f"Wrote {len(written)} label file(s) in {args.labels}", file=sys.stderr)
    doc = predict.predictions_to_json(preds, args.conf, args.iou)
    if args.json:
        print(json.dumps(doc, indent=1))
    else:
        print_summary(doc)
    return 0


def print_summary(doc: dict) -> None:
    for entry in doc["images"]:
        counts: dict[str, int] = {}
        for box in entry["boxes"]:
            counts[box["class_name"]] = counts.get(box["class_name"], 0) + 1
        what = ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) or "nothing"
        where = Path(entry["image"]).name
        if "frame" in entry:
            where += f" frame {entry['frame']}"
        print(f"{where}: {what} ({entry['inference_ms']:.1f} ms)")
