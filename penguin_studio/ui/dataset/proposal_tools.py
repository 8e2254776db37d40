"""The Dataset panel's side of model-assisted labelling: the Tools menu, the badges' counts.

- *Pre-label unlabelled images…* runs the core's ``prelabel`` job (``prelabel_actions``);
- the browser learns how many proposals each image still has to review from a background
  scan of the proposals folder (after opening a dataset and after each pre-label run) and
  from the editor after each decision;
- *Review proposals* filters the browser to those images and opens the first in the editor.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu, QWidget

from penguin_studio.core.dataset.project import Dataset
from penguin_studio.core.inference.prelabel import PROPOSALS_DIR
from penguin_studio.core.jobs import JobContext
from penguin_studio.ui.dataset.browser import ImageBrowser
from penguin_studio.ui.dataset.editor import AnnotationEditor
from penguin_studio.ui.dataset.job_strip import JobStrip
from penguin_studio.ui.dataset.prelabel_actions import PrelabelActions
from penguin_studio.ui.dataset.proposal_review import pending_counts
from penguin_studio.ui.dataset.records import UNLABELLED, ImageRecord
from penguin_studio.ui.jobs import start_job


def proposals_folder(dataset: Dataset) -> Path:
    return dataset.root.resolve() / PROPOSALS_DIR


def _scan_job(_ctx: JobContext, dataset: Dataset) -> tuple[dict[str, int], list[str]]:
    return pending_counts(dataset)


class ProposalTools(QObject):
    """Pre-labelling and proposal counts for the panel's browser and editor."""

    scan_finished = Signal()  # the proposals folder's counts are in (or could not be read)

    def __init__(self, panel: QWidget, context, browser: ImageBrowser,
                 editor: AnnotationEditor, strip: JobStrip,
                 dataset_getter: Callable[[], Dataset | None],
                 open_record: Callable[[ImageRecord], None]) -> None:
        super().__init__(panel)
        self.context = context
        self.browser = browser
        self.editor = editor
        self._dataset = dataset_getter
        self._open_record = open_record
        self.prelabel = PrelabelActions(panel, context, strip, dataset_getter,
                                        self.unlabelled_count)
        self.prelabel.finished.connect(self._prelabelled)
        self.scan_job = None
        self._show_after_scan = False
        editor.proposals_changed.connect(
            lambda path, n: browser.model.update_pending(str(path), n))

    def menu(self, parent: QWidget) -> QMenu:
        menu = QMenu(parent)
        action = menu.addAction("Pre-label unlabelled images…", self.prelabel.start)
        action.setToolTip("Propose boxes on images without labels with a trained model")
        menu.addAction("Review proposals", self.review)
        return menu

    @property
    def busy(self) -> bool:
        return self.prelabel.busy or self.scan_job is not None

    def unlabelled_count(self) -> int:
        return sum(1 for r in self.browser.model.all_records()
                   if r.summary.status == UNLABELLED)

    # ----- counts -------------------------------------------------------------------------
    def dataset_opened(self, dataset: Dataset | None) -> None:
        self.editor.set_proposals_root(dataset.root if dataset is not None else None)
        self.scan()

    def scan(self, show: bool = False) -> None:
        """Count proposals to review per image, off the GUI thread (no folder: nothing)."""
        dataset = self._dataset()
        if self.scan_job is not None:
            self.scan_job.cancel()
            self.scan_job = None
        if dataset is None or not proposals_folder(dataset).is_dir():
            return
        self._show_after_scan = show
        # a failure is this tool's own status line; a rescan replaces the last one unsaid
        self.scan_job = start_job(
            self.context, "Reading proposals", _scan_job, dataset, quiet=True,
            error_dialog=False, cancelled_text=None,
            on_done=lambda result, ds=dataset: self._scanned(ds, result),
            on_failed=lambda msg: self._scan_failed(msg))

    def _scanned(self, dataset: Dataset, result: tuple[dict[str, int], list[str]]) -> None:
        if dataset is not self._dataset():
            return
        self.scan_job = None
        self.scan_finished.emit()
        counts, damaged = result
        self.browser.model.set_pending(counts)
        if damaged:
            self.context.status_message.emit(
                f"{len(damaged)} proposals files cannot be read: {damaged[0]}", 10000)
        if self._show_after_scan and counts:
            self.browser.filters.show_proposals()

    def _scan_failed(self, message: str) -> None:
        self.scan_job = None
        self.scan_finished.emit()
        self.context.status_message.emit(f"Could not read the proposals: {message}", 8000)

    def _prelabelled(self, report) -> None:
        self.scan(show=report is not None and report.proposals > 0)
        self.editor.proposals.reload()

    # ----- review -------------------------------------------------------------------------
    def review(self) -> None:
        """Show only images with proposals to review and open the first one."""
        self.browser.filters.show_proposals()
        first = self.browser.model.record_at(0)
        if first is None:
            self.context.status_message.emit(
                "No image has proposals to review. Use Tools ▸ Pre-label unlabelled images.",
                5000)
            return
        self._open_record(first)

    def shutdown(self) -> None:
        self.prelabel.shutdown()
        if self.scan_job is not None:
            self.scan_job.cancel()
