"""Smart box engines: GrabCut on generated penguins, SAM with random weights, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from penguin_studio.core.boxes import box_iou
from penguin_studio.core.sample import PENGUIN, render_image
from penguin_studio.core.smartbox.choice import load_for_smart_box, open_engine
from penguin_studio.core.smartbox.grabcut import HINT_NOTHING, GrabCutEngine
from penguin_studio.core.smartbox.prompt import Prompt


def _free_penguins(count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(image, box) for penguins that touch no other object and not the image's edge."""
    out = []
    for index in range(count):
        image, boxes = render_image(0, index, 320)
        h, w = image.shape[:2]
        for b in boxes:
            if b[0] != PENGUIN or b[1] <= 0 or b[2] <= 0 or b[3] >= w or b[4] >= h:
                continue
            if any(min(b[3], o[3]) > max(b[1], o[1]) and min(b[4], o[4]) > max(b[2], o[2])
                   for o in boxes if o is not b):
                continue
            out.append((image, np.array(b[1:], float)))
    return out


@pytest.fixture(scope="module")
def penguins() -> list[tuple[np.ndarray, np.ndarray]]:
    found = _free_penguins(40)  # the benchmark's 40 images: 46 penguins
    assert len(found) >= 40
    return found


def _iou(a, b) -> float:
    return 0.0 if a is None else float(box_iou(np.array(a), b)[0, 0])


def test_grabcut_click_at_the_centre_of_a_penguin_gives_its_box(penguins) -> None:
    engine = GrabCutEngine()
    ious = []
    for image, gt in penguins:
        centre = ((gt[0] + gt[2]) / 2, (gt[1] + gt[3]) / 2)
        result = engine.propose("k", image, Prompt(positive=(centre,)))
        assert result.engine == "GrabCut"
        ious.append(_iou(result.box, gt))
    ious = np.array(ious)
    # The goal: 80% at IoU >= 0.8. Measured on these 46 penguins: 83% (38 of 46;
    # GrabCut's k-means is seeded, so the figure is exact), 78% before a lopsided find was
    # looked at again centred on the click. What is left: a black back on dark rock or
    # water taken for ground (the belly alone), blurred penguins, a lying penguin's spill.
    assert np.mean(ious >= 0.8) >= 0.8, ious.round(2)
    assert np.median(ious) >= 0.85


def test_grabcut_rough_drag_20_percent_larger_snaps_to_the_penguin(penguins) -> None:
    engine = GrabCutEngine()
    ious = []
    for image, gt in penguins:
        cx, cy = (gt[0] + gt[2]) / 2, (gt[1] + gt[3]) / 2
        bw, bh = gt[2] - gt[0], gt[3] - gt[1]
        rough = (cx - 0.6 * bw, cy - 0.6 * bh, cx + 0.6 * bw, cy + 0.6 * bh)
        result = engine.propose("k", image, Prompt(box=rough))
        ious.append(_iou(result.box, gt))
    ious = np.array(ious)
    # The bound: a rough drag snaps to IoU >= 0.85, asserted for 80% of the
    # penguins (measured 87%, 40 of 46; 80-85% with other k-means seeds). A box 20% larger
    # on each axis scores 1/1.44 = 0.69 before snapping.
    assert np.mean(ious >= 0.85) >= 0.8, ious.round(2)
    assert np.median(ious) >= 0.9
    assert np.mean(ious) > 1 / 1.44 + 0.15


def test_a_tight_drag_is_left_about_where_it_is(penguins) -> None:
    """The ground-truth box itself as the drag: snapping must not eat into it (measured:
    median IoU 0.94 against it, as before the rough-drag rim was added)."""
    engine = GrabCutEngine()
    ious = np.array([_iou(engine.propose("k", image, Prompt(box=tuple(gt))).box, gt)
                     for image, gt in penguins])
    assert np.median(ious) >= 0.92, ious.round(2)


def test_the_same_click_gives_the_same_box(penguins) -> None:
    """GrabCut starts from k-means with OpenCV's global RNG: seeded, a click does not
    depend on what was clicked before."""
    image, gt = penguins[3]
    centre = ((gt[0] + gt[2]) / 2, (gt[1] + gt[3]) / 2)
    engine = GrabCutEngine()
    first = engine.propose("k", image, Prompt(positive=(centre,))).box
    engine.propose("k", penguins[5][0], Prompt(positive=((30.0, 30.0),)))
    assert engine.propose("k", image, Prompt(positive=(centre,))).box == first


