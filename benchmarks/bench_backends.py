"""Benchmark: how much faster do OpenVINO and ONNX Runtime run a model than torch, here?

Measured in one run, on the same real photos (``../shared/data/aquarium-test``, else the
generated sample) and the same model:

1. **Per image** for each image size (320, 416, 640): plain ultralytics
   ``YOLO(pt).predict(image, imgsz=s)`` (torch, ultralytics' own defaults, the baseline),
   then the app's raw-candidate prediction (what Detect and Live run) on each backend:
   ``torch``, ``openvino`` and ``onnxruntime``. Median and p95 ms per image, images/s, the
   first-use export time (into an empty cache) and the speed-up against the baseline.
2. **Live**: the real Live panel (offscreen) plays a generated 640×480 video as fast as
   possible at 416 px, side by side in rounds: Live on PyTorch, Live on Automatic (which
   measured the backends on first use, in an untimed first run, and picked the fastest),
   then plain ``YOLO(pt).predict(video, stream=True)`` with ultralytics' own defaults.
   Displayed frames/s per round and medians over the rounds; Automatic's ratio is against
   the mean of the plain runs before and after it, so both saw the same load.
   Goal: Automatic ≥ 1.8 × plain ultralytics.

Run::

    .venv/bin/python benchmarks/bench_backends.py [--quick] [--live-only] [--weights best.pt]

``--live-only --quick`` (3 rounds on a 3 s video, about 1.5 minutes on an idle 2-core CPU,
under 3 on a loaded one) is the Live comparison alone.

Without ``--weights`` the model is ``../shared/data/weights/yolov5nu-coco-backbone.pt``
(the architecture of the issue's measurement) with its head trained here for a minute on
the generated sample, so that it has a trained model's few raw candidates. Everything runs
in worker threads, as in the app. The last line printed is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SHARED = ROOT.parent / "shared" / "data"
BACKENDS = ("torch", "openvino", "onnxruntime")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", default="", help="a .pt (default: the shared yolov5nu)")
    p.add_argument("--images", default="", help="folder of photos (default: aquarium-test)")
    p.add_argument("--sizes", default="320,416,640", help="image sizes, comma separated")
    p.add_argument("--frames", type=int, default=20, help="photos timed per backend and size")
    p.add_argument("--live-seconds", type=float, default=8.0, help="length of the live video")
    p.add_argument("--live-imgsz", type=int, default=416, help="inference size in Live")
    p.add_argument("--live-rounds", type=int, default=5, help="side-by-side Live rounds")
    p.add_argument("--live-only", action="store_true", help="skip the per-image part")
    p.add_argument("--quick", action="store_true",
                   help="320 and 416 only, fewer frames, 3 shorter Live rounds")
    args = p.parse_args()
    if args.quick:
        args.sizes, args.frames, args.live_seconds, args.live_rounds = "320,416", 10, 3.0, 3
    return args


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(times_ms: list[float]) -> dict[str, float]:
    median = statistics.median(times_ms)
    return {"median_ms": round(median, 2), "p95_ms": round(percentile(times_ms, 0.95), 2),
            "fps": round(1000.0 / median, 1)}


def default_weights(work: Path) -> Path:
    """A yolov5nu whose head learnt the sample penguins (a minute), so that its raw
    candidates (``conf > 0.001``) are as few as a trained model's: an untrained head scores
    every anchor and class above 0.001, and post-processing would swamp the timings."""
    from penguin_studio.core import engine
    from penguin_studio.core.sample import generate_sample

    backbone = SHARED / "weights" / "yolov5nu-coco-backbone.pt"
    if not backbone.exists():
        path = work / "yolov8n-random.pt"
        engine.ultralytics_module().YOLO("yolov8n.yaml").save(str(path))
        print("warning: no ../shared/data weights: timing a random yolov8n", flush=True)
        return path
    report = generate_sample(work / "train-sample", images=24, imgsz=128, force=True)
    model = engine.load_model(backbone)
    model.train(data=str(report.data_yaml), imgsz=128, epochs=20, freeze=10, batch=8,
                workers=0, device="cpu", plots=False, val=False, amp=False, mosaic=0.0,
                warmup_epochs=0, optimizer="SGD", lr0=0.02, lrf=1.0,
                project=str(work / "runs"), name="head", exist_ok=True, verbose=False)
    return work / "runs" / "head" / "weights" / "last.pt"


def photos(args: argparse.Namespace, work: Path) -> list[Path]:
    folder = Path(args.images) if args.images else SHARED / "aquarium-test" / "test" / "images"
    if not folder.is_dir():
        from penguin_studio.core.sample import generate_sample

        generate_sample(work / "sample", images=args.frames + 2, force=True, imgsz=640)
        folder = work / "sample" / "images"
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".png"))
    return found[: args.frames]


# ----- 1. per image ----------------------------------------------------------------------------


def plain_ultralytics(weights: Path, images: list[Any], imgsz: int) -> list[float]:
    """``YOLO(pt).predict`` as users run it: ultralytics' defaults, its own thread count."""
    from penguin_studio.core import engine

    model = engine.load_model(weights)
    for image in images[:2]:
        model.predict(image, imgsz=imgsz, verbose=False)
    times = []
    for image in images:
        t0 = time.perf_counter()
        model.predict(image, imgsz=imgsz, verbose=False)
        times.append((time.perf_counter() - t0) * 1000.0)
    return times


