"""The thumbnail browser: a filter bar over a virtualized grid or list of images.

The view is a ``QListView`` with uniform item sizes, so Qt lays out 10,000 cells without
asking for each one, and the delegate only paints (and so only requests thumbnails for)
the cells on screen.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.dataset.project import SPLITS
from penguin_studio.core.dataset.to_label import TO_LABEL
from penguin_studio.ui.dataset.browser_model import (
    ANY,
    INFORMATIVE,
    PROBLEMS,
    PROPOSALS,
    BrowserFilter,
    ImageListModel,
)
from penguin_studio.ui.dataset.class_list import class_caption, class_tooltip
from penguin_studio.ui.dataset.records import BACKGROUND, LABELLED, UNLABELLED, ImageRecord
from penguin_studio.ui.dataset.thumbnail_delegate import (
    GRID_CELL,
    LIST_ROW_HEIGHT,
    ThumbnailDelegate,
)
from penguin_studio.ui.dataset.thumbnails import ThumbnailLoader
from penguin_studio.ui.jobs import wait_until

GRID_STYLE = """
QListView#imageGrid { background: #1b1e23; border: none; border-radius: 6px; }
QListView#imageGrid QScrollBar:vertical { background: #1b1e23; width: 12px; margin: 0; }
QListView#imageGrid QScrollBar::handle:vertical { background: #454b55; border-radius: 4px;
    min-height: 40px; margin: 2px; }
QListView#imageGrid QScrollBar::handle:vertical:hover { background: #5c636e; }
QListView#imageGrid QScrollBar::add-line, QListView#imageGrid QScrollBar::sub-line { height: 0; }
QListView#imageGrid QScrollBar::add-page, QListView#imageGrid QScrollBar::sub-page {
    background: none; }
"""
STATUS_CHOICES = (("Any status", ANY), ("Labelled", LABELLED), ("Unlabelled", UNLABELLED),
                  ("Background (empty)", BACKGROUND), ("Has problems", PROBLEMS),
                  ("Has proposals to review", PROPOSALS))


class FilterBar(QWidget):
    """Split, class, status and file-name filters; emits ``changed`` with a BrowserFilter."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by file name…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(180)
        self.split = QComboBox()
        self.split.addItem("All splits", ANY)
        for split in SPLITS:
            self.split.addItem(split, split)
        self.split.addItem("to label (not trained on)", TO_LABEL)
        self.klass = QComboBox()
        self.klass.setMinimumWidth(130)
        # A long class name must not widen the window: the combo elides, its list does not.
        self.klass.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.klass.setMinimumContentsLength(14)
        self.status = QComboBox()
        for text, value in STATUS_CHOICES:
            self.status.addItem(text, value)
        self.order = QComboBox()
        self.order.setObjectName("orderCombo")
        self.order.addItem("Dataset order", ANY)
        self.order.addItem("Most informative first", INFORMATIVE)
        self.order.setToolTip("Most informative first: the images the model would learn the "
                              "most from (least sure, not near-duplicates) come first, and "
                              "D / A in the editor follow that order")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.search, 2)
        for combo in (self.split, self.klass, self.status, self.order):
            layout.addWidget(combo)
            combo.currentIndexChanged.connect(self._emit)
        self._debounce = QTimer(self, singleShot=True, interval=150)
        self._debounce.timeout.connect(self._emit)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.set_classes([])

    def set_classes(self, names: list[str]) -> None:
        self.klass.blockSignals(True)
        self.klass.clear()
        self.klass.addItem("All classes", None)
        for i, name in enumerate(names):  # numbered as in the editor's class list
            self.klass.addItem(class_caption(i, name), i)
            self.klass.setItemData(i + 1, class_tooltip(i, name), Qt.ItemDataRole.ToolTipRole)
        self.klass.blockSignals(False)

    def value(self) -> BrowserFilter:
        return BrowserFilter(split=self.split.currentData() or ANY,
                             class_id=self.klass.currentData(),
                             status=self.status.currentData() or ANY,
                             text=self.search.text(), order=self.order.currentData() or ANY)

    def show_problems(self) -> None:
        self.status.setCurrentIndex(self.status.findData(PROBLEMS))

    def show_proposals(self) -> None:
        self.status.setCurrentIndex(self.status.findData(PROPOSALS))

    def reset(self) -> None:
        for w in (self.split, self.klass, self.status, self.search):
            w.blockSignals(True)
        self.split.setCurrentIndex(0)
        self.klass.setCurrentIndex(0)
        self.status.setCurrentIndex(0)
        self.search.clear()
        for w in (self.split, self.klass, self.status, self.search):
            w.blockSignals(False)

    def _emit(self) -> None:
        self.changed.emit(self.value())


