"""``penguin-studio models``: list, download and import pretrained weights.

    penguin-studio models                    # what is on disk, what can be downloaded
    penguin-studio models download yolo11n.pt
    penguin-studio models import ~/Downloads/best.pt

Downloads happen only here (or in the app's model manager), never behind the user's back.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list, download or import pretrained weights",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("action", nargs="?", choices=("list", "download", "import"), default="list")
    p.add_argument("target", nargs="?", metavar="NAME|FILE",
                   help="model name to download (yolo11n.pt) or .pt file to import")


def run(args: argparse.Namespace) -> int:
    from penguin_studio.core.errors import UserError
    from penguin_studio.core.training import models

    if args.action == "list":
        _print_list(models.list_models())
        print("Segment Anything weights for the editor's Smart box (S):")
        for row in models.list_sam_models():
            state = f"on disk ({row.size / 1e6:.1f} MB)" if row.on_disk else "not downloaded"
            print(f"  {row.name:<16} {state}")
        return 0
    if not args.target:
        what = "model name" if args.action == "download" else ".pt file"
        raise UserError(f"'models {args.action}' needs a {what}.")
    if args.action == "download":
        path = models.download_model(args.target, _progress_context())
        print(f"\nSaved {path}")
        return 0
    if models.trust_warning_needed():
        print(f"Note: {models.TRUST_WARNING}", file=sys.stderr)
        models.acknowledge_trust_warning()
    path = models.import_weights(args.target)
    print(f"Imported {path}")
    return 0


def _print_list(rows) -> None:
    from penguin_studio.core import appdirs

    print(f"Weights folder: {appdirs.weights_dir()}")
    for row in rows:
        if row.on_disk:
            state = f"on disk ({row.size / 1e6:.1f} MB)"
        elif row.partial:
            state = f"partly downloaded ({row.size / 1e6:.1f} MB)"
        else:
            state = "not downloaded"
        kind = "" if row.named else "  (imported)"
        print(f"  {row.name:<16} {state}{kind}")


def _progress_context():
    from penguin_studio.core.jobs import JobContext

    def progress(done: int, total: int, message: str) -> None:
        pct = f"{100 * done / total:5.1f}%" if total else ""
        print(f"\r{message} {done / 1e6:.1f} MB {pct}   ", end="", file=sys.stderr, flush=True)

    return JobContext(progress=progress)
