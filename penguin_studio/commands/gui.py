"""``penguin-studio [PATH] [--screenshot OUT.png] [--panel NAME]``: the desktop app."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PANELS = ("dataset", "train", "evaluate", "detect", "live", "editor")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the desktop app (the default)")
    p.add_argument("path", nargs="?", metavar="PATH",
                   help="a data yaml, a dataset folder or a folder of images to open")
    p.add_argument("--screenshot", metavar="OUT.png", type=Path,
                   help="render the window offscreen once PATH has loaded, save it, exit")
    p.add_argument("--panel", choices=PANELS, default=None,
                   help="the panel to show first (with --screenshot: the one rendered; "
                   "'editor' opens the first image in the annotation editor)")
    p.add_argument("--size", default="1280x800", metavar="WxH",
                   help="window size for --screenshot (default 1280x800)")


def run(args: argparse.Namespace) -> int:
    if args.path is not None and not Path(args.path).expanduser().exists():
        print(f"error: {args.path} does not exist.", file=sys.stderr)
        return 2
    if args.screenshot is not None:
        try:
            width, height = (int(v) for v in str(args.size).lower().split("x"))
        except ValueError:
            print(f"error: --size must look like 1280x800, not {args.size}", file=sys.stderr)
            return 2
        from penguin_studio.ui.app import take_screenshot

        return take_screenshot(args.path, args.screenshot, args.panel, (width, height))
    from penguin_studio.ui.app import run_app

    return run_app(args.path, "dataset" if args.panel == "editor" else args.panel)
