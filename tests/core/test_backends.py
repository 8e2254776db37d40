"""OpenVINO and ONNX Runtime give torch's boxes; exports are cached, rebuilt and fallen back.

A model that really detects (scores above 0.25) is needed for the equality to mean
anything: the module fixture fine-tunes the shared COCO backbone's head on the sample
penguins for a few epochs (skipped when ../shared/data is absent).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_DATA, shared_dataset

from penguin_studio.core.evaluation.matching import box_iou
from penguin_studio.core.inference import backends, predict
from penguin_studio.core.inference.filtering import Detections, filter_detections

pytestmark = pytest.mark.slow

EXPORTED = (backends.OPENVINO, backends.ONNXRUNTIME)
IMGSZ = 128


@pytest.fixture(scope="module")
def sample_root(tmp_path_factory) -> Path:
    from penguin_studio.core.sample import generate_sample

    root = tmp_path_factory.mktemp("backend-sample")
    generate_sample(root, images=24, imgsz=IMGSZ, force=True)
    return root


@pytest.fixture(scope="module")
def detecting_weights(sample_root, tmp_path_factory) -> Path:
    """A model whose boxes pass the default 0.25 threshold, trained here in about a minute."""
    backbone = SHARED_DATA / "weights" / "yolov5nu-coco-backbone.pt"
    if not backbone.exists():
        pytest.skip("../shared/data/weights is not present")
    from penguin_studio.core import engine

    project = tmp_path_factory.mktemp("backend-run")
    model = engine.load_model(backbone)
    model.train(data=str(sample_root / "data.yaml"), imgsz=IMGSZ, epochs=20, freeze=10,
                batch=8, workers=0, device="cpu", plots=False, val=False, amp=False,
                mosaic=0.0, warmup_epochs=0, optimizer="SGD", lr0=0.02, lrf=1.0,
                project=str(project), name="run", exist_ok=True, verbose=False)
    return project / "run" / "weights" / "last.pt"


def sample_images(root: Path) -> list[Path]:
    return sorted(p for p in (root / "images").rglob("*.jpg"))


def compare(theirs: Detections, ours: Detections) -> tuple[bool, list[float], list[float]]:
    """Same count?, and for each torch box its best IoU and confidence gap in ``ours``."""
    if len(theirs) == 0 or len(ours) == 0:
        return len(theirs) == len(ours), [], []
    iou = box_iou(theirs.xyxy, ours.xyxy)
    best = iou.argmax(1)
    same_class = ours.cls[best] == theirs.cls
    ious = np.where(same_class, iou.max(1), 0.0)
    gaps = np.abs(ours.conf[best] - theirs.conf)
    return len(theirs) == len(ours), ious.tolist(), gaps.tolist()


@pytest.fixture(scope="module")
def raw_runs(detecting_weights):
    """Raw candidates per (backend, image), each image predicted once per backend."""
    predictors: dict[str, predict.Predictor] = {}
    cache: dict[tuple[str, Path], Detections] = {}

    def raw(backend: str, path: Path) -> Detections:
        if backend not in predictors:
            predictors[backend] = predict.Predictor(detecting_weights, IMGSZ, backend=backend)
            assert predictors[backend].backend == backend, predictors[backend].backend_note
        if (backend, path) not in cache:
            cache[(backend, path)] = predictors[backend].raw(predict.read_image(path))[0]
        return cache[(backend, path)]

    return raw


def assert_equal_boxes(raw_runs, images: list[Path], backend: str, conf: float = 0.25,
                       iou: float = 0.7) -> int:
    """The issue's criterion; returns how many torch boxes were compared."""
    same, ious, gaps = 0, [], []
    for path in images:
        theirs = filter_detections(raw_runs(backends.TORCH, path), conf, iou)
        ours = filter_detections(raw_runs(backend, path), conf, iou)
        equal, box_ious, box_gaps = compare(theirs, ours)
        same += equal
        if equal:
            ious += box_ious
            gaps += box_gaps
    assert same >= 0.98 * len(images), f"{backend}: same count on {same}/{len(images)}"
    assert min(ious, default=1.0) >= 0.99, backend
    assert max(gaps, default=0.0) <= 0.01, backend
    return len(ious)


@pytest.mark.parametrize("backend", EXPORTED)
def test_backend_boxes_equal_torch_on_the_sample(raw_runs, sample_root, backend):
    compared = assert_equal_boxes(raw_runs, sample_images(sample_root), backend)
    assert compared >= 10  # the model does detect: the comparison is not vacuous


@pytest.mark.parametrize("backend", EXPORTED)
def test_backend_boxes_equal_torch_on_real_photos(raw_runs, backend):
    images = sorted((shared_dataset("aquarium-test") / "test" / "images").glob("*.jpg"))[:40]
    assert_equal_boxes(raw_runs, images, backend)
    assert_equal_boxes(raw_runs, images, backend, conf=0.05)  # more boxes


def test_export_is_cached_outside_the_weights_folder_and_rebuilt_on_change(
        detecting_weights, tiny_weights, tmp_path):
    weights = tmp_path / "mine" / "model.pt"
    weights.parent.mkdir()
    shutil.copyfile(detecting_weights, weights)
    first = backends.ensure_export(weights, IMGSZ, backends.ONNXRUNTIME)
    again = backends.ensure_export(weights, IMGSZ, backends.ONNXRUNTIME)
    assert not first.cached and first.seconds > 0
    assert again.cached and again.seconds == 0.0 and again.path == first.path
    assert backends.exports_root() in first.path.parents
    assert sorted(p.name for p in weights.parent.iterdir()) == ["model.pt"]  # nothing beside

    shutil.copyfile(tiny_weights, weights)  # the user retrained: same path, new content
    rebuilt = backends.ensure_export(weights, IMGSZ, backends.ONNXRUNTIME)
    assert not rebuilt.cached and rebuilt.path != first.path


