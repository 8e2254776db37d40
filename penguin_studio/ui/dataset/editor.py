"""The annotation editor: canvas, toolbar, classes and boxes of the image, and its status.

The editor shows one :class:`LabelDocument` at a time from its
:class:`~penguin_studio.ui.dataset.documents.DocumentStore` (one per image shown, kept for the
whole session, so each image keeps its undo history; the dataset panel reads the same store)
and owns one ``QUndoGroup`` whose active stack follows the current image. Every keyboard
action is a ``QAction`` on the editor (shortcut context: the editor and its children), so the
keys work wherever the focus is inside the editor and nowhere else; the key map and toolbar
are built in :mod:`~penguin_studio.ui.dataset.editor_actions`.

Model proposals (``core.inference.prelabel``) are reviewed here too, one key per decision:
see :mod:`~penguin_studio.ui.dataset.proposal_editing`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QImage, QUndoGroup
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.dataset.labels import Box, LabelParseError, read_labels
from penguin_studio.core.dataset.project import label_path_for
from penguin_studio.ui.dataset import editor_actions, undo_commands
from penguin_studio.ui.dataset.banner import Banner
from penguin_studio.ui.dataset.box_list import BoxList
from penguin_studio.ui.dataset.canvas import AnnotationCanvas
from penguin_studio.ui.dataset.class_list import ClassList, class_caption
from penguin_studio.ui.dataset.documents import DocumentStore
from penguin_studio.ui.dataset.full_images import FullImageLoader
from penguin_studio.ui.dataset.label_document import LabelDocument
from penguin_studio.ui.dataset.proposal_editing import ProposalEditing
from penguin_studio.ui.dataset.records import (
    BACKGROUND,
    BROKEN,
    LABELLED,
    UNLABELLED,
    ImageRecord,
    LabelSummary,
)
from penguin_studio.ui.dataset.smart_box_tool import SmartBoxTool
from penguin_studio.ui.dataset.thumbnails import ThumbnailLoader


def summary_of(doc: LabelDocument) -> LabelSummary:
    """The browser's view of a document after an edit."""
    if doc.locked:
        return LabelSummary(BROKEN, problem=doc.parse_error or "")
    if not doc.boxes:
        return LabelSummary(UNLABELLED if doc.unlabelled else BACKGROUND)
    counts: dict[int, int] = {}
    for box in doc.boxes:
        counts[box.cls] = counts.get(box.cls, 0) + 1
    return LabelSummary(LABELLED, counts)


