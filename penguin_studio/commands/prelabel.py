"""``penguin-studio prelabel DATA --weights W``: propose boxes for images to review in the editor.

Writes proposals exactly as the Dataset panel's Pre-label button does: one JSON file per
image under the dataset's ``.penguin-studio/proposals/``, every box "unreviewed" until it is
accepted, adjusted or rejected in the editor. Label files are never written. By default (and
with ``--only-unlabelled``) only images without a label file get proposals; ``--all-images``
also proposes on labelled ones. Images that already have proposals keep them unless
``--overwrite``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prelabel", help="propose boxes (to review in the editor) with a model",
                       description=__doc__.splitlines()[0])
    p.add_argument("data", type=Path, metavar="DATA", help="data yaml or dataset folder")
    p.add_argument("--weights", required=True, metavar="W", help="a trained .pt model")
    p.add_argument("--conf", type=float, default=0.25, metavar="C",
                   help="lowest confidence proposed (default 0.25)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--only-unlabelled", action="store_true",
                       help="only images without a label file (the default)")
    which.add_argument("--all-images", action="store_true",
                       help="labelled images too (their labels stay as they are)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace proposals an image already has")


def run(args: argparse.Namespace) -> int:
    from penguin_studio.core.dataset.project import open_dataset
    from penguin_studio.core.engine import check_trained_weights
    from penguin_studio.core.errors import UserError
    from penguin_studio.core.inference.prelabel import prelabel
    from penguin_studio.core.jobs import JobContext

    if not 0.0 < args.conf < 1.0:
        raise UserError(f"--conf must be between 0 and 1, both left out (not {args.conf}): "
                        f"at 0 every faint guess would be proposed; try 0.25.")
    weights = check_trained_weights(args.weights)
    dataset = open_dataset(args.data)
    images = dataset.unique_images() if args.all_images else None
    report = prelabel(dataset, weights, args.conf, JobContext(progress=_printer()),
                      images=images, overwrite=args.overwrite)
    print(report.summary())
    return 0


def _printer():
    step = {"last": -1}

    def show(done: int, total: int, _message: str) -> None:
        if total and done * 10 // total != step["last"]:
            step["last"] = done * 10 // total
            print(f"  {done}/{total}", file=sys.stderr)

    return show
