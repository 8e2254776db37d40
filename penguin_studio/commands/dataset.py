"""``penguin-studio dataset ACTION``: inspect, import, export, split and edit classes headless.

Actions::

    dataset info DATA [--json]                      images, labels and instances per split/class
    dataset import-coco JSON [--images DIR] [--yaml Y] [--split S]
    dataset import-voc XML_DIR [--images DIR] [--yaml Y] [--split S]
    dataset import-zip ZIP DEST
    dataset export DATA --format yolo-zip|coco|voc --out PATH [--split S ...]
    dataset split DATA [--ratios 0.8 0.1 0.1] [--seed 0] [--no-stratify]
    dataset classes DATA add NAME | rename ID NAME | delete ID | merge SRC INTO | reorder IDS...
    dataset next DATA [--weights W] [--n N] [--labelled] [--json]   the images to label next

Reports are one line per fact; ``--json`` (info, imports, exports) prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dataset", help="inspect, import, export and split datasets",
                       description=__doc__.splitlines()[0])
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    info = acts.add_parser("info", help="counts per split and class")
    info.add_argument("data", type=Path)
    info.add_argument("--json", action="store_true")

    for fmt, what in (("coco", "a COCO JSON file"), ("voc", "a folder of Pascal VOC XMLs")):
        imp = acts.add_parser(f"import-{fmt}", help=f"convert {what} into YOLO labels")
        imp.add_argument("source", type=Path)
        imp.add_argument("--images", type=Path, help="folder the image file names start in")
        imp.add_argument("--yaml", type=Path, help="data yaml to create or extend")
        imp.add_argument("--split", default="train", choices=("train", "val", "test"))
        imp.add_argument("--overwrite", action="store_true",
                         help="replace label files that already exist")
        imp.add_argument("--json", action="store_true")

    iz = acts.add_parser("import-zip", help="extract an Ultralytics dataset zip")
    iz.add_argument("zip", type=Path)
    iz.add_argument("dest", type=Path)

    ex = acts.add_parser("export", help="write a dataset zip, COCO JSON or Pascal VOC")
    ex.add_argument("data", type=Path)
    ex.add_argument("--format", required=True, choices=("yolo-zip", "coco", "voc"))
    ex.add_argument("--out", type=Path, required=True)
    ex.add_argument("--split", action="append", choices=("train", "val", "test"))
    ex.add_argument("--json", action="store_true")

    sp = acts.add_parser("split", help="assign images to train/val/test (list files)")
    sp.add_argument("data", type=Path)
    sp.add_argument("--ratios", type=float, nargs=3, default=(0.8, 0.1, 0.1),
                    metavar=("TRAIN", "VAL", "TEST"))
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--no-stratify", action="store_true")

    nx = acts.add_parser("next", help="the images to label next, most informative first")
    nx.add_argument("data", type=Path)
    nx.add_argument("--weights", metavar="W",
                    help="model that scores them (default: the dataset's newest trained model; "
                         "none: an order by diversity only)")
    nx.add_argument("--n", type=int, default=20, metavar="N", help="how many (default 20; 0: all)")
    nx.add_argument("--labelled", action="store_true",
                    help="also labelled images whose labels the model disagrees with")
    nx.add_argument("--json", action="store_true")

    cl = acts.add_parser("classes", help="add, rename, delete, merge or reorder classes")
    cl.add_argument("data", type=Path)
    cl.add_argument("op", choices=("add", "rename", "delete", "merge", "reorder"))
    cl.add_argument("values", nargs="*")
    cl.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def run(args: argparse.Namespace) -> int:
    handler = {"info": _info, "import-coco": _import, "import-voc": _import,
               "import-zip": _import_zip, "export": _export, "split": _split,
               "classes": _classes, "next": _next}[args.action]
    return handler(args)


def _info(args: argparse.Namespace) -> int:
    from penguin_studio.core.dataset.index import build_index
    from penguin_studio.core.dataset.project import open_dataset

    ds = open_dataset(args.data)
    index = build_index(ds)
    stats = {k: vars(v) for k, v in index.split_stats().items()}
    per_class = {(ds.names[i] if i < ds.nc else f"id {i}"): n
                 for i, n in index.instances_per_class().items()}
    if args.json:
        print(json.dumps({"dataset": str(ds.yaml_path or ds.root), "classes": ds.names,
                          "splits": stats, "instances": per_class, "problems": ds.problems},
                         ensure_ascii=False))
        return 0
    print(f"Dataset: {ds.yaml_path or ds.root}")
    for split, s in stats.items():
        print(f"  {split}: {s['images']} images ({s['labelled']} labelled, {s['background']} "
              f"background, {s['unlabelled']} unlabelled, {s['errors']} unreadable labels), "
              f"{s['boxes']} boxes")
    print("  instances: " + (", ".join(f"{k} {v}" for k, v in per_class.items()) or "none"))
    for key, why in ds.problems.items():
        print(f"  note: {key}: {why}")
    return 0


def _next(args: argparse.Namespace) -> int:
    from penguin_studio.core.dataset.project import open_dataset
    from penguin_studio.core.errors import UserError
    from penguin_studio.core.labelling.queue import build_queue
    from penguin_studio.core.training.runs import newest_model

    if args.n < 0:
        raise UserError(f"--n must be 0 (all) or more, not {args.n}.")
    ds = open_dataset(args.data)
    weights = args.weights
    if weights:
        from penguin_studio.core.engine import check_trained_weights

        weights = check_trained_weights(weights)
    else:
        weights = newest_model(ds.yaml_path or ds.root, ds.root)
    result = build_queue(ds, weights, include_labelled=args.labelled)
    items = result.items[:args.n] if args.n else result.items
    if args.json:
        print(json.dumps({"dataset": str(ds.yaml_path or ds.root), "model": result.model,
                          "note": result.note, "queue": [
                              {"rank": i.rank + 1, "image": str(i.path), "score": i.score,
                               "uncertainty": i.uncertainty, "labelled": i.labelled}
                              for i in items]}, ensure_ascii=False))
        return 0
    how = f"scored by {Path(result.model).name}" if result.model else \
        "no model yet: ordered by diversity only"
    print(f"Label next ({how}; {len(result.items)} images):")
    for i in items:
        mark = "  (labelled)" if i.labelled else ""
        print(f"  {i.rank + 1:4d}  {i.score:.3f}  {i.path}{mark}")
    if result.note:
        print(f"note: {result.note}", file=sys.stderr)
    if not result.items and not args.labelled and ds.image_count:
        print("note: every image has a label file; --labelled lists the labelled images "
              "whose labels the model disagrees with.", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    if args.action == "import-coco":
        from penguin_studio.core.dataset.coco import import_coco as convert
    else:
        from penguin_studio.core.dataset.voc import import_voc as convert
    report = convert(args.source, images_dir=args.images, dataset_yaml=args.yaml,
                     split=args.split, overwrite=args.overwrite)
    _print_report(report, args.json, "Imported")
    return 0


def _import_zip(args: argparse.Namespace) -> int:
    from penguin_studio.core.dataset.yolozip import import_yolo_zip

    ds = import_yolo_zip(args.zip, args.dest)
    print(f"Extracted {ds.image_count} images; data yaml: {ds.yaml_path}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from penguin_studio.core.dataset.project import open_dataset

    ds = open_dataset(args.data)
    if args.format == "yolo-zip":
        from penguin_studio.core.dataset.yolozip import export_yolo_zip

        report = export_yolo_zip(ds, args.out, splits=args.split)
    elif args.format == "coco":
        from penguin_studio.core.dataset.coco import export_coco

        report = export_coco(ds, args.out, splits=args.split)
    else:
        from penguin_studio.core.dataset.voc import export_voc

        report = export_voc(ds, args.out, splits=args.split)
    _print_report(report, args.json, "Exported")
    return 0


def _print_report(report, as_json: bool, verb: str) -> None:
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    print(f"{verb} {report.summary()}")
    for skipped in report.skipped[:20]:
        print(f"  skipped ({skipped.reason}): {skipped.source} {skipped.detail}".rstrip())
    if len(report.skipped) > 20:
        print(f"  … and {len(report.skipped) - 20} more skipped")
    print(f"Output: {report.output}")


def _split(args: argparse.Namespace) -> int:
    from penguin_studio.core.dataset.project import open_dataset
    from penguin_studio.core.dataset.splits import original_yaml_path, split_dataset

    before = open_dataset(args.data)
    kept = original_yaml_path(before)
    had_copy = kept is not None and kept.exists()
    ds = split_dataset(before, tuple(args.ratios), args.seed, stratify=not args.no_stratify)
    counts = ", ".join(f"{k} {len(v)}" for k, v in ds.splits.items())
    print(f"Wrote split lists ({counts}); data yaml: {ds.yaml_path}")
    if kept is not None and kept.exists() and not had_copy:
        print(f"The data yaml as it was is kept in {kept}")
    return 0


def _classes(args: argparse.Namespace) -> int:
    from penguin_studio.core.dataset import classes
    from penguin_studio.core.dataset.project import open_dataset
    from penguin_studio.core.errors import UserError

    ds = open_dataset(args.data)
    v = args.values
    try:
        plan = {
            "add": lambda: classes.plan_add(ds, " ".join(v)),
            "rename": lambda: classes.plan_rename(ds, int(v[0]), " ".join(v[1:])),
            "delete": lambda: classes.plan_delete(ds, int(v[0])),
            "merge": lambda: classes.plan_merge(ds, int(v[0]), int(v[1])),
            "reorder": lambda: classes.plan_reorder(ds, [int(x) for x in v]),
        }[args.op]()
    except (IndexError, ValueError):
        raise UserError(f"'classes {args.op}' needs its values, e.g. 'rename 0 penguin', "
                        "'delete 2', 'merge 3 1', 'reorder 1 0 2'.") from None
    print(plan.summary())
    if not args.yes and not sys.stdin.isatty():
        raise UserError("Pass --yes to apply a class change without a terminal to confirm.")
    if not args.yes and input("Apply? [y/N] ").strip().lower() not in ("y", "yes"):
        print("Nothing changed.")
        return 1
    ds = classes.apply_plan(plan)
    print("Classes: " + ", ".join(f"{i} {n}" for i, n in enumerate(ds.names)))
    return 0
