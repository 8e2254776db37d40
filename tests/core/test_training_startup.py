"""Training start-up: workers by cores, no ultralytics plots on the critical path, a RAM
cache only when it fits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from penguin_studio.core.training import startup
from penguin_studio.core.training.config import TrainConfig


def test_workers_follow_the_cores():
    assert [startup.default_workers(c) for c in (1, 2, 4, 16)] == [0, 1, 3, 8]


def test_the_app_trains_without_ultralytics_plots_unless_asked(tmp_path: Path):
    config = TrainConfig.for_mode("scratch", "/d.yaml")
    kw = config.to_train_kwargs()
    assert kw["plots"] is False and kw["workers"] == startup.default_workers()
    asked = TrainConfig.for_mode("scratch", "/d.yaml",
                                 extra={"plots": True, "workers": 4}).to_train_kwargs()
    assert asked["plots"] is True and asked["workers"] == 4
    hyp = tmp_path / "hyp.yaml"
    hyp.write_text("plots: true\n")
    assert "plots" not in config.copy(hyp=str(hyp)).to_train_kwargs()  # the file decides


def test_ram_cache_only_when_the_images_fit(tiny_dataset: Path):
    data = tiny_dataset  # the data yaml
    images = startup.train_image_count(data)
    need = startup.ram_cache_bytes(images, 320)
    assert startup.safe_cache("ram", data, 320, available=100 * need) == ("ram", "")
    cache, message = startup.safe_cache("ram", data, 320, available=need)
    assert cache is False
    assert message.startswith(f"Not caching images in RAM: {images} images at 320 px")
    assert startup.safe_cache("disk", data, 320, available=0) == ("disk", "")


@pytest.mark.slow
def test_a_run_reports_done_then_draws_results_png_but_no_labels_jpg(tiny_dataset: Path,
                                                                     tmp_path: Path):
    from penguin_studio.core.training.job import run_training

    config = TrainConfig.for_mode("scratch", tiny_dataset, epochs=1, imgsz=64,
                                  batch=4, device="cpu", project=str(tmp_path / "runs"),
                                  name="quick")
    events: list[dict] = []
    outcome = run_training(config, on_event=events.append)
    assert outcome.status == "completed", outcome.message
    assert events[-1]["type"] == "done"
    png = outcome.run_dir / "results.png"
    deadline = time.monotonic() + 60
    while not png.is_file() and time.monotonic() < deadline:  # no signal: a file appears
        time.sleep(0.1)
    assert png.is_file()  # drawn after "done", while the caller already has its result
    assert not (outcome.run_dir / "labels.jpg").exists()  # the app's Statistics show it