class AnnotationEditor(QWidget):
    """Edit the boxes of one image at a time, moving through the browser's order."""

    labels_changed = Signal(object, object)  # Path, LabelSummary
    current_changed = Signal(object)  # ImageRecord | None
    image_shown = Signal(object)  # Path: full pixels (or the failure reason) are on screen
    proposals_changed = Signal(object, int)  # Path, model proposals still to review
    back_requested = Signal()
    return_requested = Signal()  # "◀ Back to <panel>": the panel that sent this image
    status_message = Signal(str, int)

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.images = FullImageLoader(self)
        self.images.loaded.connect(self._image_loaded)
        self.undo_group = QUndoGroup(self)
        self.canvas = AnnotationCanvas()
        self.proposals = ProposalEditing(self)
        self.classes = ClassList()
        self.box_list = BoxList()
        self.status = QLabel()
        self.status.setObjectName("editorStatus")
        self.zoom_label = QLabel()
        self.zoom_label.setObjectName("dimLabel")
        self.save_label = QLabel()
        self.readonly_banner = Banner("warning")
        self.parse_banner = Banner("error")
        self.save_banner = Banner("error")
        self.sequence: list[ImageRecord] = []
        self.index = -1
        self.class_names: list[str] = []
        self.store = DocumentStore(self)
        self.store.effort_sink = self._count_effort
        self.store.boxes_changed.connect(self._doc_changed)
        self.store.save_state_changed.connect(self._save_state_changed)
        #: (action, image, n) for every counted edit (``core/labelling/effort.py``)
        self.effort_sink = None
        self.doc: LabelDocument | None = None
        self.actions_by_name: dict[str, QAction] = {}
        self.smart_box = SmartBoxTool(self)
        editor_actions.build_actions(self)
        self._build_layout()
        self._connect()
        self._update_status()

    # ----- construction -------------------------------------------------------------------
    def _action(self, name: str, text: str, keys, slot, tip: str = "") -> QAction:
        """Add one keyboard action (see :func:`editor_actions.add_action`)."""
        return editor_actions.add_action(self, name, text, keys, slot, tip)

    def _build_layout(self) -> None:
        self.toolbar = toolbar = editor_actions.build_toolbar(self.actions_by_name,
                                                              self.zoom_label)
        self.parse_banner.add_button("Open label file", self._open_label_file)
        self.parse_banner.add_button("Reload", self._reload_document)
        self.parse_banner.add_button("Reset labels…", self._reset_document)
        self.save_banner.add_button("Retry save", self._retry_save)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(4)
        for banner in (self.readonly_banner, self.parse_banner, self.save_banner,
                       self.proposals.banner):
            centre_layout.addWidget(banner)
        centre_layout.addWidget(self.canvas, 1)
        side = QWidget()
        side.setObjectName("editorSide")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(8, 0, 0, 0)
        side_layout.addWidget(self.classes, 3)
        boxes_title = QLabel("Boxes on this image")
        boxes_title.setObjectName("sectionTitle")
        side_layout.addWidget(boxes_title)
        side_layout.addWidget(self.box_list, 2)
        splitter = QSplitter()
        splitter.addWidget(centre)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 1)
        splitter.setCollapsible(0, False)
        splitter.setSizes([900, 220])
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.save_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 6)
        layout.setSpacing(4)
        layout.addWidget(toolbar)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

    def _connect(self) -> None:
        canvas = self.canvas
        canvas.selection_changed.connect(self._canvas_selection)
        canvas.drawing_armed.connect(self.actions_by_name["draw"].setChecked)
        canvas.zoom_changed.connect(lambda z: self.zoom_label.setText(f"  {z * 100:.0f}%"))
        canvas.edit_refused.connect(lambda msg: self.status_message.emit(msg, 5000))
        self.classes.class_chosen.connect(self.choose_class)
        self.box_list.box_chosen.connect(self.canvas.select)
        self.proposals.pending_changed.connect(self.proposals_changed)

    # ----- what is shown ------------------------------------------------------------------
    def set_class_names(self, names: list[str]) -> None:
        self.class_names = list(names)
        self.canvas.set_class_names(names)
        self._refresh_classes()
        self._refresh_box_list()

    def set_proposals_root(self, root: Path | None) -> None:
        """The dataset folder whose ``.penguin-studio/proposals`` holds model proposals."""
        self.proposals.set_root(root)

    def set_sequence(self, records: list[ImageRecord], keep_current: bool = True) -> None:
        """The order D/A walk through (the browser's filtered order); keeps the current."""
        current = self.current_record if keep_current else None
        self.sequence = list(records)
        self.index = -1
        if current is not None:
            self.index = next((i for i, r in enumerate(self.sequence)
                               if r.key == current.key), -1)
            if self.index < 0:  # filtered out: keep showing it, walking from its old place
                self.sequence.insert(0, current)
                self.index = 0
        self._update_status()

    @property
    def current_record(self) -> ImageRecord | None:
        return self.sequence[self.index] if 0 <= self.index < len(self.sequence) else None

    def open_path(self, path: Path | str) -> bool:
        key = str(path)
        index = next((i for i, r in enumerate(self.sequence) if r.key == key), None)
        if index is None:
            return False
        self.open_index(index)
        return True

    def open_index(self, index: int) -> None:
        if not 0 <= index < len(self.sequence):
            return
        self.index = index
        record = self.sequence[index]
        doc = self.document(record.path)
        if doc.changed_on_disk():
            doc.reload()
        self._attach(doc)
        self._show_pixels(record)
        self.proposals.show(record.path)
        self._prefetch_neighbours()
        self.current_changed.emit(record)

    def document(self, path: Path) -> LabelDocument:
        """The session's document for an image (made on first use, kept afterwards)."""
        return self.store.get(path)

    def _count_effort(self, action: str, image: str, n: int) -> None:
        """Undo commands report effort here; the panel's effort store (if any) counts it."""
        if self.effort_sink is not None:
            self.effort_sink(action, image, n)

    def forget_documents(self) -> None:
        """Drop every document and its history (label files were rewritten underneath)."""
        self.undo_group.setActiveStack(None)
        self.canvas.set_document(None, None, message="")
        self.proposals.show(None)
        self.doc = None
        self.store.clear()

    def _attach(self, doc: LabelDocument) -> None:
        self.doc = doc
        self.undo_group.setActiveStack(doc.undo_stack)
        self.readonly_banner.show_text(self._readonly_text(doc))
        self._update_banners()
        self._refresh_box_list()
        self._refresh_classes()

    def _readonly_text(self, doc: LabelDocument) -> str | None:
        problem = doc.writable_problem()
        if problem is None:
            return None
        return (f"{problem} You can still draw and undo, but nothing is written until the "
                "folder is writable.")

    def _show_pixels(self, record: ImageRecord) -> None:
        cached = self.images.cached(record.key)
        if isinstance(cached, QImage):
            self.canvas.set_document(self.doc, (cached.width(), cached.height()))
            self.canvas.set_image(cached)
            self._after_image(record)
            return
        if isinstance(cached, str):
            self.canvas.set_document(self.doc, None, message=self._unreadable(cached))
            self._after_image(record)
            return
        from penguin_studio.core.dataset.images import ImageReadError, image_size

        try:
            size = image_size(record.path)
        except ImageReadError as exc:
            size, message = None, self._unreadable(exc.reason)
        else:
            message = ""
        preview = self.thumbnails.pixmap(record.key) if size else None
        self.canvas.set_document(self.doc, size, preview, message=message or "Loading…")
        self.images.request(record.key)
        self._update_status()

    def _unreadable(self, reason: str) -> str:
        return f"This image cannot be shown: {reason}.\nIts label file is left untouched."

    def _image_loaded(self, key: str, result: object) -> None:
        record = self.current_record
        if record is None or record.key != key:
            return
        if isinstance(result, QImage):
            self.canvas.set_image(result)
        else:
            self.canvas.set_unavailable(self._unreadable(str(result)))
        self._after_image(record)

    def _after_image(self, record: ImageRecord) -> None:
        self._refresh_box_list()
        self._update_status()
        self.image_shown.emit(record.path)

    def _prefetch_neighbours(self) -> None:
        for i in (self.index + 1, self.index - 1):
            if 0 <= i < len(self.sequence):
                self.images.request(self.sequence[i].key)

    # ----- navigation ---------------------------------------------------------------------
    def next_image(self) -> None:
        self._step(+1)

    def previous_image(self) -> None:
        self._step(-1)

    def _step(self, delta: int) -> None:
        target = self.index + delta
        if 0 <= target < len(self.sequence):
            self.open_index(target)
        else:
            edge = "last" if delta > 0 else "first"
            self.status_message.emit(f"This is the {edge} image.", 2000)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.back_requested.emit()
            return
        super().keyPressEvent(event)

    # ----- edits --------------------------------------------------------------------------
    def delete_selected(self) -> None:
        """Reject the selected proposal, or delete the selected box."""
        if not self.proposals.delete_or_reject():
            self.canvas.delete_selected()

    def toggle_draw(self) -> None:
        self.canvas.arm_drawing(not self.canvas.armed)

    def offer_return(self, title: str) -> None:
        """Show "◀ Back to ``title``" in the toolbar (the panel that sent this image); an
        empty title hides it."""
        action = self.actions_by_name["return"]
        action.setText(f"◀ Back to {title}")
        action.setToolTip(f"Back to {title}, on the image you came from")
        action.setVisible(bool(title))

    def choose_class(self, class_id: int) -> None:
        """The selected box's class, or with nothing selected the class of the next box."""
        if not 0 <= class_id < len(self.class_names):
            self.status_message.emit(f"There is no class {class_id + 1}.", 2000)
            return
        self.canvas.set_current_class(class_id)
        self._show_class()
        self._update_status()

    def copy_from_previous(self) -> None:
        doc = self.doc
        if doc is None or self.index <= 0 or not self.canvas.editable:
            self.status_message.emit("There is no previous image to copy from.", 3000)
            return
        previous = self.sequence[self.index - 1]
        boxes = self._boxes_of(previous.path)
        if boxes is None:
            return
        added = undo_commands.append_boxes(doc, boxes, "Copy boxes from previous image")
        self.status_message.emit(f"Copied {added} boxes from {previous.name}.", 3000)

    def _boxes_of(self, path: Path) -> list[Box] | None:
        doc = self.store.peek(path)
        if doc is not None and not doc.locked:
            return list(doc.boxes)
        try:
            return read_labels(label_path_for(path))
        except LabelParseError as exc:
            self.status_message.emit(f"Cannot copy: {exc}", 5000)
            return None

    def _doc_changed(self, doc: LabelDocument) -> None:
        self.labels_changed.emit(doc.image, summary_of(doc))
        if doc is self.doc:
            self._refresh_box_list()
            self._refresh_classes()
            self._update_status()

    def _save_state_changed(self, doc: LabelDocument) -> None:
        if doc is self.doc:
            self._update_banners()
            self._update_status()

    def _update_banners(self) -> None:
        doc = self.doc
        self.parse_banner.show_text(
            f"This label file cannot be read ({doc.parse_error}). It is left untouched: fix "
            "it in a text editor and reload, or reset it (a .bak copy is kept)."
            if doc and doc.locked else None)
        self.save_banner.show_text(
            f"Not saved: {doc.save_error} Undo history keeps the change."
            if doc and doc.save_error else None)

    def _retry_save(self) -> None:
        if self.doc is not None and self.doc.save():
            self.status_message.emit("Saved.", 2000)

    def _open_label_file(self) -> None:
        if self.doc is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.doc.label_path)))

    def _reload_document(self) -> None:
        if self.doc is not None:
            self.doc.reload()
            self._attach(self.doc)
            self.canvas.viewport().update()

    def _reset_document(self) -> None:
        doc = self.doc
        if doc is None:
            return
        answer = QMessageBox.question(
            self, "Reset labels",
            f"Replace {doc.label_path.name} with an empty label file?\n\nThe unreadable file "
            f"is kept as {doc.label_path.name}.bak.")
        if answer == QMessageBox.StandardButton.Yes:
            self.reset_document()

    def reset_document(self) -> None:
        """Reset without asking (the dialog above asks; tests call this directly)."""
        if self.doc is None:
            return
        backup = self.doc.reset_broken_file()
        self._attach(self.doc)
        if backup:
            self.status_message.emit(f"Reset; the old file is kept as {backup.name}.", 5000)

    # ----- side lists and status ----------------------------------------------------------
    def _refresh_classes(self) -> None:
        counts: dict[int, int] = {}
        for box in self.doc.boxes if self.doc else []:
            counts[box.cls] = counts.get(box.cls, 0) + 1
        self.classes.set_classes(self.class_names, counts)
        self._show_class()

    def _show_class(self) -> None:
        """Highlight the selected box's class, or the next box's when nothing is selected."""
        selected = self.canvas.selected_class()
        self.classes.set_current(self.canvas.current_class if selected is None else selected)

    def _refresh_box_list(self) -> None:
        boxes = self.doc.boxes if self.doc else []
        self.box_list.show_boxes(boxes, self.class_names, self.canvas.image_size,
                                 self.canvas.selected)

    def _canvas_selection(self, index: int | None) -> None:
        self.box_list.show_selected(index)
        self._show_class()
        self._update_status()

    def _update_status(self) -> None:
        record = self.current_record
        if record is None:
            self.status.setText("No image open.")
            self.save_label.setText("")
            return
        n = len(self.doc.boxes) if self.doc else 0
        size = self.canvas.image_size
        parts = [f"{self.index + 1} / {len(self.sequence)}", f"<b>{record.name}</b>",
                 record.split, f"{n} box{'es' if n != 1 else ''}"]
        if size:
            parts.append(f"{size[0]}×{size[1]} px")
        cls = self.canvas.current_class
        if 0 <= cls < len(self.class_names):
            parts.append(f"new boxes: {class_caption(cls, self.class_names[cls])}")
        pending = self.proposals.pending_count
        if pending:
            parts.append(f"<span style='color:#1971c2'>{pending} to review</span>")
        self.status.setText("  ·  ".join(parts))
        doc = self.doc
        if doc is None:
            text = ""
        elif doc.locked:
            text = "<span style='color:#ff8787'>label file unreadable</span>"
        elif doc.save_error:
            text = "<span style='color:#ff8787'>● not saved</span>"
        else:
            text = "<span style='color:#69db7c'>✓ saved</span>"
        self.save_label.setText(text)

    def refresh_status(self) -> None:
        self._update_status()

    def documents(self) -> list[LabelDocument]:
        return self.store.documents()

    def unsaved_documents(self) -> list[LabelDocument]:
        """Images whose last edits could not be written (still in memory and undo)."""
        return self.store.unsaved()

    def shutdown(self) -> None:
        for doc in self.unsaved_documents():  # one last try before the window goes
            doc.save()
        self.images.shutdown()
        self.smart_box.shutdown()
