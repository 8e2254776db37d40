"""The window fits a 1280×720 laptop screen on every panel, even with a long project path."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QScrollArea, QWidget

from penguin_studio.ui.app import create_application
from penguin_studio.ui.main_window import MainWindow
from penguin_studio.ui.panel_registry import PANELS
from penguin_studio.ui.widgets.elided_label import ElidedLabel

WIDTH, HEIGHT = 1280, 720


@pytest.fixture
def deep_project(tiny_dataset_master: Path, tmp_path: Path) -> Path:
    """The tiny dataset at a long path, with a long class name: what used to widen the window."""
    root = tmp_path.joinpath(*["a-rather-long-folder-name-for-a-project"] * 5, "penguins")
    shutil.copytree(tiny_dataset_master, root)
    data_yaml = root / "data.yaml"
    text = data_yaml.read_text(encoding="utf-8").replace(str(tiny_dataset_master), str(root))
    data_yaml.write_text(text.replace("rock", "rock-or-something-that-looks-like-a-rock"),
                         encoding="utf-8")
    assert len(str(data_yaml)) > 250
    return data_yaml


@pytest.fixture
def window(qtbot, deep_project: Path):
    create_application()
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.context.dataset_changed, timeout=30_000):
        win.context.open_path(deep_project)
    yield win
    win.close()


def every_page(window: MainWindow) -> Iterator[str]:
    """Show each panel and each page inside it (tabs, wizard steps, dataset pages)."""
    for spec in PANELS:
        panel = window.show_panel(spec.key)
        if spec.key == "dataset":
            for page in ("images", "editor", "stats", "doctor"):
                panel.show_page(page)
                yield f"dataset-{page}"
            panel.show_page("images")
        elif spec.key == "train":
            for step in range(len(panel.wizard.pages)):
                panel.wizard.go(step)
                yield f"train-step{step + 1}"
            panel.wizard.go(0)
            for tab in (1, 2):
                panel.tabs.setCurrentIndex(tab)
                yield f"train-{panel.tabs.tabText(tab)}"
            panel.tabs.setCurrentIndex(0)
        elif spec.key == "evaluate":
            for tab in range(panel.tabs.count()):
                panel.tabs.setCurrentIndex(tab)
                yield f"evaluate-{panel.tabs.tabText(tab)}"
        else:
            yield spec.key


def clipped_buttons(root: QWidget) -> list[str]:
    """Visible buttons whose rectangle leaves a parent's (scrolled content is allowed to)."""
    clipped = []
    for button in root.findChildren(QAbstractButton):
        if not button.isVisible() or button.width() <= 0:
            continue
        widget: QWidget = button
        while widget is not root and widget.parentWidget() is not None:
            parent = widget.parentWidget()
            if isinstance(parent.parentWidget(), QAbstractScrollArea):
                break  # a scroll area's viewport: its content may scroll out of view
            if not parent.rect().contains(widget.geometry()):
                clipped.append(f"{button.text() or button.toolTip()!r} in "
                               f"{type(parent).__name__}")
                break
            widget = parent
        if button.width() < button.minimumSizeHint().width():
            clipped.append(f"{button.text()!r} squeezed")
    return clipped


def cut_off_columns(root: QWidget) -> list[str]:
    """Scroll areas that scroll only vertically but hold content wider than their view: the
    right edge of their buttons is cut off with no way to scroll to it."""
    cut = []
    for area in root.findChildren(QScrollArea):
        content = area.widget()
        if not area.isVisible() or content is None \
                or area.horizontalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff:
            continue
        if content.minimumSizeHint().width() > area.viewport().width():
            wide = [f"{type(w).__name__} {w.minimumSizeHint().width()}"
                    for w in content.findChildren(QWidget)
                    if w.isVisible() and w.minimumSizeHint().width() > area.viewport().width()
                    - 30]
            cut.append(f"{content.minimumSizeHint().width()} > {area.viewport().width()}: "
                       f"{wide}")
    return cut


def test_every_panel_fits_1280x720_with_a_long_project_path(window: MainWindow, qtbot,
                                                            tmp_path: Path) -> None:
    window.resize(WIDTH, HEIGHT)
    for name in every_page(window):
        qtbot.wait(20)
        window.resize(WIDTH, HEIGHT)
        hint = window.minimumSizeHint()
        assert hint.width() <= WIDTH and hint.height() <= HEIGHT, (name, hint)
        qtbot.waitUntil(lambda: window.width() == WIDTH, timeout=2000)
        assert window.height() == HEIGHT, name
        assert clipped_buttons(window.stack.currentWidget()) == [], name
        assert cut_off_columns(window.stack.currentWidget()) == [], name
        assert window.grab().save(str(tmp_path / f"{name}.png"))


def test_dataset_header_elides_the_path_and_keeps_it_in_the_tooltip(
        window: MainWindow, qtbot, deep_project: Path) -> None:
    window.resize(WIDTH, HEIGHT)
    panel = window.show_panel("dataset")
    subtitle = panel.subtitle
    qtbot.waitUntil(lambda: subtitle.is_elided(), timeout=2000)
    assert isinstance(subtitle, ElidedLabel)
    assert "…" in subtitle.shown_text()
    assert subtitle.shown_text().endswith("data.yaml")
    assert str(deep_project) in subtitle.text()
    assert subtitle.toolTip() == str(deep_project)
    tools = next(b for b in panel.findChildren(QAbstractButton) if b.text() == "Tools")
    right_edge = tools.mapTo(window, tools.rect().topRight()).x()
    assert right_edge < WIDTH
    assert panel.browser.list_button.mapTo(window, panel.browser.list_button.rect()
                                           .topRight()).x() < WIDTH


def test_detect_source_path_is_elided(window: MainWindow, qtbot) -> None:
    window.resize(WIDTH, HEIGHT)
    panel = window.show_panel("detect")
    label = panel.source_label
    qtbot.waitUntil(lambda: label.is_elided(), timeout=2000)
    assert label.text() == panel.source
    assert label.toolTip() == panel.source