def app_backend(weights: Path, images: list[Any], imgsz: int,
                backend: str) -> tuple[list[float], float, str]:
    """The app's raw-candidate predict on ``backend``; also the first-use export time."""
    from penguin_studio.core.inference import backends, predict

    export_s = 0.0
    if backend != "torch":
        export_s = backends.ensure_export(weights, imgsz, backend).seconds
    predictor = predict.Predictor(weights, imgsz, backend=backend)
    for image in images[:2]:
        predictor.raw(image)
    times = []
    for image in images:
        t0 = time.perf_counter()
        predictor.raw(image)
        times.append((time.perf_counter() - t0) * 1000.0)
    return times, export_s, predictor.backend


def per_image(weights: Path, files: list[Path], sizes: list[int]) -> dict[str, Any]:
    from bench_live import in_thread

    from penguin_studio.core.inference.predict import read_image

    images = [read_image(p) for p in files]
    images = [im for im in images if im is not None]
    out: dict[str, Any] = {}
    for imgsz in sizes:
        row: dict[str, Any] = {"plain_ultralytics_torch": summary(
            in_thread(plain_ultralytics, weights, images, imgsz))}
        base = row["plain_ultralytics_torch"]["median_ms"]
        for backend in BACKENDS:
            times, export_s, used = in_thread(app_backend, weights, images, imgsz, backend)
            figures = summary(times)
            figures.update(export_s=round(export_s, 1), ran_on=used,
                           speedup_vs_plain=round(base / figures["median_ms"], 2))
            row[backend] = figures
        out[str(imgsz)] = row
        print_size(imgsz, row)
    return out


def print_size(imgsz: int, row: dict[str, Any]) -> None:
    print(f"\nimgsz {imgsz}: ms per image (median / p95), images/s, first-use export, "
          "speed-up vs plain ultralytics")
    for name, f in row.items():
        extra = "" if name.startswith("plain") else \
            f"  export {f['export_s']:5.1f} s  ×{f['speedup_vs_plain']:.2f}"
        print(f"  {name:24s} {f['median_ms']:7.1f} / {f['p95_ms']:7.1f} ms  "
              f"{f['fps']:6.1f}/s{extra}", flush=True)


# ----- 2. live ---------------------------------------------------------------------------------


def plain_stream_fps(model: Any, video: Path, imgsz: int) -> float:
    """``YOLO(pt).predict(video, stream=True)`` frames/s as a fresh process runs it:
    ultralytics' own torch thread count (``NUM_THREADS``, cores - 1), its default ``conf``."""
    import torch
    from ultralytics.utils import NUM_THREADS

    torch.set_num_threads(NUM_THREADS)  # the panel runs in this process and changes it
    start, frames = time.perf_counter(), 0
    for _ in model.predict(str(video), stream=True, imgsz=imgsz, verbose=False):
        frames += 1
    return frames / (time.perf_counter() - start)


def live_round(run: Any, model: Any, video: Path, imgsz: int,
               plain_before: float) -> dict[str, Any]:
    """One side-by-side round: the Live panel on PyTorch, then on Automatic, then plain
    ultralytics again; Automatic's ratio is against the mean of the plain runs around it."""
    from bench_live import in_thread

    row: dict[str, Any] = {}
    for choice in ("torch", "auto"):
        run.panel.backend.set_value(choice)
        played = run.play("fast")
        detector = run.panel.pipeline.detector
        row[choice] = {"display_fps": round(played["display_fps"], 2),
                       "mean_infer_ms": round(played["mean_infer_ms"], 1),
                       "ran_on": detector.backend,
                       "thread_ms": {n: round(ms, 1) for n, ms in detector.threads.ms.items()}}
    plain_after = in_thread(plain_stream_fps, model, video, imgsz)
    plain = (plain_before + plain_after) / 2
    row.update(plain_fps=round(plain, 2), plain_after=plain_after,
               auto_vs_plain=round(row["auto"]["display_fps"] / plain, 3),
               torch_vs_plain=round(row["torch"]["display_fps"] / plain, 3),
               load=round(os.getloadavg()[0], 1))
    return row


