"""Train, validate and predict through the engine with the network refused: zero attempts."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from penguin_studio.core import engine
from penguin_studio.core.errors import NotACheckpointError, UserError


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempts: list[str] = []

    def refuse(name: str):
        def _refuse(*args, **kwargs):
            attempts.append(f"{name}{args[1:2] if name == 'connect' else args[:1]}")
            raise OSError("network refused by test")

        return _refuse

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


@pytest.mark.slow
def test_train_val_predict_make_no_network_attempt(tiny_dataset: Path, tmp_path: Path,
                                                   no_network: list[str]) -> None:
    ul = engine.ultralytics_module()
    model = ul.YOLO("yolov8n.yaml")
    model.train(data=str(tiny_dataset), epochs=1, imgsz=64, batch=4, device="cpu", workers=0,
                project=str(tmp_path / "runs"), name="offline", plots=True, verbose=False)
    best = tmp_path / "runs" / "offline" / "weights" / "best.pt"
    assert best.exists()
    trained = engine.load_model(best)
    metrics = trained.val(data=str(tiny_dataset), imgsz=64, batch=4, device="cpu",
                          project=str(tmp_path / "val"), plots=True, verbose=False)
    assert 0.0 <= metrics.box.map50 <= 1.0
    image = next((tiny_dataset.parent / "images" / "test").glob("*.jpg"))
    results = trained.predict(str(image), imgsz=64, conf=0.001, verbose=False)
    assert len(results) == 1
    assert no_network == []


def test_configure_sets_offline_environment(app_home: Path) -> None:
    import os

    engine.configure()
    assert os.environ["YOLO_OFFLINE"] == "1"
    assert os.environ["YOLO_AUTOINSTALL"] == "0"
    cfg = Path(os.environ["YOLO_CONFIG_DIR"])
    assert str(cfg).startswith(str(app_home))
    for font in ("Arial.ttf", "Arial.Unicode.ttf"):
        assert (cfg / "Ultralytics" / font).stat().st_size > 10_000


def test_missing_named_model_fails_fast_with_advice() -> None:
    import time

    start = time.monotonic()
    with pytest.raises(UserError, match="Train > Models"):
        engine.load_model("yolo11n.pt")
    assert time.monotonic() - start < 2.0


def test_file_that_is_not_a_checkpoint_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.pt"
    fake.write_text("this is not a checkpoint")
    with pytest.raises(NotACheckpointError, match="not a PyTorch checkpoint"):
        engine.load_model(fake)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(NotACheckpointError, match="empty"):
        engine.load_model(empty)


def test_a_data_yaml_given_as_model_is_named_as_such(tiny_dataset: Path) -> None:
    with pytest.raises(NotACheckpointError, match="is not a model"):
        engine.load_model(tiny_dataset)
