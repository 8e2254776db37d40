"""Live panel controls say what they do: Resume shows play, the sample video loops."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_panel import open_live_panel
from PySide6.QtWidgets import QPushButton, QStyle

from penguin_studio.ui.live.panel import LivePanel

pytestmark = pytest.mark.slow


@pytest.fixture
def live(qtbot, tiny_dataset: Path, tiny_weights: Path, monkeypatch) -> LivePanel:
    widget = open_live_panel(qtbot, tiny_dataset, tiny_weights, monkeypatch)
    yield widget
    widget.shutdown()


def shows_icon(button: QPushButton, pixmap: QStyle.StandardPixmap) -> bool:
    expected = button.style().standardIcon(pixmap).pixmap(16).toImage()
    return button.icon().pixmap(16).toImage() == expected


def test_sample_video_loops_by_default_and_resume_shows_play(qtbot, live: LivePanel,
                                                             tmp_path: Path) -> None:
    assert live.picker.kind == "sample"
    assert live.loop_check.isChecked()  # 12 s of sample would end before a user finds Pause
    with qtbot.waitSignal(live.state_changed, timeout=30000,
                          check_params_cb=lambda s, _m: s == "running"):
        live.start()
    assert live.pipeline.loop
    assert shows_icon(live.pause_button, QStyle.StandardPixmap.SP_MediaPause)
    live.pause_button.click()
    qtbot.waitUntil(lambda: live.state == "paused", timeout=20000)
    assert live.pause_button.text() == "Resume"
    assert shows_icon(live.pause_button, QStyle.StandardPixmap.SP_MediaPlay)
    live.pause_button.click()
    qtbot.waitUntil(lambda: live.state == "running", timeout=20000)
    assert shows_icon(live.pause_button, QStyle.StandardPixmap.SP_MediaPause)
    live.stop_button.click()
    qtbot.waitUntil(lambda: live.state == "stopped", timeout=20000)

    live.set_source(tmp_path / "clip.mp4")  # another source starts with Loop off…
    assert not live.loop_check.isChecked()
    live.loop_check.setChecked(True)
    live.picker.text.setText(str(tmp_path / "other.mp4"))  # … and keeps what the user ticks
    assert live.loop_check.isChecked()
    live.picker.select("sample")
    assert live.loop_check.isChecked()


def test_every_pipeline_state_has_a_row_of_controls() -> None:
    """The table names each state the pipeline reports; Start and Stop never both work,
    and nothing but Stop works while a video opens."""
    from penguin_studio.core.inference.live import ACTIVE_STATES, FINAL_STATES
    from penguin_studio.ui.live.sidebar import CONTROL_STATES, controls_in

    assert set(CONTROL_STATES) == {"idle", *ACTIVE_STATES, *FINAL_STATES}
    for state, row in CONTROL_STATES.items():
        assert row.start == (state not in ACTIVE_STATES) == row.setup
        assert row.stop == (state in ACTIVE_STATES)
        assert row.pause == row.record == (state in ("running", "paused"))
    assert controls_in("opening") == controls_in("loading") and not controls_in("opening").pause
    assert controls_in("a state from a newer pipeline") == CONTROL_STATES["idle"]
