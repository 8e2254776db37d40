"""The Train panel's Tune page for real: a 2-iteration search, live table, best into a run."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from penguin_studio.core.training import tuning
from penguin_studio.core.training.config import load_hyp_file


@pytest.fixture
def panel(qtbot, tiny_dataset: Path, monkeypatch: pytest.MonkeyPatch):
    from penguin_studio.ui.main_window import MainWindow

    for name in ("warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: QMessageBox.StandardButton.Ok)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.context.dataset_changed, timeout=20_000):
        win.context.open_path(tiny_dataset)
    yield win.show_panel("train")
    win.close()


def _fill(page, recipe: str = "scratch", iterations: int = 2) -> None:
    page.recipe.setCurrentIndex(page.recipe.findData(recipe))
    page.arch.setCurrentText("yolov8n.yaml")
    page.iterations.setValue(iterations)
    page.epochs.setValue(1)
    page.imgsz.setValue(64)
    page.batch.setValue(4)
    page.device.setCurrentText("cpu")


@pytest.mark.slow
def test_a_search_fills_the_table_and_its_best_opens_a_new_run(qtbot, panel) -> None:
    page = panel.tune_page
    panel.tabs.setCurrentWidget(page)
    _fill(page)
    sup = page.start()
    assert sup is not None and page.stop_button.isEnabled()
    rows: list[dict] = []
    sup.event.connect(lambda e: rows.append(e) if e["type"] == "iteration" else None)
    with qtbot.waitSignal(sup.ended, timeout=240_000) as ended:
        pass
    assert ended.args[0].status == "completed", ended.args[0].message
    assert page.results.table.rowCount() == 2 == len(rows)
    header = [page.results.table.horizontalHeaderItem(c).text()
              for c in range(page.results.table.columnCount())]
    assert header[:3] == ["#", "fitness", "mAP50"] and "lr0" in header
    assert page.results.fitness_points.getData()[0].tolist() == [1.0, 2.0]
    assert page.use_button.isEnabled() and "Changed from ultralytics' defaults" in \
        page.result.text()
    best = Path(page.best_hyp)
    assert best.name == tuning.BEST_HYP and load_hyp_file(best)["optimizer"] == "AdamW"

    page.use_button.click()  # the wizard's settings page, with the file loaded
    wiz = panel.wizard
    assert panel.tabs.currentWidget() is wiz and wiz.recipe_page.recipe == "scratch"
    assert wiz.settings_page.hyp_path == str(best)
    assert wiz.settings_page.optimizer.currentText() == "AdamW"
    assert wiz.config().hyp == str(best)


def test_a_bad_search_space_is_refused_in_the_page(qtbot, panel, tmp_path: Path) -> None:
    page = panel.tune_page
    bad = tmp_path / "space.yaml"
    bad.write_text("lr0: [0.1, 0.01]\n")
    assert not page.load_space(str(bad))
    assert "impossible" in page.space_label.text() and page.space_path is None
    good = tmp_path / "good.yaml"
    good.write_text("lr0: [0.0001, 0.01]\nmomentum: [0.8, 0.95]\n")
    assert page.load_space(str(good))
    assert page.config().search_space() == {"lr0": (0.0001, 0.01), "momentum": (0.8, 0.95)}


def test_no_validation_split_is_said_on_the_page(qtbot, panel, tiny_dataset: Path) -> None:
    import yaml

    data = yaml.safe_load(tiny_dataset.read_text())
    data.pop("val")
    tiny_dataset.write_text(yaml.safe_dump(data))
    page = panel.tune_page
    _fill(page)
    sup = page.start()
    with qtbot.waitSignal(sup.failed, timeout=10_000) as failed:
        pass
    assert "tuning needs one" in failed.args[0]
    qtbot.waitUntil(lambda: page.start_button.isEnabled(), timeout=5_000)
    assert "tuning needs one" in page.status.text()


def test_the_wizard_suggests_a_recipe_and_applies_it(qtbot, panel) -> None:
    page = panel.wizard.recipe_page
    qtbot.waitUntil(lambda: page.advice is not None, timeout=20_000)
    assert page.advice_box.isVisible()
    text = page.advice_label.text()
    assert "9 images, 2 classes" in text and " px for " in text and "CPU" in text
    advice = page.advice
    page.advice_button.click()
    s = panel.wizard.settings_page
    assert page.recipe == advice.recipe
    assert s.imgsz.value() == advice.imgsz and s.batch.value() == advice.batch
    assert s.use_time.isChecked() and abs(s.hours.value() * 60 - advice.minutes) < 1
