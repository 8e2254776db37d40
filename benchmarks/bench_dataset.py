"""Benchmark: the dataset core on 10,000 small JPEGs with labels (issue 3's speed budget).

Figures, each next to the naive baseline it replaces, measured side by side in this run:

* ``index``: open the data yaml and index every label with per-class counts
  (budget ≤ 5 s) vs. decoding every image and reading its label (the naive open);
* ``label_save``: median time to save one label edit atomically (temp file, fsync,
  ``os.replace``; budget ≤ 10 ms) vs. a plain in-place ``write_text`` (no fsync, not
  crash-safe);
* ``memory``: resident memory added by the open dataset and its index (budget ≤ 300 MB)
  vs. the naive open that keeps decoded images;
* ``doctor``: time for every doctor check over the dataset (no budget; for the record).

Each figure is a function returning a dict; ``FIGURES`` lists them and the last line printed
is one JSON object merging them, so more figures (e.g. the GUI's "first thumbnails painted")
plug in by adding a function. Run::

    .venv/bin/python benchmarks/bench_dataset.py [--images 10000] [--repeats 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from penguin_studio.core.dataset.index import build_index  # noqa: E402
from penguin_studio.core.dataset.labels import Box, read_labels, write_labels  # noqa: E402
from penguin_studio.core.dataset.project import label_path_for, open_dataset  # noqa: E402

BUDGET = {"index_s": 5.0, "label_save_ms": 10.0, "memory_mb": 300.0}
NAMES = ("penguin", "rock", "seal")


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


def make_dataset(root: Path, n: int, seed: int = 0) -> Path:
    """``n`` small JPEGs (128×96, a handful of distinct ones) with 0-6 boxes each; 1 in 8
    unlabelled, 1 in 10 background. Reused when already there."""
    data_yaml = root / "data.yaml"
    if data_yaml.exists() and len(list((root / "images").rglob("*.jpg"))) == n:
        return data_yaml
    rng = np.random.default_rng(seed)
    jpegs = [cv2.imencode(".jpg", rng.integers(0, 255, (96, 128, 3), np.uint8))[1].tobytes()
             for _ in range(16)]
    for i in range(n):
        split = "val" if i % 10 == 0 else "train"
        image = root / "images" / split / f"img_{i:05d}.jpg"
        image.parent.mkdir(parents=True, exist_ok=True)
        image.write_bytes(jpegs[i % len(jpegs)])
        if i % 8 == 7:
            continue  # unlabelled
        label = label_path_for(image)
        label.parent.mkdir(parents=True, exist_ok=True)
        k = 0 if i % 10 == 3 else int(rng.integers(1, 7))
        label.write_text("".join(
            f"{rng.integers(0, len(NAMES))} {rng.uniform(.2, .8):.6f} {rng.uniform(.2, .8):.6f}"
            f" {rng.uniform(.05, .3):.6f} {rng.uniform(.05, .3):.6f}\n" for _ in range(k)))
    names = "".join(f"  {i}: {n}\n" for i, n in enumerate(NAMES))
    data_yaml.write_text(f'path: "{root}"\ntrain: images/train\nval: images/val\n'
                         f"names:\n{names}")
    return data_yaml


# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------


def _timed(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def our_index(data_yaml: Path):
    ds = open_dataset(data_yaml)
    index = build_index(ds)
    return ds, index, index.instances_per_class()


def naive_index(data_yaml: Path) -> tuple[list[np.ndarray], dict[int, int]]:
    """What a simple browser does on open: decode every image, then read every label."""
    ds = open_dataset(data_yaml)
    images, counts = [], {}
    for path in ds.images():
        images.append(cv2.imread(str(path)))
        for box in read_labels(label_path_for(path)):
            counts[box.cls] = counts.get(box.cls, 0) + 1
    return images, counts


def bench_index(data_yaml: Path, repeats: int) -> dict:
    ours_s, (ds, index, counts) = _timed(lambda: our_index(data_yaml), repeats)
    naive_s, (_, naive_counts) = _timed(lambda: naive_index(data_yaml), max(1, repeats // 2))
    assert dict(sorted(naive_counts.items())) == {k: v for k, v in counts.items() if v}
    stats = index.split_stats()["all"]
    return {"index_images": stats.images, "index_boxes": stats.boxes,
            "index_s": round(ours_s, 3), "index_naive_s": round(naive_s, 3),
            "index_speedup": round(naive_s / ours_s, 1),
            "index_within_budget": ours_s <= BUDGET["index_s"]}


def bench_label_save(data_yaml: Path, edits: int = 200) -> dict:
    ds = open_dataset(data_yaml)
    images = ds.images()[:edits]
    rng = np.random.default_rng(1)
    ours, naive = [], []
    for image in images:
        label = label_path_for(image)
        boxes = [*read_labels(label), Box(1, *rng.uniform(0.2, 0.8, 2), 0.1, 0.1)]
        t = time.perf_counter()
        write_labels(label, boxes)
        ours.append(time.perf_counter() - t)
        text = label.read_text()
        t = time.perf_counter()
        label.write_text(text)  # naive: in place, no fsync (a crash can leave half a file)
        naive.append(time.perf_counter() - t)
    ours_ms, naive_ms = statistics.median(ours) * 1e3, statistics.median(naive) * 1e3
    return {"label_save_ms": round(ours_ms, 3), "label_save_p95_ms":
            round(float(np.percentile(ours, 95)) * 1e3, 3),
            "label_save_naive_ms": round(naive_ms, 3),
            "label_save_vs_naive": round(ours_ms / naive_ms, 1),
            "label_save_within_budget": ours_ms <= BUDGET["label_save_ms"]}


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bench_memory(data_yaml: Path) -> dict:
    gc.collect()
    base = _rss_mb()
    kept = our_index(data_yaml)
    ours = _rss_mb() - base
    del kept
    gc.collect()
    base = _rss_mb()
    kept = naive_index(data_yaml)
    naive = _rss_mb() - base
    del kept
    return {"memory_mb": round(ours, 1), "memory_naive_mb": round(naive, 1),
            "memory_within_budget": ours <= BUDGET["memory_mb"]}


def bench_doctor(data_yaml: Path) -> dict:
    """Every doctor check over the whole dataset (headers, end markers, labels, hashes)."""
    from penguin_studio.core.dataset.doctor import run_doctor

    ds = open_dataset(data_yaml)
    t = time.perf_counter()
    findings = run_doctor(ds)
    return {"doctor_s": round(time.perf_counter() - t, 3), "doctor_findings": len(findings)}


#: figure functions run in order (memory first, before timing runs warm the allocator)
FIGURES: list[Callable[[Path, argparse.Namespace], dict]] = [
    lambda data, args: bench_memory(data),
    lambda data, args: bench_index(data, args.repeats),
    lambda data, args: bench_label_save(data),
    lambda data, args: bench_doctor(data),
]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=10_000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--keep", type=Path, help="generate (or reuse) the dataset here")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = (args.keep or Path(tmp) / "bench set").resolve()
        t = time.perf_counter()
        data_yaml = make_dataset(root, args.images)
        print(f"dataset: {args.images} images at {root} ({time.perf_counter() - t:.1f} s)")
        results: dict = {"images": args.images, "repeats": args.repeats}
        for figure in FIGURES:
            found = figure(data_yaml, args)
            for key, value in found.items():
                print(f"  {key}: {value}")
            results.update(found)
        print(json.dumps(results))


if __name__ == "__main__":
    main()
