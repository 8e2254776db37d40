"""Benchmark: which recipe learns most in the same CPU minutes? (the recipe advice's source)

Trains the four recipes through the app's own training job (the child process, all cores)
with the same time budget each, then scores each best.pt on the *test* split:

- ``scratch``   ``yolov8n.yaml`` from random weights
- ``hotstart``  the pretrained weights, every layer, ultralytics' defaults
- ``freeze``    the pretrained weights, backbone frozen
- ``freeze+finetune``  half the budget frozen, the other half fine-tuning its best.pt

The dataset is the sample project by default; ``--data`` takes another (one without a
val/test split, such as ../shared/data/aquarium-test, is split 60/20/20 by ``--seed`` in a
temporary copy). ``--weights`` defaults to ../shared/data/weights/yolov5nu-coco-backbone.pt.

Run::

    .venv/bin/python benchmarks/bench_recipes.py [--quick] [--minutes 5] [--data D] [--weights W]

It prints one row per recipe (mAP50 on test) and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_WEIGHTS = SHARED / "weights" / "yolov5nu-coco-backbone.pt"
RECIPES = ("scratch", "hotstart", "freeze", "freeze+finetune")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, help="data yaml (default: the sample project)")
    p.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    p.add_argument("--minutes", type=float, default=5.0, help="budget per recipe")
    p.add_argument("--imgsz", type=int, default=320)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--images", type=int, default=300, help="sample project size")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true",
                   help="1 minute per recipe, 120 sample images at 192 px")
    p.add_argument("--keep", type=Path, help="work here and keep the files (default: temp)")
    args = p.parse_args()
    if args.quick:
        args.minutes, args.images, args.imgsz = 1.0, 120, 192
    return args


def prepare_data(args: argparse.Namespace, work: Path) -> Path:
    """The sample, the given dataset, or a split copy of it when val or test is missing."""
    if args.data is None:
        from penguin_studio.core.sample import generate_sample

        return generate_sample(work / "sample", images=args.images, seed=args.seed,
                               force=True).data_yaml
    from penguin_studio.core.dataset import open_dataset

    ds = open_dataset(args.data)
    if ds.splits.get("val") and ds.splits.get("test"):
        return Path(ds.yaml_path or args.data)
    images = sorted({p for split in ds.splits.values() for p in split})
    random.Random(args.seed).shuffle(images)
    n_val = n_test = max(1, len(images) // 5)  # 60/20/20: small test splits are noisy
    parts = {"val": images[:n_val], "test": images[n_val:n_val + n_test],
             "train": images[n_val + n_test:]}
    root = work / "data"  # a copy: training writes label caches beside the labels
    for split, files in parts.items():
        for image in files:
            for src, kind in ((image, "images"), (ds.label_path(image), "labels")):
                if src.exists():
                    dst = root / kind / split / src.name
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, dst)
    import yaml

    data = {"path": str(root), "train": "images/train", "val": "images/val",
            "test": "images/test", "names": dict(enumerate(ds.names))}
    (root / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return root / "data.yaml"


def train(data: Path, mode: str, minutes: float, args: argparse.Namespace, project: Path,
          name: str, weights: str | None = None) -> Path:
    """One run through the app's own job; returns its best.pt."""
    from penguin_studio.core.training.config import TrainConfig
    from penguin_studio.core.training.job import run_training

    values = {"weights": weights} if weights else {"model": "yolov8n.yaml"}
    config = TrainConfig.for_mode(mode, data, epochs=1000, time=minutes / 60,
                                  imgsz=args.imgsz, batch=args.batch, cache="ram",
                                  device="cpu", patience=1000, seed=args.seed,
                                  project=str(project), name=name,
                                  extra={"plots": False}, **values)
    outcome = run_training(config)
    if outcome.status != "completed":
        raise SystemExit(f"{name}: {outcome.status}: {outcome.message}")
    best = outcome.run_dir / "weights" / "best.pt"
    return best if best.exists() else outcome.run_dir / "weights" / "last.pt"


def test_map50(best: Path, run_dir: Path, args: argparse.Namespace) -> float:
    """mAP50 of ``best`` on the test split (of the data yaml the run trained on)."""
    from penguin_studio.core import engine
    from penguin_studio.core.training.config import TrainConfig

    config = TrainConfig.load(run_dir / "penguin_config.yaml")
    metrics = engine.load_model(best).val(data=config.data, split="test", imgsz=args.imgsz,
                                          batch=args.batch, device="cpu", plots=False,
                                          verbose=False, project=str(run_dir), name="test",
                                          exist_ok=True)
    return round(float(metrics.box.map50), 4)


def run_recipe(recipe: str, data: Path, args: argparse.Namespace, project: Path) -> dict:
    t0 = time.perf_counter()
    weights = str(args.weights.resolve())
    if recipe == "scratch":
        best = train(data, "scratch", args.minutes, args, project, recipe)
    elif recipe == "freeze+finetune":
        frozen = train(data, "freeze", args.minutes / 2, args, project, "freeze-half", weights)
        best = train(data, "finetune", args.minutes / 2, args, project, recipe, str(frozen))
    else:
        best = train(data, recipe, args.minutes, args, project, recipe, weights)
    run_dir = best.parents[1]
    return {"recipe": recipe, "test_map50": test_map50(best, run_dir, args),
            "wall_s": round(time.perf_counter() - t0, 1)}


def main() -> None:
    args = parse_args()
    if not args.weights.is_file():
        raise SystemExit(f"no pretrained weights at {args.weights}: pass --weights FILE.pt")
    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="ps-recipes-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PENGUIN_STUDIO_HOME", str(work / "home"))
    try:
        data = prepare_data(args, work)
        from penguin_studio.core.dataset import open_dataset

        ds = open_dataset(data)
        counts = {k: len(v) for k, v in ds.splits.items()}
        print(f"dataset {data} {counts}; {args.minutes:g} min per recipe at {args.imgsz} px, "
              f"{os.cpu_count()} CPU cores", flush=True)
        rows = []
        for recipe in RECIPES:
            row = run_recipe(recipe, data, args, work / "runs")
            rows.append(row)
            print(f"{recipe:<16} test mAP50 {row['test_map50']:.3f}  ({row['wall_s']:.0f} s "
                  f"wall)", flush=True)
        print(json.dumps({"dataset": str(args.data or "sample"), "splits": counts,
                          "minutes_per_recipe": args.minutes, "imgsz": args.imgsz,
                          "batch": args.batch, "cpu_count": os.cpu_count(),
                          "weights": args.weights.name, "results": rows,
                          "load_avg": [round(x, 2) for x in os.getloadavg()]}))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