def test_a_box_never_leaves_the_image(penguins) -> None:
    image, gt = penguins[0]
    h, w = image.shape[:2]
    result = GrabCutEngine().propose("k", image, Prompt(box=(-50, -50, w + 50, h + 50),
                                                        positive=((gt[0] + 2, gt[1] + 2),)))
    if result.box is not None:
        x0, y0, x1, y1 = result.box
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h


def test_a_find_beside_the_click_is_kept_not_looked_at_again() -> None:
    """GrabCut can lose the piece under the click and keep a neighbouring one, so the find
    may lie beside the click (seen on an aquarium photo). The second, click-centred look
    mirrors the find's near side about the click; beside it that side is negative, and the
    look once divided by a zero-sized box. Such a find is returned as it is."""
    from penguin_studio.core.smartbox import grabcut
    from penguin_studio.core.smartbox.prompt import SmartBoxResult

    image, _ = render_image(0, 1, 320)
    found = SmartBoxResult((100.0, 60.0, 170.0, 110.0), grabcut.NAME)
    for click in ((95.0, 112.0), (100.0, 120.0), (175.0, 58.0)):
        assert grabcut._centred(image, found, Prompt(positive=(click,))) is found


def test_featureless_area_gives_no_box_and_a_hint() -> None:
    flat = np.full((240, 320, 3), 128, np.uint8)
    result = GrabCutEngine().propose("k", flat, Prompt(positive=((160, 120),)))
    assert result.box is None
    assert result.hint == HINT_NOTHING


def test_click_outside_the_image_gives_no_box() -> None:
    image, _ = render_image(0, 1, 320)
    result = GrabCutEngine().propose("k", image, Prompt(positive=((-5, 10),)))
    assert result.box is None and result.hint


def test_image_that_cannot_be_decoded_gives_the_reason(tmp_path: Path) -> None:
    from penguin_studio.core.errors import UserError

    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(UserError, match="broken.jpg"):
        load_for_smart_box(bad)


# ----- SAM, without network: ultralytics' own builders, random weights ------------------

