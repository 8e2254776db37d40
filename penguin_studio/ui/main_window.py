"""The main window: a sidebar of places, the panel stack, menus and the status bar.

It only assembles: every feature lives in a panel (``ui/<panel>/``, listed in
``ui/panel_registry.py``) or in the core.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QStyle,
    QWidget,
)

from penguin_studio import APP_NAME, __version__
from penguin_studio.ui import settings
from penguin_studio.ui.context import AppContext
from penguin_studio.ui.file_dialogs import start_folder
from penguin_studio.ui.panel_registry import PANELS, PanelSpec


class MainWindow(QMainWindow):
    """One place per job (Dataset, Train, Evaluate, Detect, Live), created on first visit."""

    def __init__(self, context: AppContext | None = None) -> None:
        super().__init__()
        self.context = context or AppContext(self)
        self.setWindowTitle(APP_NAME)
        self._panels: dict[str, QWidget] = {}
        self._build_body()
        self._build_menus()
        self._build_status_bar()
        self._connect_context()
        self._restore_geometry()
        self.show_panel("dataset")

    # ----- layout -------------------------------------------------------------------------
    def _build_body(self) -> None:
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setIconSize(QSize(22, 22))
        self.sidebar.setFixedWidth(150)
        self.sidebar.setSpacing(2)
        for spec in PANELS:
            icon = self.style().standardIcon(getattr(QStyle.StandardPixmap, spec.icon))
            item = QListWidgetItem(icon, spec.title)
            item.setToolTip(spec.blurb)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setSizeHint(QSize(140, 40))
            self.sidebar.addItem(item)
        self.sidebar.currentRowChanged.connect(lambda row: self.show_panel(PANELS[row].key))
        self.stack = QStackedWidget()
        body = QWidget()
        layout = QHBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(body)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._add_action(file_menu, "&New project from image folder…", self._new_from_folder,
                         QKeySequence.StandardKey.New)
        self._add_action(file_menu, "&Open dataset or data yaml…", self._open_dialog,
                         QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._add_action(file_menu, "Open &sample project", lambda: self.context.open_sample())
        file_menu.addSeparator()
        self._add_action(file_menu, "Se&ttings…", self.show_settings,
                         QKeySequence.StandardKey.Preferences)
        self._add_action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        view_menu = bar.addMenu("&View")
        for index, spec in enumerate(PANELS, start=1):
            self._add_action(view_menu, spec.title, lambda _=False, k=spec.key: self.show_panel(k),
                             QKeySequence(f"Ctrl+{index}"))
        view_menu.addSeparator()
        self._add_action(view_menu, "&Full screen", self._toggle_full_screen,
                         QKeySequence.StandardKey.FullScreen)

        help_menu = bar.addMenu("&Help")
        self._add_action(help_menu, f"&About {APP_NAME}", self.show_about)

    def show_settings(self) -> None:
        """The Settings dialog (what runs the models); changes apply to the next model."""
        from penguin_studio.ui.settings_dialog import SettingsDialog

        SettingsDialog(self).open()

    def _add_action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_status_bar(self) -> None:
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setVisible(False)
        self.statusBar().addPermanentWidget(self.busy)
        self.statusBar().showMessage("Ready")

    def _connect_context(self) -> None:
        ctx = self.context
        ctx.status_message.connect(lambda text, ms: self.statusBar().showMessage(text, ms))
        ctx.loading_changed.connect(self.busy.setVisible)
        ctx.error.connect(self._show_error)
        ctx.dataset_changed.connect(self._on_dataset)
        ctx.show_panel_requested.connect(self.show_panel)

    # ----- panels -------------------------------------------------------------------------
    def show_panel(self, key: str) -> QWidget:
        panel = self._panels.get(key) or self._create_panel(key)
        self.stack.setCurrentWidget(panel)
        row = next(i for i, p in enumerate(PANELS) if p.key == key)
        if self.sidebar.currentRow() != row:
            self.sidebar.blockSignals(True)
            self.sidebar.setCurrentRow(row)
            self.sidebar.blockSignals(False)
        return panel

    def panel(self, key: str) -> QWidget:
        """The panel for ``key``, created if it was never shown."""
        return self._panels.get(key) or self._create_panel(key)

    def _create_panel(self, key: str) -> QWidget:
        spec: PanelSpec = next(p for p in PANELS if p.key == key)
        cls = getattr(importlib.import_module(spec.module), spec.cls)
        panel = cls(self.context, self)
        self._panels[key] = panel
        self.stack.addWidget(panel)
        for widget in getattr(panel, "status_widgets", list)():  # e.g. auto-train's line
            self.statusBar().addPermanentWidget(widget)
        return panel

    @property
    def current_panel_key(self) -> str:
        widget = self.stack.currentWidget()
        return next((k for k, w in self._panels.items() if w is widget), "")

    # ----- actions ------------------------------------------------------------------------
    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open dataset", start_folder(self.context.dataset),
            "Data yaml (*.yaml *.yml);;All files (*)")
        if path:
            self.context.open_path(path)

    def _new_from_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of images",
                                                  start_folder(self.context.dataset))
        if folder:
            self.context.open_path(folder)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = settings.recent_projects()
        if not recent:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.setEnabled(Path(path).exists())
            action.triggered.connect(lambda _=False, p=path: self.context.open_path(p))

    def _toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def _on_dataset(self, dataset) -> None:
        title = f"{dataset.title} — {APP_NAME}" if dataset is not None else APP_NAME
        self.setWindowTitle(title)

    def _show_error(self, title: str, message: str) -> QMessageBox:
        """Window-modal but non-blocking: a nested event loop here would stall callers that
        wait on the same signal (the --screenshot mode, tests)."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                          self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def show_about(self) -> QMessageBox:
        box = QMessageBox(self)
        box.setWindowTitle(f"About {APP_NAME}")
        box.setText(about_text())
        box.setTextFormat(Qt.TextFormat.RichText)
        box.open()
        return box

    # ----- geometry and closing ---------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = settings.app_settings().value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)

    def _unsaved_panels(self) -> list[str]:
        return [key for key, panel in self._panels.items()
                if callable(getattr(panel, "has_unsaved_changes", None))
                and panel.has_unsaved_changes()]

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        unsaved = self._unsaved_panels()
        if unsaved:
            answer = QMessageBox.question(
                self, "Unsaved edits",
                "Some label edits could not be written to disk (is the folder read-only?).\n"
                "Quit anyway and lose them?",
                QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Discard,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
        s = settings.app_settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.sync()
        for panel in self._panels.values():
            shutdown = getattr(panel, "shutdown", None)
            if callable(shutdown):
                shutdown()
        self.context.shutdown()
        super().closeEvent(event)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def about_text() -> str:
    """Versions without importing torch (reading package metadata costs nothing)."""
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    rows = [
        (APP_NAME, __version__), ("Qt", qVersion()), ("PySide6", pyside_version),
        ("torch", _version("torch")), ("ultralytics", _version("ultralytics")),
        ("OpenCV", _version("opencv-python")), ("pyqtgraph", _version("pyqtgraph")),
    ]
    table = "".join(f"<tr><td>{k}</td><td><b>{v}</b></td></tr>" for k, v in rows)
    return (f"<h3>{APP_NAME}</h3><p>From a folder of photos to a working object detector "
            f"and back.</p><table>{table}</table>")
