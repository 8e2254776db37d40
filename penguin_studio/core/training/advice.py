"""Which recipe, image size, batch and time budget to start with, and why, in one line.

The wizard's first page shows this. The rules are plain code so they can be tested on
crafted statistics, and each is tied to a measurement (README, *Recipe advice*):

1. **Recipe.** No pretrained weights on the computer: from scratch (the only choice; the
   sample project learns in minutes that way). A GPU and 1,000 training images or more:
   hot start (every layer at ultralytics' defaults: affordable on a GPU, and what
   ultralytics' own results are made with). Otherwise (a CPU, or fewer images): feature
   extraction, then fine-tuning. Measured on the CPU: on 448 real photos (7 classes,
   18.6 CPU minutes each) freeze → fine-tune reached test mAP50 0.385 where ultralytics'
   defaults reached 0.316; ``benchmarks/bench_recipes.py`` compares all four recipes.
2. **Image size.** Objects should span about 32 pixels after resizing (below that the
   detector's stride-8 grid has little to see): ``32 / median box side``, rounded up to a
   multiple of 32, from 320 up to 1280 on a GPU but only 416 on a CPU: every doubling of
   the side costs four times the time per epoch.
3. **Batch.** A GPU: -1 (ultralytics' AutoBatch fits it to the memory). A CPU: 8 (16 with
   8 cores or more): larger batches only add memory there.
4. **Time budget.** About 30 epochs at the throughput measured on the 2-core development
   CPU (35 images/s at 192 px, ``bench_sample_training.py``), scaled by pixels and cores,
   between 5 and 120 minutes; a GPU is taken as 20 times faster.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from dataclasses import dataclass, field

SMALL = 0.10  # median box side / image side below which objects count as small
MANY_IMAGES = 1000  # hot start on a GPU from this many training images
TARGET_PIXELS = 32  # a box should span this many pixels after resizing
CPU_IPS_192_2 = 35.0  # measured: images/s at 192 px on 2 cores (bench_sample_training.py)
GPU_SPEEDUP = 20.0
EPOCHS = 30


@dataclass
class DatasetStats:
    """What the rules look at (train split)."""

    images: int
    boxes_per_class: dict[str, int] = field(default_factory=dict)
    median_box: float = 0.0  # median of max(w, h) of the boxes, relative to the image

    @property
    def boxes(self) -> int:
        return sum(self.boxes_per_class.values())


@dataclass
class Hardware:
    cpu_cores: int
    gpu_memory_gb: float | None = None  # None: no CUDA GPU

    @property
    def gpu(self) -> bool:
        return bool(self.gpu_memory_gb)


@dataclass
class Advice:
    recipe: str  # scratch | hotstart | freeze
    imgsz: int
    batch: int
    minutes: int
    then: str | None = None  # "finetune" after a freeze run
    why: str = ""

    def summary(self) -> str:
        from penguin_studio.core.training.config import MODE_TITLES

        name = MODE_TITLES[self.recipe].split(" (")[0].lower()
        then = ", then fine-tuning" if self.then == "finetune" else ""
        return f"{name} at {self.imgsz} px for {self.minutes} minutes{then}"


def advise(stats: DatasetStats, hw: Hardware, pretrained: bool = True) -> Advice:
    """The four rules of the module docstring."""
    recipe, then = _recipe(stats, hw, pretrained)
    imgsz = _imgsz(stats, hw)
    batch = -1 if hw.gpu else (16 if hw.cpu_cores >= 8 else 8)
    minutes = _minutes(stats, hw, imgsz)
    advice = Advice(recipe=recipe, imgsz=imgsz, batch=batch, minutes=minutes, then=then)
    advice.why = f"{_describe(stats, hw)}: {advice.summary()}"
    return advice


def _recipe(stats: DatasetStats, hw: Hardware, pretrained: bool) -> tuple[str, str | None]:
    if not pretrained:
        return "scratch", None
    if hw.gpu and stats.images >= MANY_IMAGES:
        return "hotstart", None
    return "freeze", "finetune"


def _imgsz(stats: DatasetStats, hw: Hardware) -> int:
    side = stats.median_box if stats.median_box > 0 else 0.2
    size = 32 * math.ceil(TARGET_PIXELS / side / 32)
    return max(320, min(size, 1280 if hw.gpu else 416))


def _minutes(stats: DatasetStats, hw: Hardware, imgsz: int) -> int:
    ips = CPU_IPS_192_2 * max(1, hw.cpu_cores) / 2 * (192 / imgsz) ** 2
    if hw.gpu:
        ips *= GPU_SPEEDUP
    minutes = EPOCHS * max(1, stats.images) / ips / 60
    return int(min(120, max(5, 5 * math.ceil(minutes / 5))))


def _describe(stats: DatasetStats, hw: Hardware) -> str:
    size = "small objects" if 0 < stats.median_box < SMALL else "large objects" \
        if stats.median_box >= 0.3 else "medium objects"
    where = f"GPU ({hw.gpu_memory_gb:g} GB)" if hw.gpu else f"CPU ({hw.cpu_cores} cores)"
    classes = len(stats.boxes_per_class)
    images = f"{stats.images} image{'' if stats.images == 1 else 's'}"
    return f"{images}, {classes} class{'' if classes == 1 else 'es'}, {size}, {where}"


# ----- measuring the inputs -------------------------------------------------------------------
def dataset_stats(dataset, index=None) -> DatasetStats:
    """The train split's statistics (reads label files only, never images)."""
    import numpy as np

    from penguin_studio.core.dataset.index import build_index

    index = index or build_index(dataset)
    sizes = index.box_sizes("train")
    counts = index.instances_per_class("train")
    names = list(dataset.names)
    per_class = {names[c] if c < len(names) else str(c): n for c, n in sorted(counts.items())}
    median = float(np.median(np.maximum(sizes[:, 1], sizes[:, 2]))) if len(sizes) else 0.0
    return DatasetStats(images=len(dataset.splits.get("train", [])), boxes_per_class=per_class,
                        median_box=median)


def this_hardware() -> Hardware:
    """CPU cores, and the first CUDA GPU's memory from ``nvidia-smi`` (no torch import)."""
    return Hardware(cpu_cores=os.cpu_count() or 1, gpu_memory_gb=_gpu_memory_gb())


def _gpu_memory_gb() -> float | None:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=3, check=True).stdout
        return round(float(out.splitlines()[0]) / 1024, 1)
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None