def _random_sam(folder: Path, name: str) -> Path:
    import torch

    from penguin_studio.core import engine

    engine.ultralytics_module()
    from ultralytics.models.sam import build

    folder.mkdir(parents=True, exist_ok=True)
    if name == "mobile_sam.pt":
        model = build.build_mobile_sam()
    else:  # SAM 2.1 tiny: the 2.1 layout is chosen from the checkpoint's name
        loader = build._load_checkpoint
        build._load_checkpoint = lambda model, _ckpt: model
        try:
            model = build.build_sam2_t(checkpoint="sam2.1_t.pt")
        finally:
            build._load_checkpoint = loader
    path = folder / name
    torch.save(model.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def mobile_sam(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _random_sam(tmp_path_factory.mktemp("sam"), "mobile_sam.pt")


@pytest.mark.slow
def test_mobile_sam_click_gives_a_box_and_reuses_the_embedding(mobile_sam: Path) -> None:
    """Random weights: only the mechanics are checked, the box's quality is not asserted."""
    opened = open_engine(mobile_sam, cache_images=1)
    engine = opened.engine
    assert opened.note is None and engine.name.startswith("MobileSAM")
    image, boxes = render_image(0, 1, 320)
    h, w = image.shape[:2]
    first = engine.propose("a", image, Prompt(positive=((w / 2, h / 2),)))
    assert engine.encoder_calls == 1
    assert first.box is not None
    x0, y0, x1, y1 = first.box
    assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    engine.propose("a", image, Prompt(positive=((w / 3, h / 3),), negative=((5, 5),)))
    engine.propose("a", image, Prompt(box=(10, 10, w / 2, h / 2)))
    assert engine.encoder_calls == 1  # the clicks only ran the prompt decoder
    other, _ = render_image(0, 2, 320)
    engine.embed("b", other)
    assert engine.encoder_calls == 2
    assert engine.cached_keys() == ["b"]  # "a" evicted: this cache holds one image
    engine.propose("a", image, Prompt(positive=((w / 2, h / 2),)))
    assert engine.encoder_calls == 3


@pytest.mark.slow
def test_a_huge_image_is_embedded_at_the_model_size(mobile_sam: Path) -> None:
    engine = open_engine(mobile_sam).engine
    huge = np.zeros((6000, 8000, 3), np.uint8)
    huge[2000:4000, 3000:5000] = (30, 200, 90)
    seen = []
    hook = engine._predictor.model.image_encoder.register_forward_hook(
        lambda _m, args, _out: seen.append(tuple(args[0].shape[-2:])))
    try:
        result = engine.propose("huge", huge, Prompt(positive=((4000, 3000),)))
    finally:
        hook.remove()
    assert seen == [(1024, 1024)]
    assert result.box is None or (result.box[0] >= 0 and result.box[2] <= 8000)
    again = engine.propose("huge", huge, Prompt(positive=((3500, 2500),)))
    assert again.seconds < 2.0  # only the decoder: no second embedding of 48 megapixels
    assert engine.encoder_calls == 1


@pytest.mark.slow
def test_sam21_tiny_loads_through_the_engine(tmp_path: Path) -> None:
    """Random weights: the box is checked to be inside the image, not for quality."""
    path = _random_sam(tmp_path, "sam2.1_t.pt")
    engine = open_engine(path).engine
    assert engine.name.startswith("SAM 2.1 tiny")
    image, _ = render_image(0, 3, 160)
    h, w = image.shape[:2]
    result = engine.propose("a", image, Prompt(positive=((w / 2, h / 2),)))
    if result.box is not None:
        assert 0 <= result.box[0] < result.box[2] <= w
    engine.propose("a", image, Prompt(positive=((w / 4, h / 4),)))
    assert engine.encoder_calls == 1


def test_foreign_or_corrupt_weights_fall_back_to_grabcut_and_say_what_they_are(
        tmp_path: Path) -> None:
    import torch

    other = tmp_path / "other.pt"
    torch.save({"fc.weight": torch.zeros(2, 2)}, other)
    opened = open_engine(other)
    assert opened.engine.name == "GrabCut"
    assert "not Segment Anything weights" in opened.note and "GrabCut" in opened.note

    corrupt = tmp_path / "mobile_sam.pt"
    corrupt.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    opened = open_engine(corrupt)
    assert opened.engine.name == "GrabCut" and "damaged" in opened.note

    text = tmp_path / "notes.pt"
    text.write_text("hello", encoding="utf-8")
    assert "not a PyTorch checkpoint" in open_engine(text).note


@pytest.mark.slow
def test_a_yolo_detector_given_as_sam_weights_is_named(tmp_path: Path) -> None:
    from penguin_studio.core import engine

    ul = engine.ultralytics_module()
    path = tmp_path / "yolov8n.pt"
    ul.YOLO("yolov8n.yaml").save(str(path))
    opened = open_engine(path)
    assert opened.engine.name == "GrabCut"
    assert "YOLO detection model" in opened.note


# ----- CLI ---------------------------------------------------------------------------------

def _sample_image(tmp_path: Path) -> tuple[Path, np.ndarray]:
    import cv2

    image, boxes = render_image(0, 4, 320)
    path = tmp_path / "penguins.png"
    cv2.imwrite(str(path), image)
    box = next(np.array(b[1:], float) for b in boxes if b[0] == PENGUIN)
    return path, box


def test_cli_prints_the_box_and_the_engine(tmp_path: Path, capsys) -> None:
    import json

    from penguin_studio.cli import main

    path, gt = _sample_image(tmp_path)
    cx, cy = (gt[0] + gt[2]) / 2, (gt[1] + gt[3]) / 2
    bw, bh = gt[2] - gt[0], gt[3] - gt[1]
    rough = f"{cx - 0.6 * bw},{cy - 0.6 * bh},{cx + 0.6 * bw},{cy + 0.6 * bh}"
    assert main(["smartbox", str(path), "--box", rough, "--weights", "grabcut",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert doc["engine"] == "GrabCut" and len(doc["box"]) == 4
    assert main(["smartbox", str(path), "--point", f"{cx},{cy}"]) == 0
    assert "engine: GrabCut" in capsys.readouterr().out


def test_cli_bad_input_gives_one_line(tmp_path: Path, capsys) -> None:
    from penguin_studio.cli import main

    path, _ = _sample_image(tmp_path)
    notes = tmp_path / "notes.pt"
    notes.write_text("hello", encoding="utf-8")
    assert main(["smartbox", str(path), "--point", "5,5", "--weights", str(notes)]) in (0, 1)
    err = capsys.readouterr().err
    assert "warning: notes.pt is not a PyTorch checkpoint" in err and "GrabCut" in err
    assert main(["smartbox", str(path), "--point", "12"]) == 1
    assert "must be 2 numbers" in capsys.readouterr().err
    assert main(["smartbox", str(notes), "--point", "1,1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_fastsam_picks_the_smallest_mask_under_the_click_and_the_best_for_a_box() -> None:
    from penguin_studio.core.smartbox.fastsam import select_mask

    masks = np.zeros((3, 100, 100), bool)
    masks[0, 10:90, 10:90] = True    # a large region (say, a rock) ...
    masks[1, 40:60, 40:60] = True    # ... with a small object on it
    masks[2, 0:20, 70:100] = True
    def pick(prompt: Prompt, scale: float) -> int | None:
        mask = select_mask(masks, prompt, scale)
        return None if mask is None else next(i for i, m in enumerate(masks)
                                               if np.array_equal(m, mask))

    assert pick(Prompt(positive=((50, 50),)), 1.0) == 1
    assert pick(Prompt(positive=((20, 20),)), 1.0) == 0
    # a mask holding a background point is never the answer
    assert pick(Prompt(positive=((50, 50),), negative=((80, 80),)), 1.0) == 1
    assert pick(Prompt(positive=((20, 20),), negative=((30, 30),)), 1.0) is None
    assert pick(Prompt(box=(68, 0, 100, 22)), 1.0) == 2
    assert pick(Prompt(positive=((99, 99),)), 1.0) is None
    # coordinates are scaled to the masks' resolution (an image twice the size)
    assert pick(Prompt(positive=((100, 100),)), 0.5) == 1


def test_a_click_uses_every_core_only_on_an_idle_machine(monkeypatch) -> None:
    """SAM's decoder takes both cores only while nothing else keeps them busy; GrabCut runs
    on one OpenCV thread whatever the process chose before (ultralytics turns them off on
    import; OpenCV's default is every core); both leave the counts as they found them."""
    import cv2
    import torch

    from penguin_studio.core.smartbox import click_threads as ct

    monkeypatch.setattr(ct.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(ct.os, "getloadavg", lambda: (0.4, 0.5, 0.5))
    assert ct.click_threads() == 2
    monkeypatch.setattr(ct.os, "getloadavg", lambda: (7.5, 8.0, 8.0))  # a shared CI box
    assert ct.click_threads() == 1
    before = torch.get_num_threads()
    assert ct.with_torch_threads(2, torch.get_num_threads) == 2
    assert torch.get_num_threads() == before  # restored after the click
    cv_before = cv2.getNumThreads()
    assert ct.with_opencv_threads(1, cv2.getNumThreads) == 1
    assert cv2.getNumThreads() == cv_before
    seen = []
    monkeypatch.setattr(cv2, "grabCut", lambda *a: seen.append(cv2.getNumThreads()))
    image, _ = render_image(0, 1, 320)
    cv2.setNumThreads(2)
    try:
        GrabCutEngine().propose("k", image, Prompt(box=(40.0, 40.0, 120.0, 120.0)))
        assert seen and set(seen) == {1} and cv2.getNumThreads() == 2
    finally:
        cv2.setNumThreads(cv_before)


@pytest.mark.slow
def test_a_background_embedding_gives_way_and_caches_nothing(mobile_sam: Path) -> None:
    """The next image's embedding, running, stops at the encoder's next layer when a click
    asks (give_way): nothing cached, False returned, and the click is answered at once."""
    import threading

    engine = open_engine(mobile_sam).engine
    image, _ = render_image(0, 1, 320)
    other, _ = render_image(0, 2, 320)
    engine.embed("a", image)
    started, asked = threading.Event(), threading.Event()

    def hold(*_args) -> None:  # the encoder has started on "b": hold it until asked
        started.set()
        asked.wait(60)

    hook = engine._predictor.model.image_encoder.register_forward_pre_hook(hold)
    done: list[bool] = []
    prefetch = threading.Thread(target=lambda: done.append(engine.embed("b", other, True)))
    prefetch.start()
    try:
        assert started.wait(120)
        engine.give_way()
    finally:
        asked.set()
        prefetch.join(120)
        hook.remove()
    assert done == [False] and not engine.cached("b") and engine.gave_way == 1
    assert engine.encoder_calls == 1  # the stopped run never reached the encoder's end
    h, w = image.shape[:2]
    assert engine.propose("a", image, Prompt(positive=((w / 2, h / 2),))).engine
    assert engine.embed("b", other, background=True)  # queued again, it completes
    assert engine.cached_keys() == ["a", "b"] and engine.encoder_calls == 2
    engine.give_way()  # a request nobody served is forgotten at the next foreground call
    engine.propose("b", other, Prompt(positive=((w / 2, h / 2),)))
    assert engine.embed("c", image, background=True) and engine.gave_way == 1
