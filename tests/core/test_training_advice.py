"""Recipe advice follows its documented rules on crafted dataset statistics."""

from __future__ import annotations

from pathlib import Path

import pytest

from penguin_studio.core.training.advice import (
    MANY_IMAGES,
    DatasetStats,
    Hardware,
    advise,
    dataset_stats,
)

CPU = Hardware(cpu_cores=2)
GPU = Hardware(cpu_cores=16, gpu_memory_gb=24.0)


def stats(images: int, median_box: float, classes: int = 7) -> DatasetStats:
    return DatasetStats(images=images, median_box=median_box,
                        boxes_per_class={f"c{i}": 20 for i in range(classes)})


def test_the_issue_example_small_objects_on_a_cpu() -> None:
    advice = advise(stats(448, 0.06), CPU)
    assert (advice.recipe, advice.then, advice.imgsz, advice.batch) == \
        ("freeze", "finetune", 416, 8)
    assert advice.why.startswith("448 images, 7 classes, small objects, CPU (2 cores): "
                                 "feature extraction at 416 px for ")
    assert advice.why.endswith(", then fine-tuning") and "\n" not in advice.why


def test_without_pretrained_weights_scratch_is_the_only_recipe() -> None:
    assert advise(stats(448, 0.06), CPU, pretrained=False).recipe == "scratch"
    assert advise(stats(5000, 0.2), GPU, pretrained=False).then is None


def test_a_gpu_and_many_images_hot_start() -> None:
    assert advise(stats(MANY_IMAGES, 0.2), GPU).recipe == "hotstart"
    assert advise(stats(MANY_IMAGES - 1, 0.2), GPU).recipe == "freeze"
    assert advise(stats(50_000, 0.2), CPU).recipe == "freeze"  # a CPU: never all layers first
    assert advise(stats(MANY_IMAGES, 0.2), GPU).batch == -1  # AutoBatch


@pytest.mark.parametrize("median_box, hw, imgsz", [
    (0.5, CPU, 320),  # large objects: the smallest size
    (0.1, CPU, 320),  # 32 / 0.1 = 320
    (0.08, CPU, 416),  # 400 -> 416
    (0.01, CPU, 416),  # tiny objects on a CPU: capped at 416
    (0.05, GPU, 640),  # 640 on a GPU
    (0.01, GPU, 1280),  # capped at 1280
    (0.0, CPU, 320),  # no boxes yet: as for a 0.2 median
])
def test_image_size_makes_the_median_box_about_32_pixels(median_box: float, hw: Hardware,
                                                        imgsz: int) -> None:
    assert advise(stats(300, median_box), hw).imgsz == imgsz


def test_time_budget_grows_with_images_and_pixels_within_bounds() -> None:
    small = advise(stats(50, 0.5), CPU).minutes
    large = advise(stats(2000, 0.05), CPU).minutes
    assert small == 5 and large == 120
    mid = advise(stats(448, 0.06), CPU).minutes
    assert 5 < mid < 120 and mid % 5 == 0
    assert advise(stats(448, 0.06), Hardware(cpu_cores=8)).minutes < mid  # more cores


def test_statistics_of_a_real_dataset(tiny_dataset: Path) -> None:
    from penguin_studio.core.dataset import open_dataset

    s = dataset_stats(open_dataset(tiny_dataset))
    assert s.images == 9 and set(s.boxes_per_class) <= {"penguin", "rock"} and s.boxes > 0
    assert 0 < s.median_box < 1


def test_one_class_reads_in_the_singular() -> None:
    advice = advise(stats(30, 0.25, classes=1), Hardware(cpu_cores=2), pretrained=False)
    assert advice.why.startswith("30 images, 1 class, medium objects, CPU (2 cores): ")
