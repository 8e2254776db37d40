"""Cut the fixed cost around a training run: before the first batch and after the last.

Measured (issue 11): on 32 small images for 3 epochs, a run launched by the app took
1.3-1.6x the wall time of plain ``YOLO(...).train(...)``, mostly before the first batch and
after the last. The pieces, each a small policy with its reason:

* **Plots.** ultralytics draws ``labels.jpg`` before the first batch, the first training
  batches, and after the last epoch ``results.png``, PR curves and confusion matrices
  (seconds of matplotlib on a laptop CPU). The app plots losses and metrics live, and
  Evaluate draws the curves on demand, so the app trains with ``plots=False`` (unless the
  user asks for them) and draws ``results.png`` only after "done" was reported and its
  event pipe closed: the caller (CLI, Train panel) has its result without waiting for it.
* **Exit.** The interpreter's teardown of torch and ultralytics took seconds after "done"
  (5 s under load); the children end with ``os._exit`` once every file is written.
* **Workers.** ultralytics' default is 8 dataloader processes; on a 2-core machine they cost
  more than they give. The app uses ``cores - 1`` (at most 8); on CPU ultralytics loads in the
  training process anyway.
* **RAM cache.** ``cache=ram`` decodes every image before the first batch and can push a
  machine into swap: it is kept only when the decoded images fit in a safe share of the
  memory that is free now, else the run reads from disk.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

#: Share of the currently available memory a RAM cache may take.
RAM_CACHE_SHARE = 0.3
#: The most dataloader workers ultralytics would use.
MAX_WORKERS = 8


def default_workers(cores: int | None = None) -> int:
    """Dataloader workers for this machine: every core but the training one, at most 8."""
    cores = max(1, cores or os.cpu_count() or 1)
    return min(MAX_WORKERS, max(0, cores - 1))


def ram_cache_bytes(images: int, imgsz: int) -> int:
    """What ultralytics keeps per image with ``cache=ram``: the image resized to ``imgsz``
    (long side), 3 bytes per pixel; square is the upper bound."""
    return int(images) * int(imgsz) * int(imgsz) * 3


def available_memory() -> int:
    """Bytes of memory available now (0 when it cannot be read)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - no psutil or no /proc: be careful, say nothing fits
        return 0


def train_image_count(data_yaml: str | Path) -> int:
    """Images of the training split (0 when the dataset cannot be read)."""
    from penguin_studio.core.dataset.project import open_dataset
    from penguin_studio.core.errors import UserError

    try:
        return len(open_dataset(data_yaml).images("train"))
    except (UserError, OSError, ValueError):
        return 0


def safe_cache(cache: Any, data_yaml: str | Path, imgsz: int,
               available: int | None = None) -> tuple[Any, str]:
    """``cache`` for ultralytics, and a message when a RAM cache was turned down."""
    if cache != "ram":
        return cache, ""
    images = train_image_count(data_yaml)
    need = ram_cache_bytes(images, imgsz)
    free = available_memory() if available is None else available
    if images and need <= RAM_CACHE_SHARE * free:
        return cache, ""
    return False, (f"Not caching images in RAM: {images} images at {imgsz} px need about "
                   f"{need / 2**30:.1f} GB, more than {RAM_CACHE_SHARE:.0%} of the "
                   f"{free / 2**30:.1f} GB free now; reading them from disk instead.")


def render_results_plot(run_dir: str | Path) -> Path | None:
    """``results.png`` of a finished run (ultralytics' own plot), drawn after the run."""
    results = Path(run_dir) / "results.csv"
    if not results.is_file():
        return None
    from penguin_studio.core import engine

    engine.ultralytics_module()
    from ultralytics.utils.plotting import plot_results

    plot_results(file=str(results))
    png = results.with_name("results.png")
    return png if png.is_file() else None