def live(weights: Path, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Displayed frames/s: Live on Automatic vs Live on PyTorch vs plain
    ``predict(stream=True)``, alternated ``--live-rounds`` times; medians over the rounds."""
    from bench_live import PanelRun, in_thread

    from penguin_studio.core import engine
    from penguin_studio.core.inference.video import write_sample_video
    from penguin_studio.ui.app import create_application

    app = create_application(offscreen=True)
    video = write_sample_video(work / "live.mp4", seconds=args.live_seconds, fps=30,
                               size=(640, 480), scene_s=2.0)
    live_args = argparse.Namespace(weights=str(weights), imgsz=args.live_imgsz, conf=0.25)
    model = engine.load_model(weights)
    model.predict(np.zeros((480, 640, 3), np.uint8), imgsz=args.live_imgsz, verbose=False)
    run = PanelRun(live_args, video)
    rows: list[dict[str, Any]] = []
    try:
        t0 = time.perf_counter()
        for choice in ("torch", "auto"):  # first use: loads, exports and measures; not timed
            run.panel.backend.set_value(choice)
            run.play("fast")
        first_use_s = time.perf_counter() - t0
        plain = in_thread(plain_stream_fps, model, video, args.live_imgsz)
        for index in range(args.live_rounds):
            row = live_round(run, model, video, args.live_imgsz, plain)
            plain = row.pop("plain_after")
            rows.append(row)
            print(f"round {index + 1}: plain predict(stream=True) {row['plain_fps']:.1f} fps | "
                  f"Live PyTorch {row['torch']['display_fps']:.1f} | Live Automatic "
                  f"({row['auto']['ran_on']}) {row['auto']['display_fps']:.1f} fps, threads "
                  f"{row['auto']['thread_ms']} ms | ×{row['auto_vs_plain']:.2f} plain "
                  f"(load {row['load']})", flush=True)
    finally:
        run.close()
    del app
    med = statistics.median
    figures = {
        "rounds": rows, "first_use_s": round(first_use_s, 1),
        "ran_on": rows[-1]["auto"]["ran_on"],
        "plain_ultralytics_stream_fps": round(med(r["plain_fps"] for r in rows), 2),
        "torch_display_fps": round(med(r["torch"]["display_fps"] for r in rows), 2),
        "auto_display_fps": round(med(r["auto"]["display_fps"] for r in rows), 2),
        "auto_vs_plain": round(med(r["auto_vs_plain"] for r in rows), 3),
        "torch_vs_plain": round(med(r["torch_vs_plain"] for r in rows), 3),
        "auto_vs_torch_panel": round(med(r["auto"]["display_fps"] / r["torch"]["display_fps"]
                                         for r in rows), 3),
    }
    figures["goal_auto_ge_1.8_plain"] = figures["auto_vs_plain"] >= 1.8
    print(f"\nlive, 640x480 video at {args.live_imgsz} px, as fast as possible, medians of "
          f"{len(rows)} rounds: plain predict(stream=True) "
          f"{figures['plain_ultralytics_stream_fps']} fps; Live panel on PyTorch "
          f"{figures['torch_display_fps']} fps, on Automatic ({figures['ran_on']}) "
          f"{figures['auto_display_fps']} fps: ×{figures['auto_vs_plain']} plain "
          f"(goal ≥ 1.8)", flush=True)
    return figures


def main() -> int:
    args = parse_args()
    # removed on every exit (an error or Ctrl-C included): models, videos and export cache
    with tempfile.TemporaryDirectory(prefix="bench-backends-", ignore_cleanup_errors=True) as tmp:
        return run(args, Path(tmp))


def run(args: argparse.Namespace, work: Path) -> int:
    """The whole benchmark, with every file it makes under ``work``."""
    os.environ["PENGUIN_STUDIO_HOME"] = str(work / "home")  # an empty export cache
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("YOLO_VERBOSE", "False")
    weights = Path(args.weights) if args.weights else default_weights(work)
    files = photos(args, work)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"model {weights.name}, {len(files)} photos from {files[0].parent}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", flush=True)
    result: dict[str, Any] = {"weights": weights.name, "photos": len(files),
                              "cpu_count": os.cpu_count()}
    if not args.live_only:
        result["per_image"] = per_image(weights, files, sizes)
    result["live"] = live(weights, args, work)
    result["load_avg"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
