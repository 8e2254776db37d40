"""Asking where outputs go: a fresh ``detections/<model>-<date>/`` folder first.

A folder dialog cannot propose a folder that does not exist yet, and opening it among the
dataset's images invited the mistake of saving over them. So the first question names the
new folder and offers it with one click; "Other folder…" opens the dialog, and whatever is
chosen is checked by :mod:`penguin_studio.core.outputs_guard` before any file is written.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


def ask_output_folder(parent: QWidget, title: str, what: str, default: Path) -> str | None:
    """The folder the user accepts (``default`` or one chosen), ``None`` when cancelled."""
    box = QMessageBox(QMessageBox.Icon.Question, title,
                      f"Save {what} into a new folder?\n\n{default}", parent=parent)
    save = box.addButton("Save", QMessageBox.ButtonRole.AcceptRole)
    other = box.addButton("Other folder…", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(save)
    box.exec()
    if box.clickedButton() is save:
        return str(default)
    if box.clickedButton() is other:
        start = default.parent if default.parent.is_dir() else default.parent.parent
        folder = QFileDialog.getExistingDirectory(parent, title, str(start))
        return folder or None
    return None
