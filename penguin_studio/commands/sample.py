"""``penguin-studio sample DIR``: write the synthetic penguin project."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sample", help="write the synthetic penguin sample project into DIR")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("--images", type=int, default=None, metavar="N",
                   help="number of images over all splits (default: enough to learn)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--video", action="store_true",
                   help="write a video of walking penguins instead (DIR/walk.mp4), with its "
                        "ground-truth tracks (MOTChallenge) and true counts beside it")
    p.add_argument("--force", action="store_true",
                   help="write into a non-empty DIR (replaces only the sample's own files)")


def run(args: argparse.Namespace) -> int:
    from penguin_studio.core import sample
    from penguin_studio.core.errors import UserError

    if args.video:
        return _walk_video(args)
    count = sample.DEFAULT_IMAGES if args.images is None else args.images
    if count < 3:
        raise UserError("--images must be at least 3 (one image per split).")
    try:
        report = sample.generate_sample(args.dir, images=count, seed=args.seed, force=args.force)
    except (sample.SampleDirNotEmpty, ValueError) as exc:
        raise UserError(str(exc)) from exc
    except NotADirectoryError as exc:
        if not exc.strerror:  # DIR itself is a file: the sample's own words
            raise UserError(str(exc)) from exc
        raise UserError(f"Cannot write the sample into {args.dir}: a file stands where one "
                        f"of its folders should be. Pick a new folder.") from exc
    except OSError as exc:
        raise UserError(f"Cannot write the sample into {args.dir}: {exc.strerror}") from exc
    splits = ", ".join(f"{k} {v}" for k, v in report.images.items())
    inst = ", ".join(f"{k} {v}" for k, v in report.instances.items())
    print(f"Wrote {sum(report.images.values())} images ({splits}); instances: {inst}.")
    print(f"Data yaml: {report.data_yaml}")
    sys.stdout.flush()
    return 0


def _walk_video(args: argparse.Namespace) -> int:
    from penguin_studio.core.errors import UserError
    from penguin_studio.core.sample_video import write_walk_video

    target = args.dir / "walk.mp4"
    if target.exists() and not args.force:
        raise UserError(f"{target} exists: pass --force to replace the sample video.")
    try:
        truth = write_walk_video(target, seed=args.seed)
    except OSError as exc:
        raise UserError(f"Cannot write the video into {args.dir}: {exc.strerror}") from exc
    unique = ", ".join(f"{n} {k}" for k, n in truth.unique.items())
    line = ",".join(f"{v:g}" for v in truth.line)
    print(f"Wrote {truth.video} ({truth.frames} frames): {unique}; line {line} crossed "
          f"{truth.crossings['in']} in, {truth.crossings['out']} out.")
    print(f"Ground truth: {truth.gt} (MOTChallenge), {truth.truth}")
    return 0
