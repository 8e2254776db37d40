"""Benchmark: can a user learn something from the built-in sample in five minutes on a laptop?

Generates the default synthetic sample (``penguin_studio.core.sample``) into a temporary
folder, trains ``yolov8n.yaml`` from scratch on CPU for a fixed time budget, then validates
on the *test* split. This is what ``DEFAULT_IMAGES`` was tuned with: the target is
mAP50 >= 0.5 on test after 5 minutes on 2 CPU cores.

Run::

    .venv/bin/python benchmarks/bench_sample_training.py [--minutes 5] [--imgsz 192]

The last line printed is a JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from penguin_studio.core.sample import DEFAULT_IMAGES, generate_sample  # noqa: E402

THREADS = 2


def parse_args() -> argparse.Namespace:
    """Defaults are the measured configuration; flags exist for re-tuning."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=DEFAULT_IMAGES)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--imgsz", type=int, default=192)
    p.add_argument("--minutes", type=float, default=5.0, help="training time budget")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr0", type=float, default=0.003)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=THREADS)
    p.add_argument("--keep", type=Path, help="work here and keep the files (default: temp)")
    return p.parse_args()


def offline_ultralytics(work: Path) -> ModuleType:
    """Import ultralytics so that it never touches the network (fonts, checks, pip)."""
    os.environ.setdefault("PENGUIN_STUDIO_HOME", str(work / "home"))
    try:
        from penguin_studio.core import engine
    except ImportError:
        engine = None
    if engine is not None and hasattr(engine, "configure"):
        engine.configure()
        if hasattr(engine, "ultralytics_module"):
            return engine.ultralytics_module()
    else:
        _configure_by_hand(work / "yolo-config")
    import ultralytics

    return ultralytics


def _configure_by_hand(config_dir: Path) -> None:
    """Fallback when the engine module is absent: env vars and local fonts."""
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "0"
    os.environ["YOLO_CONFIG_DIR"] = str(config_dir)
    import matplotlib

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    fonts_dir = config_dir / "Ultralytics"  # ultralytics' USER_CONFIG_DIR
    fonts_dir.mkdir(parents=True, exist_ok=True)
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        shutil.copyfile(font, fonts_dir / name)


def train_and_test(ul: ModuleType, data_yaml: Path, runs: Path, args: argparse.Namespace) -> dict:
    """Train for the time budget, then evaluate the best weights on the test split."""
    import torch

    def limit_threads(_trainer: Any) -> None:
        torch.set_num_threads(args.threads)  # ultralytics resets threads during setup

    model = ul.YOLO("yolov8n.yaml")
    model.add_callback("on_train_start", limit_threads)
    start = time.perf_counter()
    model.train(
        data=str(data_yaml.resolve()), project=str(runs.resolve()), name="train", exist_ok=True,
        imgsz=args.imgsz, time=args.minutes / 60, epochs=1000, device="cpu",
        batch=args.batch, nbs=args.batch, optimizer="AdamW", lr0=args.lr0,
        warmup_epochs=1, close_mosaic=2, workers=args.workers, seed=args.seed,
        val=False, plots=False, pretrained=False, amp=False,
    )
    train_s = time.perf_counter() - start
    trainer = model.trainer
    best = Path(trainer.best if Path(trainer.best).exists() else trainer.last)
    torch.set_num_threads(args.threads)
    metrics = ul.YOLO(str(best)).val(
        data=str(data_yaml.resolve()), split="test", imgsz=args.imgsz, device="cpu",
        batch=args.batch, plots=False, project=str(runs.resolve()), name="test",
        exist_ok=True, verbose=False,
    )
    per_class = {ul_name: round(float(v), 4) for ul_name, v in
                 zip(metrics.names.values(), metrics.box.ap50, strict=False)}
    return {
        "epochs": int(trainer.epoch) + 1,
        "train_wall_s": round(train_s, 1),
        "test_map50": round(float(metrics.box.map50), 4),
        "test_map50_95": round(float(metrics.box.map), 4),
        "test_ap50_per_class": per_class,
    }


def main() -> None:
    """Generate, train, test, and print one JSON line with the figures."""
    args = parse_args()
    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="ps-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        report = generate_sample(work / "sample", images=args.images, seed=args.seed, force=True)
        gen_s = time.perf_counter() - t0
        print(f"generated {report.images} {report.instances} in {gen_s:.1f}s", flush=True)
        ul = offline_ultralytics(work)
        result = train_and_test(ul, report.data_yaml, work / "runs", args)
        result.update(
            images=args.images, imgsz=args.imgsz, budget_min=args.minutes, batch=args.batch,
            threads=args.threads, generate_s=round(gen_s, 1),
            total_wall_s=round(time.perf_counter() - t0, 1),
            cpu_count=os.cpu_count(), load_avg=[round(x, 2) for x in os.getloadavg()],
        )
        print(f"test mAP50 {result['test_map50']:.3f} after {result['train_wall_s']:.0f}s "
              f"of training ({result['epochs']} epochs)")
        print(json.dumps(result))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
