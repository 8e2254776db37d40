"""The thumbnail browser: lazy thumbnails with a disk cache, corrupt images, filters, stats."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import shared_dataset
from PySide6.QtGui import QImage

from penguin_studio.core.dataset.project import label_path_for
from penguin_studio.ui.dataset.browser_model import PROBLEMS, BrowserFilter
from penguin_studio.ui.dataset.records import UNLABELLED
from penguin_studio.ui.dataset.thumbnails import ThumbnailDiskCache, make_thumbnail


@pytest.fixture
def panel(open_dataset_panel, tiny_dataset: Path):
    return open_dataset_panel(tiny_dataset)


def test_visible_thumbnails_load_off_thread_and_are_cached_on_disk(qtbot, panel) -> None:
    browser = panel.browser
    assert browser.model.rowCount() == 12
    assert panel.wait_until_idle()
    keys = browser.visible_keys()
    assert keys and all(panel.thumbnails.pixmap(k) is not None for k in keys)
    cache = panel.thumbnails.disk
    path = browser.model.record_at(0).path
    key = cache.key(path)
    assert (cache.folder / key[:2] / f"{key}.jpg").exists()
    assert isinstance(cache.load(key), QImage)
    os.utime(path, ns=(0, 10**18))  # a changed file gets a new key, so a new thumbnail
    assert cache.key(path) != key


def test_corrupt_images_show_a_placeholder_with_the_reason(open_dataset_panel,
        qtbot, tiny_dataset, tmp_path):
    images = sorted((tiny_dataset.parent / "images" / "train").glob("*.jpg"))
    images[1].write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 10)
    images[2].write_bytes(b"")
    panel = open_dataset_panel(tiny_dataset)
    try:
        assert panel.wait_until_idle()
        loader = panel.thumbnails
        assert "empty file" in loader.error(str(images[2]))
        assert loader.error(str(images[1]))  # a reason, whatever the decoder says
        assert loader.pixmap(str(images[0])) is not None  # the others keep working
        assert loader.pixmap(str(images[3])) is not None
        # the failure is remembered on disk: no second decode of a broken file
        assert isinstance(make_thumbnail(images[2], ThumbnailDiskCache(loader.disk.folder)),
                          str)
        model = panel.browser.model
        model.set_filter(BrowserFilter(status=PROBLEMS))
        shown = {model.record_at(r).key for r in range(model.rowCount())}
        assert {str(images[1]), str(images[2])} <= shown
        # the editor says why instead of showing pixels, and leaves the labels alone
        label = label_path_for(images[2])
        before = label.read_bytes()
        with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
            panel.edit_image(images[2])
        assert "empty file" in panel.editor.canvas.message
        assert not panel.editor.canvas.editable
        assert label.read_bytes() == before
        panel.grab().save(str(tmp_path / "corrupt.png"))
    finally:
        panel.shutdown()
        panel.context.shutdown()


def test_filters_by_split_class_status_and_name(qtbot, panel) -> None:
    model = panel.browser.model
    ds = panel.dataset
    filters = panel.browser.filters
    filters.split.setCurrentIndex(filters.split.findData("val"))
    qtbot.waitUntil(lambda: model.rowCount() == len(ds.splits["val"]))
    filters.split.setCurrentIndex(0)
    first = model.record_at(0)
    label_path_for(first.path).unlink()
    panel.index.refresh(first.path)
    panel._indexed(panel.index)
    filters.status.setCurrentIndex(filters.status.findData(UNLABELLED))
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    assert model.record_at(0).key == first.key
    filters.status.setCurrentIndex(0)
    with_rock = {str(e.image) for e in panel.index if 1 in e.classes}
    filters.klass.setCurrentIndex(filters.klass.findData(1))
    qtbot.waitUntil(lambda: model.rowCount() == len(with_rock))
    filters.klass.setCurrentIndex(0)
    filters.search.setText(first.name[-8:])
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=3000)
    assert "1 of 12 images" in panel.browser.count_label.text()


def test_list_mode_and_selection(qtbot, panel) -> None:
    browser = panel.browser
    browser.set_grid(False)
    assert panel.wait_until_idle()
    record = browser.model.record_at(5)
    assert browser.select(record.path)
    assert browser.selected_records() == [record]
    browser.set_grid(True)
    assert browser.current_record() is record


def test_edits_update_the_browser_and_the_index(qtbot, panel) -> None:
    record = panel.browser.model.record_at(0)
    editor = panel.editor
    with qtbot.waitSignal(editor.image_shown, timeout=10000):
        panel.edit_image(record.path)
    before = record.summary.boxes
    editor.canvas.select(0)
    editor.canvas.delete_selected()
    assert record.summary.boxes == before - 1
    assert len(panel.index.entry(record.path).boxes) == before - 1


def test_statistics_view(qtbot, panel, tmp_path) -> None:
    stats = panel.show_page("stats")
    qtbot.waitUntil(lambda: stats.index is not None)
    assert stats.cards["images"].value.text() == "12"
    boxes = sum(len(e.boxes) for e in panel.index)
    assert stats.cards["boxes"].value.text() == f"{boxes:,}"
    assert stats.class_plot.listDataItems() or stats.class_plot.getPlotItem().items
    stats.split_choice.setCurrentIndex(stats.split_choice.findData("train"))
    train = panel.index.split_stats()["train"]
    assert stats.cards["images"].value.text() == str(train.images)
    assert not panel.grab().isNull()


def test_pyqtgraph_is_imported_only_when_statistics_are_shown(tiny_dataset) -> None:
    code = textwrap.dedent(f"""
        import sys
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from penguin_studio.core.dataset import open_dataset
        from penguin_studio.ui.context import AppContext
        from penguin_studio.ui.dataset.panel import DatasetPanel
        ctx = AppContext()
        panel = DatasetPanel(ctx)
        ds = open_dataset({str(tiny_dataset)!r})
        ctx.dataset = ds
        ctx.dataset_changed.emit(ds)
        panel.wait_until_idle()
        before = "pyqtgraph" in sys.modules
        panel.show_page("stats")
        print(before, "pyqtgraph" in sys.modules)
        panel.shutdown(); ctx.shutdown()
    """)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["False", "True"]


def test_opens_coco8(open_dataset_panel, qtbot) -> None:
    data = shared_dataset("coco8") / "data.yaml"
    panel = open_dataset_panel(data)
    try:
        assert panel.browser.model.rowCount() == 8
        assert panel.wait_until_idle()
        assert all(panel.thumbnails.pixmap(k) for k in panel.browser.visible_keys())
        record = panel.browser.model.record_at(0)
        with qtbot.waitSignal(panel.editor.image_shown, timeout=10000):
            panel.edit_image(record.path)
        lines = [ln for ln in label_path_for(record.path).read_text().splitlines() if ln.strip()]
        assert len(panel.editor.doc.boxes) == len(lines)
        assert panel.editor.canvas.image_size is not None
    finally:
        panel.shutdown()
        panel.context.shutdown()


def test_opens_the_roboflow_export_with_a_missing_split(open_dataset_panel, qtbot) -> None:
    data = shared_dataset("aquarium-test") / "data.yaml"
    panel = open_dataset_panel(data)
    try:
        assert panel.browser.model.rowCount() == len(panel.dataset.splits["test"])
        assert "⚠" in panel.subtitle.text()  # train/val named but missing: said, not fatal
        assert panel.wait_until_idle()
    finally:
        panel.shutdown()
        panel.context.shutdown()


def test_rows_show_before_the_index_and_end_as_a_full_read_says(
        qtbot, open_dataset_panel, tiny_dataset) -> None:
    """Opening paints the listing at once ("reading labels…"); once the background index is
    read, every record, count and filter is what a full read of the labels gives."""
    from penguin_studio.core.dataset import open_dataset
    from penguin_studio.core.dataset.index import build_index
    from penguin_studio.ui.dataset.records import LABELLED, UNKNOWN, LabelSummary

    label_path_for(sorted((tiny_dataset.parent / "images" / "train").glob("*.jpg"))[0]).unlink()
    panel = open_dataset_panel(tiny_dataset, indexed=False)
    model = panel.browser.model
    assert model.rowCount() == 12 and panel.index is None
    assert {r.summary.status for r in model.all_records()} == {UNKNOWN}
    assert "reading labels" in panel.browser.count_label.text()
    assert panel.browser.wait_until_ready()  # the first page paints from the listing
    qtbot.waitUntil(lambda: panel.index is not None, timeout=20000)
    full = build_index(open_dataset(tiny_dataset))
    assert {r.key: r.summary for r in model.all_records()} == \
        {str(e.image): LabelSummary.of_entry(e) for e in full}
    assert panel.browser.count_label.text() == "12 images"
    model.set_filter(BrowserFilter(status=UNLABELLED))
    assert model.rowCount() == 1
    model.set_filter(BrowserFilter(status=LABELLED))
    assert model.rowCount() == sum(e.status.value == LABELLED for e in full)
    for cls, images in full.images_per_class().items():
        model.set_filter(BrowserFilter(class_id=cls))
        assert model.rowCount() == images
    model.set_filter(BrowserFilter(split="val"))
    assert model.rowCount() == full.split_stats()["val"].images


def test_the_index_keeps_the_selection_made_while_it_was_read(
        qtbot, open_dataset_panel, tiny_dataset) -> None:
    """Rows that stay the same are repainted, not reset: what the user selected while the
    labels were being read stays selected."""
    panel = open_dataset_panel(tiny_dataset, indexed=False)
    record = panel.browser.model.record_at(4)
    assert panel.index is None and panel.browser.select(record.path)
    qtbot.waitUntil(lambda: panel.index is not None, timeout=20000)
    assert panel.browser.selected_records() == [record]
    assert record.summary.status != "unknown"


def test_waiting_for_the_panel_is_an_event_loop_not_a_spin(
        qtbot, open_dataset_panel, tiny_dataset, monkeypatch) -> None:
    """wait_until_idle (screenshots, benchmarks) wakes on the parts' finished signals; it
    never spins processEvents, and it returns with the index read and the page painted."""
    from PySide6.QtWidgets import QApplication

    panel = open_dataset_panel(tiny_dataset, indexed=False)
    spins: list = []
    monkeypatch.setattr(QApplication, "processEvents",
                        staticmethod(lambda *args: spins.append(args)))
    assert panel.wait_until_idle()
    assert panel.index is not None and panel.browser.thumbnails_ready()
    assert not spins
