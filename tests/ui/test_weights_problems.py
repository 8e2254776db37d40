"""A file that is no model, picked in Detect, Evaluate or Live: one plain line saying what it
is and what to pick, no job, no traceback, and no Reconnect in Live."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from live_panel import no_camera, show_live_panel
from threads import live_threads

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.inference.video import write_sample_video
from penguin_studio.ui.context import AppContext
from penguin_studio.ui.widgets.weights_picker import WeightsPicker

TEXT_PROBLEM = ("notes.txt is a text file, not a model: pick a trained .pt file, such as a "
                "training run's weights/best.pt.")


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("penguins seen on Tuesday\n")
    return path


@pytest.fixture
def context(tiny_dataset: Path):
    ctx = AppContext()
    ctx.dataset = open_dataset(tiny_dataset)
    ctx.errors = []
    ctx.error.connect(lambda _title, message: ctx.errors.append(message))
    yield ctx
    ctx.shutdown()


def _no_traceback(capfd) -> None:
    err = capfd.readouterr().err
    assert "Traceback" not in err and "TypeError" not in err


def test_detect_names_a_text_file_and_runs_nothing(qtbot, context, notes, capfd) -> None:
    from penguin_studio.ui.detect.panel import DetectPanel

    panel = DetectPanel(context)
    qtbot.addWidget(panel)
    panel.weights.set_path(str(notes))
    assert panel.message.text() == TEXT_PROBLEM  # said as soon as it is picked
    assert "#e03131" in panel.weights.combo.styleSheet()  # the box is outlined in red
    panel.set_source(str(context.dataset.images("val")[0].parent))  # would run the model
    assert not panel.job.busy and panel.session.current is None
    assert panel.message.text() == TEXT_PROBLEM and context.errors == []
    panel.prelabel(0.5)
    assert not panel.job.busy and context.errors == []
    panel.weights.set_path("")
    assert panel.message.text() == ""  # the problem goes with the file
    _no_traceback(capfd)
    panel.shutdown()


def test_evaluate_names_a_data_yaml_picked_as_model(qtbot, context, tiny_dataset,
                                                    capfd) -> None:
    from penguin_studio.ui.evaluate.panel import EvaluatePanel

    panel = EvaluatePanel(context)
    qtbot.addWidget(panel)
    panel.weights.set_path(str(tiny_dataset))
    panel.run()
    assert not panel.job.busy and context.errors == []
    text = panel.warning.text()
    assert text.startswith("data.yaml is not a model but a data yaml") and "\n" not in text
    assert not panel.warning.isHidden()
    _no_traceback(capfd)
    panel.shutdown()


def test_evaluate_names_a_text_file(qtbot, context, notes, capfd) -> None:
    from penguin_studio.ui.evaluate.panel import EvaluatePanel

    panel = EvaluatePanel(context)
    qtbot.addWidget(panel)
    panel.weights.set_path(str(notes))
    panel.run()
    assert not panel.job.busy and panel.warning.text() == TEXT_PROBLEM
    _no_traceback(capfd)
    panel.shutdown()


@pytest.fixture
def live(qtbot, context, monkeypatch):
    no_camera(monkeypatch)
    panel = show_live_panel(qtbot, context)
    yield panel
    panel.shutdown()


def test_live_uses_the_shared_picker_and_names_a_text_file_without_reconnect(
        qtbot, live, notes, capfd) -> None:
    assert isinstance(live.weights, WeightsPicker)  # the picker of Detect and Evaluate
    live.set_weights(notes)
    assert live.weights_note.text() == TEXT_PROBLEM
    live.start()
    assert live.pipeline is None  # nothing was opened
    assert live.banner.isVisible() and live.banner_text.text() == TEXT_PROBLEM
    assert not live.reconnect_button.isVisible()
    _no_traceback(capfd)


def test_live_model_that_fails_to_load_offers_no_reconnect(qtbot, live, tmp_path,
                                                           capfd) -> None:
    # a zip that names ultralytics' DetectionModel passes the cheap check, then fails in torch
    fake = tmp_path / "fake.pt"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("fake/data.pkl",
                         b"\x80\x02cultralytics.nn.tasks\nDetectionModel\n)\x81.")
    clip = write_sample_video(tmp_path / "clip.mp4", seconds=0.5, fps=10, size=(160, 120))
    live.set_source(clip)
    live.set_weights(fake)
    with qtbot.waitSignal(live.state_changed, timeout=30000,
                          check_params_cb=lambda s, _m: s == "failed"):
        live.start()
    message = live.banner_text.text()
    assert message.startswith("Cannot load fake.pt as a YOLO model") and "\n" not in message
    assert live.banner.isVisible() and not live.reconnect_button.isVisible()
    qtbot.waitUntil(lambda: not live_threads(), timeout=5000)
    _no_traceback(capfd)


def test_prelabel_dialog_names_a_text_file_and_will_not_start(qtbot, context, notes) -> None:
    from penguin_studio.ui.dataset.prelabel_actions import PrelabelDialog

    dialog = PrelabelDialog(context.dataset, unlabelled=3)
    qtbot.addWidget(dialog)
    dialog.weights.setText(str(notes))
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled() and dialog.problem.text() == TEXT_PROBLEM
    dialog.weights.clear()
    assert dialog.problem.isHidden()
