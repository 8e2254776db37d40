"""The model manager dialog: named COCO models, download on request, import a .pt.

Downloads run in the background with progress and Cancel (the partial file is kept, so the
next download continues it). Importing warns once that checkpoints can run code.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core import appdirs
from penguin_studio.core.training import models
from penguin_studio.ui.file_dialogs import start_folder
from penguin_studio.ui.jobs import start_job
from penguin_studio.ui.train.smart_box_models import SmartBoxChoice, sam_caption


def _download(ctx, name: str):
    return models.download_model(name, ctx)


class ModelManagerDialog(QDialog):
    """Lists weights; ``models_changed`` fires after a download or an import."""

    models_changed = Signal()

    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context  # ui.context.AppContext: downloads run through ui.jobs
        self.setWindowTitle("Pretrained models")
        self.resize(640, 480)
        self._job = None
        intro = QLabel(
            "Feature extraction and fine-tuning start from pretrained weights. The COCO models "
            "below are downloaded from ultralytics' GitHub releases only when you ask (once, "
            f"on a connected machine); they are kept in <tt>{appdirs.weights_dir()}</tt>.")
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Model", "Status", "Size"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.clicked.connect(self._cancel)
        self.import_button = QPushButton("Import .pt…")
        self.import_button.clicked.connect(self._pick_import)
        self.smart = SmartBoxChoice(self)
        self.folder_button = QPushButton("Open folder")
        self.folder_button.clicked.connect(lambda: QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(appdirs.weights_dir()))))
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (self.download_button, self.cancel_button, self.import_button,
                  self.folder_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addWidget(self.smart.row)
        self.refresh()

    def refresh(self) -> None:
        rows = models.list_models() + models.list_sam_models()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            if row.on_disk:
                status = "on disk" if row.named else "imported"
            elif row.partial:
                status = "partly downloaded"
            else:
                status = "not downloaded"
            size = f"{row.size / 1e6:.1f} MB" if row.size else ""
            if row.named and not row.on_disk:
                approx = models.named_model(row.name).size_mb
                size = f"{size} of ≈{approx:.0f} MB" if size else f"≈{approx:.0f} MB"
            shown = sam_caption(row.name) or row.name
            for j, text in enumerate((shown, status, size)):
                item = QTableWidgetItem(text)
                if j == 1 and row.on_disk:
                    item.setForeground(Qt.GlobalColor.darkGreen)
                self.table.setItem(i, j, item)
        self._update_buttons()

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.rows[rows[0].row()].name if rows else None

    def select(self, name: str) -> None:
        for i, row in enumerate(self.rows):
            if row.name == name:
                self.table.selectRow(i)

    def _update_buttons(self) -> None:
        name = self.selected_name()
        row = next((r for r in self.rows if r.name == name), None)
        busy = self._job is not None
        self.download_button.setEnabled(bool(row and row.named and not row.on_disk) and not busy)
        self.download_button.setText("Continue download" if row and row.partial else "Download")
        self.cancel_button.setVisible(busy)
        self.smart.update(row)

    # ----- download ------------------------------------------------------------------------------
    def download_selected(self) -> None:
        name = self.selected_name()
        if not name or self._job is not None:
            return
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.message.setText(f"Downloading {name}…")
        # the dialog shows the progress and the outcome; a failure is its red line, no dialog
        self._job = start_job(self.context, "Download", _download, name, quiet=True,
                              error_dialog=False, on_done=self._downloaded,
                              on_failed=self._failed, on_progress=self._progress,
                              on_cancelled=self._cancelled)
        self._update_buttons()

    def _progress(self, done: int, total: int, message: str) -> None:
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
        self.message.setText(f"{message}: {done / 1e6:.1f} of {total / 1e6:.1f} MB"
                             if total else message)

    def _finish(self, text: str) -> None:
        self._job = None
        self.progress.setVisible(False)
        self.message.setText(text)
        self.refresh()

    def _downloaded(self, path) -> None:
        self._finish(f"Saved {path}.")
        self.models_changed.emit()

    def _failed(self, message: str) -> None:
        self._finish(f"<span style='color:#cf222e'>{message}</span>")

    def _cancelled(self) -> None:
        self._finish("Download cancelled; the part downloaded so far is kept for next time.")

    def _cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()

    # ----- import -------------------------------------------------------------------------------
    def _pick_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import weights", start_folder(None),
                                              "PyTorch checkpoints (*.pt)")
        if path:
            self.import_file(path)

    def import_file(self, path: str, confirm: bool = True) -> None:
        """Copy ``path`` into the weights folder (after the one-time trust warning)."""
        if models.trust_warning_needed():
            if confirm:
                answer = QMessageBox.warning(
                    self, "Only import trusted checkpoints", models.TRUST_WARNING,
                    QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel)
                if answer != QMessageBox.StandardButton.Ok:
                    return
            models.acknowledge_trust_warning()
        from penguin_studio.core.errors import UserError

        try:
            dest = models.import_weights(path)
        except UserError as exc:
            self.message.setText(f"<span style='color:#cf222e'>{exc}</span>")
            return
        self.message.setText(f"Imported {dest.name}.")
        self.refresh()
        self.models_changed.emit()

    def shutdown(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job.wait(5000)
