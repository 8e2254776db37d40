"""The app says what it is doing and what went wrong, where the user looks.

An empty filter result says so and offers to clear the filters; a truncated JPEG reads
"error" in the browser as in the editor; the doctor's progress fits; file dialogs open in
the project's folder, never in the process's working folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from penguin_studio.ui.dataset.browser_model import BrowserFilter
from penguin_studio.ui.dataset.panel import DatasetPanel
from penguin_studio.ui.file_dialogs import start_folder
from penguin_studio.ui.widgets.weights_picker import WeightsPicker


@pytest.fixture
def panel(open_dataset_panel, tiny_dataset: Path) -> DatasetPanel:
    return open_dataset_panel(tiny_dataset)


def test_a_filter_that_hides_every_image_says_so_and_clears(qtbot, panel: DatasetPanel,
                                                            tmp_path: Path) -> None:
    browser = panel.browser
    assert not browser.empty.isVisible()
    browser.filters.search.setText("no-such-penguin")
    qtbot.waitUntil(lambda: browser.model.rowCount() == 0, timeout=2000)
    assert browser.empty.isVisible()
    assert browser.empty_label.text() == "No image matches these filters."
    viewport = browser.view.viewport().rect()
    assert browser.empty.geometry() == viewport  # centred over the grid, not off in a corner
    panel.grab().save(str(tmp_path / "empty.png"))
    browser.clear_filters_button.click()
    assert browser.model.rowCount() == len(browser.model.all_records())
    assert browser.filters.search.text() == ""
    assert browser.model.filter == BrowserFilter()
    assert not browser.empty.isVisible()


def test_a_truncated_jpeg_reads_error_in_the_browser(qtbot, open_dataset_panel,
                                                     tiny_dataset: Path) -> None:
    image = sorted((tiny_dataset.parent / "images" / "train").glob("*.jpg"))[0]
    data = image.read_bytes()
    image.write_bytes(data[: len(data) * 2 // 3])  # a download cut short
    panel = open_dataset_panel(tiny_dataset)
    assert panel.wait_until_idle()
    record = panel.browser.model.record(image)
    qtbot.waitUntil(lambda: panel.thumbnails.has_result(record.key), timeout=10000)
    assert "ends early" in (panel.thumbnails.error(record.key) or "")
    assert panel.browser.delegate.status_chip(record)[0] == "error"  # not "unlabelled"…
    with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
        panel.edit_image(image)
    assert panel.editor.canvas.image_size is None  # … as the editor says it cannot be shown
    assert "cannot be shown" in panel.editor.canvas.message
    panel.show_page("images")
    panel.browser.filters.show_problems()
    qtbot.waitUntil(lambda: panel.browser.model.rowCount() >= 1, timeout=2000)
    assert panel.browser.model.record_at(0).path == image


def test_doctor_progress_text_fits(qtbot, panel: DatasetPanel) -> None:
    doctor = panel.show_page("doctor")
    doctor.set_running(True)
    doctor.set_progress(150, 1200, "checking images and labels")
    bar = doctor.progress
    assert bar.text() == "150 / 1200"
    assert bar.fontMetrics().horizontalAdvance(bar.text()) < bar.width() - 8
    assert doctor.summary.text() == "Checking images and labels…"
    doctor.set_running(False)


def test_file_dialogs_open_in_the_project_folder(qtbot, panel: DatasetPanel, tiny_dataset: Path,
                                                 tmp_path: Path, monkeypatch) -> None:
    elsewhere = tmp_path / "where-the-app-was-started"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    project = tiny_dataset.parent
    asked: list[str] = []

    def record_open(_parent, _title, folder="", *_a, **_k):
        asked.append(folder)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", record_open)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda _p, _t, folder="", *_a, **_k: asked.append(folder) or "")
    panel.transfer.import_coco()
    panel.transfer.import_voc()
    picker = WeightsPicker()
    qtbot.addWidget(picker)
    picker.refresh(panel.dataset)
    picker.combo.setCurrentText("")
    picker._browse()  # the model picker of Detect, Evaluate and Live
    assert asked and all(Path(a) == project for a in asked), asked
    assert start_folder(panel.dataset) == str(project)
    assert start_folder(None) == str(Path.home())  # never "" (the working folder)
    assert start_folder(panel.dataset, "relative.pt") == str(project)
    assert os.getcwd() == str(elsewhere)
