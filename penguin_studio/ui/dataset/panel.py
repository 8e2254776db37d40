"""The Dataset panel: browse thousands of images, edit boxes, classes and splits, check data.

It only assembles the parts beside it in ``penguin_studio.ui.dataset`` and wires them to the app
context: ``dataset_changed`` loads the browser from the listing and hands the dataset to the
label indexer (``label_index``), which reads every label file in the background once the
first thumbnails are in; ``edit_image_requested`` opens an image in the editor. Long work runs
off the GUI thread: thumbnails in a pool, the index, the doctor (``doctor_actions``) and every
dataset tool as jobs.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDeadlineTimer, QPoint, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMenu,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.dataset.project import SPLITS
from penguin_studio.core.dataset.status import LabelStatus
from penguin_studio.ui.dataset import panel_header
from penguin_studio.ui.dataset.browser import ImageBrowser
from penguin_studio.ui.dataset.class_actions import ClassActions
from penguin_studio.ui.dataset.dataset_jobs import DatasetJobs
from penguin_studio.ui.dataset.doctor_actions import DoctorActions
from penguin_studio.ui.dataset.editor import AnnotationEditor
from penguin_studio.ui.dataset.job_strip import JobStrip
from penguin_studio.ui.dataset.label_index import LabelIndexer
from penguin_studio.ui.dataset.label_less import LabelLess
from penguin_studio.ui.dataset.path_choice import PathChoice
from penguin_studio.ui.dataset.proposal_tools import ProposalTools
from penguin_studio.ui.dataset.records import (
    ImageRecord,
    LabelSummary,
    records_for,
    summaries_from_index,
)
from penguin_studio.ui.dataset.split_actions import SplitActions
from penguin_studio.ui.dataset.thumbnails import ThumbnailLoader
from penguin_studio.ui.dataset.transfer_actions import TransferActions
from penguin_studio.ui.jobs import wait_until
from penguin_studio.ui.panel_registry import panel_spec

PAGES = {"images": "Images", "editor": "Editor", "stats": "Statistics", "doctor": "Doctor"}


class DatasetPanel(QWidget):
    """Browser, editor, statistics and doctor of the open dataset, one page at a time."""

    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.dataset = None
        self.thumbnails = ThumbnailLoader(self)
        self.browser = ImageBrowser(self.thumbnails)
        self.editor = AnnotationEditor(self.thumbnails)
        self.indexer = LabelIndexer(context, self.browser.painted, self.editor.documents,
                                    self._first_page_ready, self)
        self.stats = None
        self.doctor = None
        self.jobs = DatasetJobs(self, context)
        self.doctor_actions = DoctorActions(context, self.jobs, lambda: self.dataset,
                                            self.browser.model, self.editor.forget_documents,
                                            self)
        self.path_choice = PathChoice(self, context, lambda: self.dataset)
        self.jobs.guard = self.path_choice.allow_edit  # a yaml pointing elsewhere: ask first
        self.class_actions = ClassActions(self.jobs, lambda: self.dataset,
                                          self.editor.forget_documents)
        self.split_actions = SplitActions(self.jobs, self, lambda: self.dataset,
                                          lambda: self.index)
        self.transfer = TransferActions(self.jobs, self, lambda: self.dataset)
        self.job_strip = JobStrip()
        self.proposal_tools = ProposalTools(self, context, self.browser, self.editor,
                                            self.job_strip, lambda: self.dataset,
                                            self._open_record)
        self.label_less = LabelLess(self, context, self.browser, self.editor,
                                    lambda: self.dataset, self._proposals_refreshed)
        self.label_less.effort_changed.connect(self._show_effort)
        self.pages = QStackedWidget()
        self._page_widgets: dict[str, QWidget] = {}
        self._return_panel = ""  # the panel that sent the image being edited
        self._stats_timer = QTimer(self, singleShot=True, interval=400)
        self._stats_timer.timeout.connect(self._refresh_stats)
        self._build()
        self._connect()
        self._on_dataset(context.dataset)

    # ----- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        self.title, self.subtitle, titles = panel_header.titles()
        header = QHBoxLayout()
        header.setContentsMargins(12, 10, 12, 4)
        header.addLayout(titles, 1)
        tabs, self.page_buttons = panel_header.page_tabs(self, PAGES, self.show_page)
        header.addLayout(tabs)
        header.addSpacing(16)
        for button in self._tool_buttons():
            header.addWidget(button)
        header.addWidget(self.label_less.switch)
        self._add_page("images", self.browser)
        self._add_page("editor", self.editor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        strip_row = QHBoxLayout()
        strip_row.setContentsMargins(12, 0, 12, 4)
        strip_row.addWidget(self.job_strip)
        strip_row.addWidget(self.label_less.line)
        layout.addLayout(strip_row)
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(12, 0, 12, 6)
        banner_row.addWidget(self.path_choice.banner)
        layout.addLayout(banner_row)
        layout.addWidget(self.pages, 1)
        self.show_page("images")

    def _tool_buttons(self) -> list[QToolButton]:
        assign_menu = QMenu(self)
        self.assign_actions = {}
        for split in SPLITS:
            action = assign_menu.addAction(f"Selected images → {split}")
            action.triggered.connect(lambda _c=False, s=split: self.assign_selected(s))
            self.assign_actions[split] = action
        assign_menu.addSeparator()
        assign_menu.addAction("Split tool…", self.split_actions.split_tool)
        return panel_header.menu_buttons((
            ("Splits", assign_menu, "Assign selected images to a split, or split them all"),
            ("Import", self.transfer.import_menu(), "Import COCO JSON or Pascal VOC labels"),
            ("Export", self.transfer.export_menu(), "Export as Ultralytics zip, COCO, VOC"),
            ("Tools", self.proposal_tools.menu(self),
             "Pre-label unlabelled images with a model, review its proposals")))

    def _add_page(self, key: str, widget: QWidget) -> None:
        self._page_widgets[key] = widget
        self.pages.addWidget(widget)

    def _connect(self) -> None:
        ctx = self.context
        ctx.dataset_changed.connect(self._on_dataset)
        ctx.edit_image_requested.connect(self._edit_requested)
        self.browser.open_requested.connect(self._open_record)
        self.browser.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.browser.view.customContextMenuRequested.connect(self._browser_menu)
        self.browser.model.modelReset.connect(self._browser_reset)
        self.editor.back_requested.connect(self._back_to_browser)
        self.editor.return_requested.connect(self._return_to_sender)
        self.editor.labels_changed.connect(self._labels_changed)
        self.editor.status_message.connect(ctx.status_message)
        classes = self.editor.classes
        classes.add_requested.connect(self.class_actions.add)
        classes.rename_requested.connect(self.class_actions.rename)
        classes.move_requested.connect(self.class_actions.move)
        classes.delete_requested.connect(self.class_actions.delete)
        self.thumbnails.changed.connect(self._thumbnail_changed)
        self.indexer.ready.connect(self._indexed)
        self.indexer.failed.connect(self._index_failed)
        self.indexer.progress.connect(self._index_progress)

    # ----- pages --------------------------------------------------------------------------
    def show_page(self, key: str) -> QWidget:
        widget = self._page_widgets.get(key) or self._create_page(key)
        self.pages.setCurrentWidget(widget)
        self.page_buttons[key].setChecked(True)
        if key == "editor":
            self.editor.canvas.setFocus()
        elif key == "images":
            self.browser.view.setFocus()
        elif key == "stats":
            self._refresh_stats()
            self._show_effort()
        return widget

    def _create_page(self, key: str) -> QWidget:
        if key == "stats":
            from penguin_studio.ui.dataset.stats_view import StatsView  # pyqtgraph: lazily

            self.stats = StatsView()
            widget: QWidget = self.stats
        else:
            from penguin_studio.ui.dataset.doctor_view import DoctorView

            self.doctor = DoctorView()
            self.doctor_actions.attach(self.doctor)
            self.doctor.open_image.connect(self.edit_image)
            widget = self.doctor
        self._add_page(key, widget)
        return widget

    @property
    def current_page(self) -> str:
        widget = self.pages.currentWidget()
        return next((k for k, w in self._page_widgets.items() if w is widget), "")

    # ----- dataset ------------------------------------------------------------------------
    @property
    def index(self):
        """The open dataset's label index; None until it has been read."""
        return self.indexer.index

    def _on_dataset(self, dataset) -> None:
        previous, self.dataset = self.dataset, dataset
        self.indexer.dataset_opened(None)  # the last dataset's index is gone
        self.proposal_tools.dataset_opened(dataset)
        self.label_less.dataset_opened(dataset)
        self.path_choice.dataset_opened(dataset)
        if dataset is None:
            self.title.setText("No dataset open")
            self.subtitle.setText("Open a data yaml or a folder of images (File ▸ Open).")
            self.browser.set_records([], [])
            return
        same = previous is not None and previous.yaml_path == dataset.yaml_path \
            and previous.root == dataset.root
        current = self.editor.current_record if same else None
        if not same:
            self.editor.forget_documents()
        records = records_for(dataset)
        self.title.setText(dataset.title)
        self._update_subtitle()
        self.browser.set_records(records, dataset.names)
        self.editor.set_class_names(dataset.names)
        self.editor.set_sequence(self.browser.model.visible_records(), keep_current=False)
        if current is not None and self.current_page == "editor":
            self.edit_image(current.path)
        elif self.current_page == "editor":
            self.show_page("images")
        self.doctor_actions.dataset_opened()
        self.browser.set_note("reading labels…")
        self.indexer.dataset_opened(dataset)  # after the first thumbnails (label_index)

    def _first_page_ready(self) -> bool:
        """Every cell on screen has its thumbnail (or nothing is on screen)."""
        return not self.browser.isVisible() or self.browser.thumbnails_ready()

    def _update_subtitle(self) -> None:
        ds = self.dataset
        splits = ", ".join(f"{len(v):,} {k}" for k, v in ds.splits.items())
        where = ds.yaml_path or ds.root
        note = "".join(f"  ·  ⚠ {k}: {v}" for k, v in ds.problems.items())
        self.subtitle.setText(f"{ds.nc} classes  ·  {splits}  ·  {where}{note}")
        self.subtitle.setToolTip(str(where))

    def _index_progress(self, done: int, total: int) -> None:
        if total:
            self.browser.set_note(f"reading labels… {done:,} / {total:,}")

    def _index_failed(self, message: str) -> None:
        self.browser.set_note("labels could not be read")
        self.context.status_message.emit(f"Could not read the labels: {message}", 0)

    def _indexed(self, index) -> None:
        self.browser.set_note("")
        self.browser.model.set_summaries(summaries_from_index(index))
        self._refresh_stats()
        records = self.browser.model.all_records()
        self.label_less.index_ready({r.key for r in records if r.summary.status in
                                     (LabelStatus.LABELLED, LabelStatus.BACKGROUND)},
                                    len(records))

    def status_widgets(self) -> list[QWidget]:
        """Widgets the main window keeps in its status bar (auto-train: state, pause)."""
        return [self.label_less.status_button]

    def _show_effort(self) -> None:
        if self.stats is not None:
            self.stats.set_effort(self.label_less.effort)

    def _proposals_refreshed(self) -> None:
        """Auto-train made a better proposal model: show its proposals."""
        self.proposal_tools.scan()
        self.editor.proposals.reload()

    def _refresh_stats(self) -> None:
        if self.stats is not None and self.current_page == "stats":
            self.stats.set_index(self.index)

    def _labels_changed(self, path: Path, summary: LabelSummary) -> None:
        self.browser.model.update_record(str(path), summary)
        QTimer.singleShot(0, lambda: self.label_less.labels_changed(path))  # once saved
        doc = self.editor.document(path)
        QTimer.singleShot(0, lambda: self._announce_edit(doc))  # once the save is done
        if self.indexer.label_edited(path, doc):
            self._stats_timer.start()

    def _announce_edit(self, doc) -> None:
        """The status bar says what the last edit did (not "Opened …" from long ago)."""
        if doc.locked:
            return
        if doc.save_error:
            self.context.status_message.emit(f"Not saved: {doc.label_path.name}: "
                                             f"{doc.save_error}", 0)
            return
        n = len(doc.boxes)
        self.context.status_message.emit(
            f"Saved {doc.label_path.name}: {n} box{'es' if n != 1 else ''}", 4000)

    def _thumbnail_changed(self, key: str) -> None:
        reason = self.thumbnails.error(key)
        if reason:
            self.browser.model.problems.setdefault(key, reason)

    def _browser_reset(self) -> None:
        if self.current_page != "editor":
            self.editor.set_sequence(self.browser.model.visible_records())

    # ----- browser actions ----------------------------------------------------------------
    def assign_selected(self, split: str) -> None:
        images = [r.path for r in self.browser.selected_records()]
        self.split_actions.assign(images, split)

    def _browser_menu(self, pos: QPoint) -> None:
        records = self.browser.selected_records()
        if not records:
            return
        menu = QMenu(self)
        menu.addAction("Open in editor", lambda: self._open_record(records[0]))
        assign = menu.addMenu(f"Assign {len(records):,} selected to")
        for split in SPLITS:
            assign.addAction(split, lambda s=split: self.assign_selected(s))
        menu.addAction("Show in file manager", lambda: QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(records[0].path.parent))))
        menu.exec(self.browser.view.viewport().mapToGlobal(pos))

    # ----- editor -------------------------------------------------------------------------
    def _open_record(self, record: ImageRecord) -> None:
        if not self.path_choice.allow_edit():  # which images is asked before any edit
            return
        self._return_panel = ""  # opened here: nowhere else to go back to
        self.editor.offer_return("")
        self.editor.set_sequence(self.browser.model.visible_records())
        self.editor.open_path(record.path)
        self.show_page("editor")

    def edit_image(self, path) -> None:
        """Open ``path`` in the editor (from another panel or a doctor finding)."""
        path = Path(path)
        model = self.browser.model
        record = model.record(path)
        if record is None:
            self.context.status_message.emit(f"{path.name} is not in the open dataset.", 5000)
            return
        if model.row_of(path) is None:  # hidden by a filter: show everything again
            self.browser.filters.reset()
            model.set_filter(self.browser.filters.value())
        self.browser.select(path)
        self._open_record(record)

    def _edit_requested(self, path) -> None:
        """Another panel sent an image (Evaluate's "Edit labels"): edit it, offer the way
        back to that panel."""
        self.edit_image(path)
        back_to = getattr(self.context, "edit_return_panel", "")
        if back_to and self.current_page == "editor":
            self._return_panel = back_to
            self.editor.offer_return(panel_spec(back_to).title)

    def _return_to_sender(self) -> None:
        if self._return_panel:
            self.context.show_panel_requested.emit(self._return_panel)

    def _back_to_browser(self) -> None:
        record = self.editor.current_record
        self.show_page("images")
        if record is not None:
            self.browser.select(record.path)

    # ----- doctor -------------------------------------------------------------------------
    def run_doctor(self) -> None:
        """Show the Doctor page and run its checks (``doctor_actions``)."""
        if self.dataset is None:
            return
        if self.doctor is None:  # first run: the page is made and shown
            self.show_page("doctor")
        self.doctor_actions.run()

    # ----- app hooks ----------------------------------------------------------------------
    def _busy(self) -> bool:
        return (self.indexer.busy or self.editor.images.busy or self.doctor_actions.busy
                or self.jobs.busy or self.proposal_tools.busy)

    def wait_until_idle(self, timeout_s: float = 20.0) -> bool:
        """Before a screenshot: index read, visible thumbnails in, the editor's image shown.
        An event loop woken by each part's "done" signal (``ui.jobs.wait_until``)."""
        deadline = QDeadlineTimer(int(timeout_s * 1000))
        tools = self.proposal_tools
        idle = wait_until(lambda: not self._busy(), self.indexer.settled,
                          self.editor.images.loaded, self.doctor_actions.finished,
                          self.jobs.idle, tools.scan_finished, tools.prelabel.finished,
                          timeout_s=timeout_s)
        if self.current_page == "images":
            return self.browser.wait_until_ready(max(0.1, deadline.remainingTime() / 1000))
        return idle

    def has_unsaved_changes(self) -> bool:
        """True when an edit could not be saved (read-only folder…); ask before closing."""
        return bool(self.editor.unsaved_documents())

    def shutdown(self) -> None:
        self.indexer.shutdown()
        self.doctor_actions.shutdown()
        self.proposal_tools.shutdown()
        self.label_less.stop(kill=True)
        self.thumbnails.shutdown()
        self.editor.shutdown()



