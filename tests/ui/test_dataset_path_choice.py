"""A copied project opens on its own images: new projects and the sample hold no absolute
path, and a copy whose yaml still points at the original says so and asks before editing."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from penguin_studio.core.sample import generate_sample
from penguin_studio.ui.dataset.panel import DatasetPanel
from penguin_studio.ui.dataset.path_choice import BESIDE, KEEP


def _old_style_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A sample as older versions wrote it (absolute path:), then its folder copied."""
    original = generate_sample(tmp_path / "original", images=6).root
    data = yaml.safe_load((original / "data.yaml").read_text())
    (original / "data.yaml").write_text(yaml.safe_dump({"path": str(original), **data}))
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    return original, copy


def _reopened(qtbot, panel: DatasetPanel, action) -> None:
    with qtbot.waitSignal(panel.context.dataset_changed, timeout=20000):
        action()
    qtbot.waitUntil(lambda: panel.index is not None, timeout=20000)


def test_a_copy_pointing_at_the_original_asks_before_editing(qtbot, open_dataset_panel,
                                                             tmp_path: Path) -> None:
    original, copy = _old_style_copy(tmp_path)
    before = (original / "data.yaml").read_text()
    panel = open_dataset_panel(copy / "data.yaml")
    banner = panel.path_choice.banner
    assert banner.isVisible() and str(original) in banner.label.text()
    assert "holds the images too" in banner.label.text()
    asked: list[str] = []
    panel.path_choice.ask = lambda text: asked.append(text)  # the user cancels
    record = panel.browser.model.record_at(0)
    panel._open_record(record)
    assert asked and panel.current_page == "images"  # no editor before an answer
    panel.jobs.ask_text = lambda *_a: "seal"
    panel.class_actions.add()
    assert len(asked) == 2 and not panel.jobs.busy  # no tool either
    panel.path_choice.ask = lambda text: BESIDE
    _reopened(qtbot, panel, lambda: panel._open_record(record))
    assert panel.dataset.root == copy and not banner.isVisible()
    assert all(copy in image.parents for image in panel.dataset.images())
    assert "path" not in yaml.safe_load((copy / "data.yaml").read_text())
    assert (original / "data.yaml").read_text() == before
    panel._open_record(panel.browser.model.record_at(0))  # asked no more
    assert panel.current_page == "editor"
    assert copy in panel.editor.current_record.path.parents
    assert not panel.errors


def test_keeping_the_path_is_a_banner_button_and_is_not_asked_again(
        qtbot, open_dataset_panel, tmp_path: Path) -> None:
    original, copy = _old_style_copy(tmp_path)
    panel = open_dataset_panel(copy / "data.yaml")
    panel.path_choice.ask = lambda text: pytest.fail("asked although answered")
    _reopened(qtbot, panel, panel.path_choice.banner.buttons["Use the path in the yaml"].click)
    assert panel.dataset.root == original and not panel.path_choice.banner.isVisible()
    panel._open_record(panel.browser.model.record_at(0))
    assert panel.current_page == "editor"
    assert KEEP == "keep"  # the answer the button gives


def test_new_project_and_sample_from_the_app_write_relative_yamls(
        qtbot, open_dataset_panel, tmp_path: Path) -> None:
    folder = tmp_path / "shots"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"shot{i}.jpg"), np.full((48, 64, 3), 60 * i, np.uint8))
    panel = open_dataset_panel(folder)
    panel.jobs.ask_text = lambda *_a: "penguin"
    panel.jobs.confirm = lambda *_a: True
    _reopened(qtbot, panel, panel.class_actions.add)  # the first class makes the project
    assert "path" not in yaml.safe_load((folder / "data.yaml").read_text())
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    _reopened(qtbot, panel, lambda: panel.context.open_path(copy))
    assert panel.dataset.root == copy and not panel.path_choice.banner.isVisible()
    panel._open_record(panel.browser.model.record_at(0))
    assert panel.editor.current_record.path.parent == copy  # the copy's images are edited
    # (the sample's yaml: tests/core/test_portable_paths.py, generate_sample is what the
    # first launch runs)
