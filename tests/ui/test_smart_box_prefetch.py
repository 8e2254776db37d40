"""A click on the image on screen never queues behind the next image's embedding.

The editor embeds the next image of the queue in the background while the user works on
this one; a click that comes while that runs makes it give way (it stops within one
encoder layer and is queued again behind the click). MobileSAM is built with random
weights by ultralytics' own builder (no network): the order of the worker's signals is
checked, not the boxes. The encoder is held on its first layer until the click has been
sent, so the click surely comes while the prefetch runs; no sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import pytest

from penguin_studio.core.sample import render_image
from penguin_studio.core.smartbox.prompt import Prompt
from penguin_studio.ui.dataset.smart_box_tool import PREFETCH, SmartBoxWorker


@pytest.fixture
def mobile_sam(tmp_path: Path) -> Path:
    import torch

    from penguin_studio.core import engine

    engine.ultralytics_module()
    from ultralytics.models.sam import build

    path = tmp_path / "mobile_sam.pt"
    torch.save(build.build_mobile_sam().state_dict(), path)
    return path


def _images(folder: Path) -> tuple[str, str]:
    keys = []
    for index in (1, 2):
        image, _ = render_image(0, index, 320)
        path = folder / f"image-{index}.png"
        cv2.imwrite(str(path), image)
        keys.append(str(path))
    return keys[0], keys[1]


@contextmanager
def _held_encoder(engine) -> Iterator[tuple[threading.Event, threading.Event]]:
    """(started, release): the encoder's first run from here on waits on its first layer,
    with ``started`` set, until ``release`` is set (at the latest when the block ends)."""
    started, release = threading.Event(), threading.Event()

    def hold(*_args) -> None:
        if not started.is_set():
            started.set()
            release.wait(60)

    hook = engine._predictor.model.image_encoder.register_forward_pre_hook(hold)
    try:
        yield started, release
    finally:
        release.set()
        hook.remove()


@pytest.mark.slow
def test_a_click_does_not_wait_for_the_next_images_embedding(
        qtbot, tmp_path: Path, mobile_sam: Path) -> None:
    current, following = _images(tmp_path)
    worker = SmartBoxWorker()
    events: list[tuple[str, object]] = []
    worker.signals.embedded.connect(lambda key, _s: events.append(("embedded", key)))
    worker.signals.gave_way.connect(lambda key: events.append(("gave way", key)))
    worker.signals.proposed.connect(lambda request, _r: events.append(("proposed", request)))
    try:
        with qtbot.waitSignal(worker.signals.opened, timeout=120_000):
            worker.open(str(mobile_sam))
        with qtbot.waitSignal(worker.signals.embedded, timeout=120_000):
            worker.embed(current)
        engine = worker._engine
        with _held_encoder(engine) as (started, release):
            worker.embed(following, PREFETCH)
            qtbot.waitUntil(started.is_set, timeout=120_000)
            worker.propose(1, current, Prompt(positive=((160.0, 120.0),)))
            release.set()
            qtbot.waitUntil(lambda: ("embedded", following) in events, timeout=120_000)
    finally:
        worker.shutdown()
    assert events == [("embedded", current), ("gave way", following), ("proposed", 1),
                      ("embedded", following)]
    assert engine.gave_way == 1 and engine.encoder_calls == 2  # each image embedded once
    assert engine.cached_keys() == [current, following]


@pytest.mark.slow
def test_the_prefetch_of_the_image_put_on_screen_is_not_stopped(
        qtbot, tmp_path: Path, mobile_sam: Path) -> None:
    """Moving on to the image being prefetched asks for that same embedding: it goes on."""
    current, following = _images(tmp_path)
    worker = SmartBoxWorker()
    embedded: list[str] = []
    worker.signals.embedded.connect(lambda key, _s: embedded.append(key))
    try:
        with qtbot.waitSignal(worker.signals.opened, timeout=120_000):
            worker.open(str(mobile_sam))
        engine = worker._engine
        with _held_encoder(engine) as (started, release):
            worker.embed(following, PREFETCH)
            qtbot.waitUntil(started.is_set, timeout=120_000)
            worker.embed(following)  # the user opened it: its embedding is now wanted
            release.set()
            qtbot.waitUntil(lambda: following in embedded, timeout=120_000)
        worker.embed(current)
        qtbot.waitUntil(lambda: current in embedded, timeout=120_000)
    finally:
        worker.shutdown()
    assert engine.gave_way == 0 and embedded == [following, current]
    assert engine.encoder_calls == 2
