"""Import (COCO JSON, Pascal VOC, Ultralytics zip) and export menus, run as background jobs.

Imports write into the open project (its data yaml) when there is one, else beside the
source, never overwrite an existing label file, and end with the core's report of what was
converted and what was skipped and why. File pickers are attributes so tests can answer them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox, QWidget

from penguin_studio.core.dataset.project import SPLITS
from penguin_studio.ui.dataset.dataset_jobs import DatasetJobs
from penguin_studio.ui.file_dialogs import start_folder


def _open_file(parent: QWidget, title: str, filters: str, start: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, start, filters)
    return path or None


def _save_file(parent: QWidget, title: str, suggested: str, filters: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path or None


def _folder(parent: QWidget, title: str, start: str) -> str | None:
    return QFileDialog.getExistingDirectory(parent, title, start) or None


def _split(parent: QWidget, title: str) -> str | None:
    split, ok = QInputDialog.getItem(parent, title, "Add the imported images to split:",
                                     list(SPLITS), 0, False)
    return split if ok else None


class TransferActions:
    """Builds the Import and Export menus and runs the chosen converter."""

    def __init__(self, jobs: DatasetJobs, parent: QWidget, dataset_getter) -> None:
        self.jobs = jobs
        self.parent = parent
        self._dataset = dataset_getter
        self.open_file = lambda title, filters: _open_file(parent, title, filters,
                                                           self._start())
        self.save_file = lambda title, name, filters: _save_file(parent, title, name, filters)
        self.choose_folder = lambda title: _folder(parent, title, self._start())
        self.choose_split = lambda title: _split(parent, title)
        self.show_report = self._show_report

    def _start(self) -> str:
        """Pickers open in the project's folder (not wherever the app was started)."""
        return start_folder(self._dataset())

    def import_menu(self) -> QMenu:
        menu = QMenu(self.parent)
        menu.addAction("COCO JSON…", self.import_coco)
        menu.addAction("Pascal VOC folder…", self.import_voc)
        menu.addAction("Ultralytics dataset zip…", self.import_zip)
        return menu

    def export_menu(self) -> QMenu:
        menu = QMenu(self.parent)
        menu.addAction("Ultralytics dataset zip…", self.export_zip)
        menu.addAction("COCO JSON…", self.export_coco)
        menu.addAction("Pascal VOC…", self.export_voc)
        return menu

    # ----- imports ------------------------------------------------------------------------
    def _target_yaml(self) -> Path | None:
        ds = self._dataset()
        return ds.yaml_path if ds is not None else None

    def import_coco(self) -> None:
        from penguin_studio.core.dataset import coco

        source = self.open_file("Import COCO JSON", "COCO JSON (*.json);;All files (*)")
        split = self.choose_split("Import COCO JSON") if source else None
        if source and split:
            target = self._target_yaml()
            self.jobs.run("Import COCO", lambda ctx: coco.import_coco(
                source, None, target, split, ctx=ctx), on_done=self._imported)

    def import_voc(self) -> None:
        from penguin_studio.core.dataset import voc

        source = self.choose_folder("Folder of Pascal VOC XML files")
        split = self.choose_split("Import Pascal VOC") if source else None
        if source and split:
            target = self._target_yaml()
            self.jobs.run("Import Pascal VOC", lambda ctx: voc.import_voc(
                source, None, target, split, ctx=ctx), on_done=self._imported)

    def import_zip(self) -> None:
        from penguin_studio.core.dataset import yolozip

        source = self.open_file("Import Ultralytics dataset zip", "Zip (*.zip)")
        dest = self.choose_folder("Empty folder to extract into") if source else None
        if source and dest:
            self.jobs.run("Import dataset zip", lambda ctx: yolozip.import_yolo_zip(
                source, dest), on_done=lambda ds: self.jobs.reopen(
                    ds.yaml_path or ds.root, f"Extracted into {dest}."))

    def _imported(self, report) -> None:
        self.show_report("Import finished", report)
        self.jobs.reopen(report.output, f"Imported {report.summary()}")

    # ----- exports ------------------------------------------------------------------------
    def export_zip(self) -> None:
        from penguin_studio.core.dataset import yolozip

        ds = self._dataset()
        if ds is None:
            return
        out = self.save_file("Export Ultralytics dataset zip", f"{ds.title}.zip", "Zip (*.zip)")
        if out:
            self.jobs.run("Export zip", lambda ctx: yolozip.export_yolo_zip(ds, out, ctx=ctx),
                          on_done=lambda r: self.show_report("Export finished", r))

    def export_coco(self) -> None:
        from penguin_studio.core.dataset import coco

        ds = self._dataset()
        if ds is None:
            return
        out = self.save_file("Export COCO JSON", f"{ds.title}.json", "COCO JSON (*.json)")
        if out:
            self.jobs.run("Export COCO", lambda ctx: coco.export_coco(ds, out, ctx=ctx),
                          on_done=lambda r: self.show_report("Export finished", r))

    def export_voc(self) -> None:
        from penguin_studio.core.dataset import voc

        ds = self._dataset()
        if ds is None:
            return
        out = self.choose_folder("Folder for the Pascal VOC export")
        if out:
            self.jobs.run("Export Pascal VOC", lambda ctx: voc.export_voc(ds, out, ctx=ctx),
                          on_done=lambda r: self.show_report("Export finished", r))

    def _show_report(self, title: str, report) -> None:
        self.jobs.context.status_message.emit(f"{title}: {report.summary()}", 10000)
        box = QMessageBox(QMessageBox.Icon.Information, title, report.summary(),
                          QMessageBox.StandardButton.Ok, self.parent)
        if report.skipped:
            box.setDetailedText("\n".join(f"{s.reason}: {s.source} {s.detail}".strip()
                                          for s in report.skipped[:500]))
        if report.output:
            box.setInformativeText(f"Written: {report.output}")
        box.open()