def test_a_corrupt_cached_export_is_deleted_rebuilt_and_said_once(detecting_weights):
    from penguin_studio.core import engine

    torch_model = engine.load_model(detecting_weights)
    path = backends.ensure_export(detecting_weights, IMGSZ, backends.ONNXRUNTIME).path
    path.write_bytes(b"this is not an onnx file")
    loaded = backends.load_backend(detecting_weights, IMGSZ, backends.ONNXRUNTIME, torch_model)
    assert loaded.backend == backends.ONNXRUNTIME
    assert loaded.note == "The cached ONNX Runtime model was damaged; it was deleted and rebuilt."
    again = backends.load_backend(detecting_weights, IMGSZ, backends.ONNXRUNTIME, torch_model)
    assert again.backend == backends.ONNXRUNTIME and again.note == ""


def test_a_backend_that_cannot_load_falls_back_to_torch_with_one_line(detecting_weights,
                                                                      monkeypatch):
    from penguin_studio.core import engine

    def broken(path):
        raise RuntimeError("simulated runtime failure\nsecond line of detail")

    monkeypatch.setattr(engine, "load_exported", broken)
    predictor = predict.Predictor(detecting_weights, IMGSZ, backend=backends.OPENVINO)
    assert predictor.backend == backends.TORCH
    assert predictor.take_note() == ("OpenVINO could not be used (simulated runtime failure); "
                                     "running on PyTorch.")
    assert predictor.take_note() == ""  # reported once
    raw, _ms = predictor.raw(np.zeros((IMGSZ, IMGSZ, 3), np.uint8))  # torch still works
    assert isinstance(raw, Detections)


def test_openvino_missing_keeps_torch_silently_and_settings_say_why(detecting_weights,
                                                                    monkeypatch):
    from penguin_studio.core import engine

    real = backends.importlib.util.find_spec
    monkeypatch.setattr(backends.importlib.util, "find_spec",
                        lambda name, *a: None if name in ("openvino", "onnxruntime")
                        else real(name, *a))
    assert backends.available_backends() == [backends.TORCH]
    assert "OpenVINO is not installed for this platform" in backends.settings_explanation()
    torch_model = engine.load_model(detecting_weights)
    auto = backends.resolve(detecting_weights, IMGSZ, backends.AUTO, torch_model)
    assert auto.backend == backends.TORCH and auto.note == ""
    asked = backends.resolve(detecting_weights, IMGSZ, backends.OPENVINO, torch_model)
    assert asked.backend == backends.TORCH and "not installed" in asked.note


def test_automatic_measures_once_per_model_and_size_then_remembers(detecting_weights,
                                                                   monkeypatch):
    from penguin_studio.core import engine

    torch_model = engine.load_model(detecting_weights)
    first = backends.resolve(detecting_weights, 96, backends.AUTO, torch_model)
    remembered = backends.remembered_choice(detecting_weights, 96)
    assert remembered is not None and remembered["backend"] == first.backend
    assert set(remembered["ms"]) == {"torch", "openvino", "onnxruntime"}
    assert first.backend == min(remembered["ms"], key=remembered["ms"].get)

    def no_second_measure(*_a, **_k):
        raise AssertionError("measured again")

    monkeypatch.setattr(backends, "time_model", no_second_measure)
    again = backends.resolve(detecting_weights, 96, backends.AUTO, torch_model)
    assert again.backend == first.backend


def test_live_runs_on_the_chosen_backend_and_says_so(detecting_weights, tmp_path):
    from penguin_studio.core.inference.live import FilterSettings, LivePipeline
    from penguin_studio.core.inference.video import VideoSource, write_sample_video

    clip = write_sample_video(tmp_path / "clip.mp4", seconds=0.5, fps=20, size=(160, 120))
    states: list[tuple[str, str]] = []
    pipeline = LivePipeline(VideoSource.file(clip), detecting_weights, pace="fast",
                            imgsz=IMGSZ, backend=backends.OPENVINO,
                            settings=FilterSettings(conf=0.25),
                            on_state=lambda s, m: states.append((s, m)))
    pipeline.start()
    assert pipeline.join(60), "the pipeline did not finish"
    assert pipeline.detector is not None and pipeline.detector.backend == backends.OPENVINO
    assert ("running", "Running on clip.mp4 (OpenVINO).") in states
    assert states[-1][0] == "ended" and pipeline.stats_snapshot().processed == 10


def test_cli_predict_on_onnx_runtime_names_the_backend(detecting_weights, sample_root, capfd):
    import json

    from penguin_studio.cli import main

    image = sample_images(sample_root)[0]
    code = main(["predict", "--weights", str(detecting_weights), "--source", str(image),
                 "--imgsz", str(IMGSZ), "--backend", "onnxruntime", "--json"])
    out, _err = capfd.readouterr()
    assert code == 0
    doc = json.loads(out)
    assert doc["backend"] == "onnxruntime" and doc["images"][0]["boxes"]
