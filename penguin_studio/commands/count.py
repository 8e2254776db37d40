"""``penguin-studio count``: how many, per image of a folder, or seen and crossing on video.

A folder (or one image) gets a census: boxes per class on every image at ``--conf``/``--iou``,
totals and the mean per image, ordered by EXIF capture time when the photos have one;
``--csv`` writes it. A video file or a camera (an index such as ``0``, ``/dev/video0`` or a
stream URL) is tracked (``--track``, ByteTrack unless BoT-SORT is asked for): unique animals
per class (tracks seen at least ``--min-frames`` frames) and, with ``--line X1,Y1,X2,Y2``,
crossings in and out. ``--csv`` then writes the summary per class and ``--tracks`` every
track's boxes (CSV, or MOTChallenge text when the name ends in ``.txt``). A camera runs
until Ctrl+C or until it drops; the counts so far are printed and written either way.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    trackers = ("bytetrack", "botsort")  # tracking.TRACKERS, not imported: --help stays instant

    p = sub.add_parser("count", help="count objects: a census of a folder, or tracking with "
                                     "unique counts and line crossings on a video or camera")
    p.add_argument("--weights", required=True, metavar="W", help="a .pt checkpoint")
    p.add_argument("--source", required=True, metavar="S",
                   help="a folder of images, an image, a video file, or a camera "
                        "(0, /dev/video0, rtsp://…)")
    p.add_argument("--conf", type=float, default=0.25, metavar="C",
                   help="confidence threshold (default 0.25)")
    p.add_argument("--iou", type=float, default=0.7, metavar="I",
                   help="IoU threshold of non-maximum suppression (default 0.7)")
    p.add_argument("--track", choices=trackers, default=None,
                   help="tracker for videos and cameras (default bytetrack); not for photos")
    p.add_argument("--line", default=None, metavar="X1,Y1,X2,Y2",
                   help="counting line in pixels; 'in' is left to right for a line drawn "
                        "top to bottom")
    p.add_argument("--min-frames", type=int, default=None, metavar="N",
                   help="frames a track must last to count (default 5)")
    p.add_argument("--imgsz", type=int, default=None, metavar="S",
                   help="image size (default: the size the model was trained at)")
    p.add_argument("--csv", type=Path, default=None, metavar="OUT",
                   help="write the census (photos) or the per-class summary (video) as CSV")
    p.add_argument("--tracks", type=Path, default=None, metavar="OUT",
                   help="write every track's boxes: CSV, or MOTChallenge text for .txt")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def run(args: argparse.Namespace) -> int:
    from penguin_studio.commands.val import check_model_flags
    from penguin_studio.core.engine import check_trained_weights
    from penguin_studio.core.errors import UserError
    from penguin_studio.core.inference.predict import source_kind
    from penguin_studio.core.inference.tracking import CountingLine

    check_model_flags(args)
    if args.min_frames is None:
        from penguin_studio.core.inference.tracking import DEFAULT_MIN_FRAMES

        args.min_frames = DEFAULT_MIN_FRAMES
    if args.min_frames < 1:
        raise UserError("--min-frames must be 1 or more.")
    line = CountingLine.parse(args.line) if args.line else None
    _check_outputs(args)
    check_trained_weights(args.weights)
    kind = _kind(args.source, source_kind)
    if kind in ("folder", "image"):
        return _census(args, line)
    return _tracking(args, kind, line)


def _kind(source: str, source_kind) -> str:
    text = str(source).strip()
    if text.isdigit() or text.startswith("/dev/video") or "://" in text:
        return "camera"
    return source_kind(text)


def _check_outputs(args: argparse.Namespace) -> None:
    from penguin_studio.core.outputs_guard import check_output_file

    for flag, path in (("--csv", args.csv), ("--tracks", args.tracks)):
        if path is not None:
            check_output_file(path, sources=[args.source], what=f"the {flag} file")


def _warn(text: str) -> None:
    print(f"warning: {text}", file=sys.stderr)


# ----- photos ------------------------------------------------------------------------------
def _census(args: argparse.Namespace, line) -> int:
    from penguin_studio.commands.val import ultralytics_output_to_stderr
    from penguin_studio.core.inference import counting, predict

    if args.track:
        _warn("--track ignored: tracking needs a sequence (a video or a camera), not "
              "separate photos; counting each photo instead.")
    for flag, given in (("--line", line), ("--tracks", args.tracks)):
        if given is not None:
            _warn(f"{flag} ignored: it needs a video or a camera.")
    with ultralytics_output_to_stderr():
        preds = predict.predict_source(args.weights, args.source, imgsz=args.imgsz)
    for skipped in preds.skipped:
        _warn(f"skipped {skipped.path} ({skipped.reason})")
    census = counting.count_predictions(preds, args.conf, args.iou)
    if args.csv is not None:
        counting.write_census_csv(census, args.csv)
        print(f"Wrote the census of {len(census.rows)} image(s) to {args.csv}", file=sys.stderr)
    if args.json:
        print(json.dumps({"kind": "census", "source": str(preds.source),
                          "weights": str(preds.model.weights), **census.to_json()}, indent=1))
        return 0
    for row in census.ordered():
        when = f" ({row.captured:%Y-%m-%d %H:%M})" if row.captured else ""
        what = ", ".join(f"{n} {name}" for name, n in zip(census.names, row.counts,
                                                           strict=True) if n) or "nothing"
        print(f"{row.label}{when}: {what}")
    totals = ", ".join(f"{n} {name}" for name, n in census.totals.items())
    means = ", ".join(f"{m:.2f} {name}" for name, m in census.mean_per_image.items())
    print(f"Total over {len(census.rows)} image(s): {totals} (mean per image: {means})")
    return 0


# ----- videos and cameras --------------------------------------------------------------------
def _tracking(args: argparse.Namespace, kind: str, line) -> int:
    from penguin_studio.commands.val import ultralytics_output_to_stderr
    from penguin_studio.core.inference import tracking
    from penguin_studio.core.inference.detector import load_detector

    with ultralytics_output_to_stderr():
        detector = load_detector(args.weights, args.imgsz)
        opened, frames = _open_frames(args.source, kind)
        size = opened.size
        line, message = tracking.checked_line(line, size)
        if message:
            _warn(message)
        counter = tracking.TrackCounter(detector.names, args.track or tracking.DEFAULT_TRACKER,
                                        args.min_frames, line=line, conf=args.conf)
        run = tracking.TrackingRun(counter, fps=opened.fps or 25.0, size=size)
        try:
            tracking.track_frames(counter, frames, detector.raw, args.iou, nms=detector.nms,
                                  run=run)
        except KeyboardInterrupt:
            run.stopped = "interrupted"
        finally:
            opened.release()
    if kind == "camera" and not run.stopped:
        run.stopped = "the camera stopped sending frames"
    if run.stopped:
        _warn(f"stopped after {run.frames} frame(s) ({run.stopped}); the counts so far follow.")
    _write_tracking_outputs(args, counter)
    summary = counter.summary()
    if args.json:
        print(json.dumps({"kind": "tracking", "source": str(args.source),
                          "tracker": counter.kind, "conf": args.conf, "iou": args.iou,
                          "stopped": run.stopped or None, **summary.to_json()}, indent=1))
        return 0
    _print_summary(summary)
    return 0


def _open_frames(source: str, kind: str):
    """The opened source and an iterator of (index, seconds, BGR frame)."""
    from penguin_studio.core.inference.video import VideoSource, open_source, parse_source

    video = VideoSource.file(source) if kind == "video" else parse_source(source)
    opened = open_source(video)

    def frames():
        index = 0
        fps = opened.fps or 25.0
        while True:
            ok, image = opened.capture.read()
            if not ok or image is None:
                return
            yield index, index / fps, image
            index += 1

    return opened, frames()


def _write_tracking_outputs(args: argparse.Namespace, counter) -> None:
    from penguin_studio.core.inference import tracking

    if args.csv is not None:
        tracking.write_summary(counter, args.csv)
        print(f"Wrote the counts per class to {args.csv}", file=sys.stderr)
    if args.tracks is not None:
        tracking.write_tracks(counter, args.tracks)
        what = "MOTChallenge" if args.tracks.suffix.lower() == ".txt" else "CSV"
        print(f"Wrote {len(counter.confirmed())} track(s) ({what}) to {args.tracks}",
              file=sys.stderr)


def _print_summary(summary) -> None:
    line = summary.line is not None
    print(f"{'class':<16}{'unique':>8}" + (f"{'in':>8}{'out':>8}" if line else ""))
    for name, c in summary.per_class.items():
        print(f"{name:<16}{c.unique:>8}" + (f"{c.crossed_in:>8}{c.crossed_out:>8}"
                                            if line else ""))
    print(f"{summary.frames} frame(s); a track counts once seen in {summary.min_frames} "
          "frame(s) or more.")
