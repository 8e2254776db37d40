"""The annotation editor's key map: its actions, their shortcuts and tooltips, and its toolbar.

The key map is a long, flat table that changes for other reasons than the editor's document
and navigation logic, so it lives here where it reads in one place. Every action is a
``QAction`` added to the editor with the ``WidgetWithChildrenShortcut`` context, so its keys
work wherever the focus is inside the editor and nowhere else; each tooltip names its keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QToolBar

if TYPE_CHECKING:
    from penguin_studio.ui.dataset.editor import AnnotationEditor

#: toolbar order by action name; None is a separator
TOOLBAR = ("back", "return", None, "prev", "next", None, "draw", "smart", "delete", "copy_prev",
           None,
           "undo", "redo", None, "fit", "actual")


def add_action(editor: AnnotationEditor, name: str, text: str, keys, slot: Callable,
               tip: str = "") -> QAction:
    """One editor action under ``name`` in ``editor.actions_by_name``; keys in its tooltip."""
    action = QAction(text, editor)
    seqs = keys if isinstance(keys, list) else [keys]
    action.setShortcuts([QKeySequence(k) for k in seqs if k])
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shown = " or ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                        for k in action.shortcuts())
    action.setToolTip(f"{tip or text} ({shown})" if shown else tip or text)
    action.triggered.connect(slot)
    editor.addAction(action)
    editor.actions_by_name[name] = action
    return action


def build_actions(editor: AnnotationEditor) -> None:
    """Every key of the editor: navigation, drawing, undo, zoom, classes, proposal review."""
    a = editor._action
    canvas = editor.canvas
    a("back", "◀ Images", None, editor.back_requested.emit, "Back to the image browser (Esc)")
    a("return", "◀ Back", None, editor.return_requested.emit,
      "Back to where this image was opened from").setVisible(False)
    a("prev", "Previous", "A", editor.previous_image, "Previous image")
    a("next", "Next", "D", editor.next_image, "Next image")
    draw = a("draw", "Draw box", "W", editor.toggle_draw, "Draw a box: press W, then drag")
    draw.setCheckable(True)
    a("delete", "Delete", [QKeySequence.StandardKey.Delete, "Backspace"],
      editor.delete_selected, "Delete the selected box (or reject the selected proposal)")
    a("copy_prev", "Copy from previous", "C", editor.copy_from_previous,
      "Copy the boxes of the previous image onto this one")
    _add_undo_redo(editor)
    a("fit", "Fit", "F", canvas.fit, "Fit the image in the window")
    a("actual", "1:1", "Ctrl+0", canvas.actual_size, "Actual pixels")
    a("zoom_in", "Zoom in", ["+", "="], lambda: canvas.zoom_by(1.25))
    a("zoom_out", "Zoom out", "-", lambda: canvas.zoom_by(0.8))
    for n in range(1, 10):
        a(f"class_{n}", f"Class {n}", str(n), lambda _c=False, i=n - 1: editor.choose_class(i))
    editor.proposals.add_actions(a)
    editor.smart_box.add_actions(a)


def _add_undo_redo(editor: AnnotationEditor) -> None:
    """Undo and redo follow the undo group's active stack (the current image's history)."""
    undo = editor.undo_group.createUndoAction(editor, "Undo")
    undo.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)])
    redo = editor.undo_group.createRedoAction(editor, "Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    for name, action in (("undo", undo), ("redo", redo)):
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        editor.addAction(action)
        editor.actions_by_name[name] = action


def build_toolbar(actions_by_name: dict[str, QAction], zoom_label: QLabel) -> QToolBar:
    """The text-only toolbar over the canvas, in :data:`TOOLBAR` order, then the zoom."""
    toolbar = QToolBar()
    toolbar.setIconSize(QSize(16, 16))
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for name in TOOLBAR:
        if name is None:
            toolbar.addSeparator()
        else:
            toolbar.addAction(actions_by_name[name])
    toolbar.addWidget(zoom_label)
    return toolbar