class ImageBrowser(QWidget):
    """Filter bar, grid/list of thumbnails and a count line; double-click opens the editor."""

    open_requested = Signal(object)  # ImageRecord
    selection_changed = Signal()
    painted = Signal()  # the grid was just painted (emitted once the paint is done)

    def __init__(self, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.model = ImageListModel(self)
        self.filters = FilterBar()
        self.view = QListView()
        self.view.setObjectName("imageGrid")
        self.delegate = ThumbnailDelegate(loader, self.model, self.view)
        self._retain_timer = QTimer(self, singleShot=True, interval=60)
        self._retain_timer.timeout.connect(self._retain_visible)
        self._setup_view()
        self.count_label = QLabel()
        self.count_label.setObjectName("dimLabel")
        self.grid_button, self.list_button = self._mode_buttons()
        self.empty = self._empty_overlay()
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.filters, 1)
        top.addWidget(self.grid_button)
        top.addWidget(self.list_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count_label)
        self.filters.changed.connect(self._filter_changed)
        loader.changed.connect(self.model.changed)
        self.view.verticalScrollBar().valueChanged.connect(lambda _v: self._retain_timer.start())
        self.model.modelReset.connect(self._update_count)
        self._update_count()

    def _setup_view(self) -> None:
        view = self.view
        view.setModel(self.model)
        view.viewport().installEventFilter(self)
        view.setItemDelegate(self.delegate)
        view.setUniformItemSizes(True)
        view.setStyleSheet(GRID_STYLE)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setMouseTracking(True)
        view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        view.verticalScrollBar().setSingleStep(24)
        view.doubleClicked.connect(self._activated)
        view.activated.connect(self._activated)
        view.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())
        self.set_grid(True)

    def _empty_overlay(self) -> QWidget:
        """Over the (empty) grid when the filters hide every image: say so, offer the way
        out. A blank dark panel looked like a dataset that failed to load."""
        overlay = QWidget(self.view.viewport())
        overlay.setObjectName("emptyBrowser")
        overlay.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.empty_label = QLabel("No image matches these filters.")
        self.empty_label.setStyleSheet("color: #c9ced6; font-size: 13pt;")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.clear_filters_button = QPushButton("Clear filters")
        self.clear_filters_button.clicked.connect(self.clear_filters)
        column = QVBoxLayout(overlay)
        column.addStretch(1)
        column.addWidget(self.empty_label)
        column.addWidget(self.clear_filters_button, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(1)
        overlay.hide()
        return overlay

    def clear_filters(self) -> None:
        """Every image shown again: split, class, status and name filters back to "all"."""
        self.filters.reset()
        self._filter_changed(self.filters.value())

    def _mode_buttons(self) -> tuple[QToolButton, QToolButton]:
        group = QButtonGroup(self)
        buttons = []
        for text, tip, grid in (("▦", "Thumbnail grid", True), ("☰", "List with details", False)):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setCheckable(True)
            button.setChecked(grid)
            button.setObjectName("segmentButton")
            button.clicked.connect(lambda _c=False, g=grid: self.set_grid(g))
            group.addButton(button)
            buttons.append(button)
        return buttons[0], buttons[1]

    # ----- modes and contents -------------------------------------------------------------
    def set_grid(self, grid: bool) -> None:
        view = self.view
        self.delegate.grid = grid
        if grid:
            view.setViewMode(QListView.ViewMode.IconMode)
            view.setFlow(QListView.Flow.LeftToRight)
            view.setWrapping(True)
            view.setResizeMode(QListView.ResizeMode.Adjust)
            view.setGridSize(self._grid_cell())
            view.setSpacing(0)
        else:
            view.setViewMode(QListView.ViewMode.ListMode)
            view.setFlow(QListView.Flow.TopToBottom)
            view.setWrapping(False)
            view.setGridSize(QSize(-1, -1))
            view.setSpacing(0)
        view.setMovement(QListView.Movement.Static)
        view.setUniformItemSizes(True)
        if hasattr(self, "grid_button"):
            self.grid_button.setChecked(grid)
            self.list_button.setChecked(not grid)
        view.doItemsLayout()

    def _grid_cell(self) -> QSize:
        """Cells widened so a row of thumbnails fills the view's width exactly."""
        width = self.view.viewport().width() - 2
        columns = max(1, width // GRID_CELL.width())
        cell = QSize(max(GRID_CELL.width(), width // columns), GRID_CELL.height())
        self.delegate.cell = cell
        return cell

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if watched is self.view.viewport() and event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self, self.painted.emit)  # after the paint this event asks
        if watched is self.view.viewport() and event.type() == QEvent.Type.Resize:
            if self.delegate.grid:
                cell = self._grid_cell()
                if cell != self.view.gridSize():
                    self.view.setGridSize(cell)
            self._retain_timer.start()
            self.empty.setGeometry(self.view.viewport().rect())
        return super().eventFilter(watched, event)

    def set_records(self, records: list[ImageRecord], class_names: list[str]) -> None:
        self.filters.blockSignals(True)
        self.filters.reset()
        self.filters.set_classes(class_names)
        self.delegate.class_names = list(class_names)
        self.filters.blockSignals(False)
        self.model.set_filter(BrowserFilter())
        self.model.set_records(records)
        self.view.scrollToTop()

    def _filter_changed(self, flt: BrowserFilter) -> None:
        current = self.current_record()
        self.model.set_filter(flt)
        if current is not None:
            self.select(current.path, scroll=True)

    def set_note(self, note: str) -> None:
        """A short state after the count ("reading labels…")."""
        self._note = note
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), len(self.model.all_records())
        text = f"{total:,} images" if shown == total else f"{shown:,} of {total:,} images"
        note = getattr(self, "_note", "")
        self.count_label.setText(f"{text}  ·  {note}" if note else text)
        if hasattr(self, "empty"):
            self.empty.setVisible(shown == 0 and total > 0)
            self.empty.setGeometry(self.view.viewport().rect())

    def _activated(self, index: QModelIndex) -> None:
        record = self.model.record_at(index.row())
        if record is not None:
            self.open_requested.emit(record)

    # ----- selection ----------------------------------------------------------------------
    def current_record(self) -> ImageRecord | None:
        index = self.view.currentIndex()
        return self.model.record_at(index.row()) if index.isValid() else None

    def selected_records(self) -> list[ImageRecord]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        return [r for r in (self.model.record_at(row) for row in rows) if r is not None]

    def select(self, path: Path | str, scroll: bool = True) -> bool:
        row = self.model.row_of(path)
        if row is None:
            return False
        index = self.model.index(row)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.view.selectionModel().setCurrentIndex(index, flags)
        if scroll:
            self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    # ----- visible rows -------------------------------------------------------------------
    def visible_rows(self) -> range:
        """Rows from the first to the last cell on screen, probed one cell apart."""
        view = self.view
        area = view.viewport().rect()
        step = view.gridSize() if self.delegate.grid else QSize(area.width(), LIST_ROW_HEIGHT)
        dx, dy = max(8, step.width() // 2), max(8, step.height() // 2)
        rows = [view.indexAt(QPoint(x, y)).row()
                for y in range(2, area.height(), dy) for x in range(2, area.width(), dx)]
        rows = [r for r in rows if r >= 0]
        return range(min(rows), max(rows) + 1) if rows else range(0)

    def visible_keys(self) -> set[str]:
        return {r.key for r in (self.model.record_at(i) for i in self.visible_rows()) if r}

    def _retain_visible(self) -> None:
        self.loader.retain(self.visible_keys())

    def thumbnails_ready(self) -> bool:
        """True when every cell on screen has its thumbnail or its failure reason."""
        return all(self.loader.has_result(k) for k in self.visible_keys())

    def wait_until_ready(self, timeout_s: float = 15.0) -> bool:
        """Wait until the visible thumbnails are in and painted (screenshots, benchmarks):
        a local event loop woken by each finished thumbnail (``ui.jobs.wait_until``)."""
        if not self.isVisible():
            return True  # nothing is painted, so nothing is asked for
        self.view.viewport().update()  # the paint asks for the thumbnails on screen
        ready = wait_until(self.thumbnails_ready, self.loader.changed, self.loader.idle,
                           timeout_s=timeout_s)
        self.view.viewport().repaint()
        return ready
