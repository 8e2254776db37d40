"""A yaml whose ``path:`` leads to another folder: say so, and ask before any edit.

A copied project whose yaml still names the original's folder would show and edit the
original's images (see :class:`~penguin_studio.core.dataset.datayaml.PathConflict`). The
Dataset panel shows a banner with the two answers as soon as such a yaml opens, and every
way into an edit (the editor, the dataset tools) asks first while no answer was given.
``ask`` is an attribute so tests can answer the question.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from penguin_studio.core.errors import UserError
from penguin_studio.ui.dataset.banner import Banner

BESIDE, KEEP = "beside", "keep"
BESIDE_TEXT = "Use the images beside this yaml"
KEEP_TEXT = "Use the path in the yaml"


def ask_which_images(parent: QWidget, text: str) -> str | None:
    """The question as a dialog: BESIDE, KEEP, or None (cancelled)."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Which images do you mean?",
                      f"{text}\n\nChoose before editing anything.", parent=parent)
    beside = box.addButton(BESIDE_TEXT, QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton(KEEP_TEXT, QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(beside)
    box.exec()
    clicked = box.clickedButton()
    return BESIDE if clicked is beside else KEEP if clicked is keep else None


class PathChoice:
    """The banner of the Dataset panel and the guard in front of every edit."""

    def __init__(self, panel: QWidget, context, get_dataset: Callable[[], object]) -> None:
        self.panel, self.context, self._dataset = panel, context, get_dataset
        self.ask: Callable[[str], str | None] = lambda text: ask_which_images(panel, text)
        self.banner = Banner("warning")
        self.banner.add_button(BESIDE_TEXT, lambda: self.choose(BESIDE)).setToolTip(
            "Remove the 'path:' line from this yaml, so it uses the images in its own folder.")
        self.banner.add_button(KEEP_TEXT, lambda: self.choose(KEEP)).setToolTip(
            "Keep editing the images the yaml's path names; not asked again for this folder.")

    @property
    def conflict(self):
        dataset = self._dataset()
        return getattr(dataset, "path_conflict", None) if dataset is not None else None

    def dataset_opened(self, dataset) -> None:
        conflict = getattr(dataset, "path_conflict", None) if dataset is not None else None
        self.banner.show_text(f"⚠ {conflict.message()}" if conflict else None)

    def allow_edit(self) -> bool:
        """True when edits may go ahead; otherwise asks first (and reopens on "beside")."""
        conflict = self.conflict
        if conflict is None:
            return True
        answer = self.ask(conflict.message())
        if answer is None:
            return False
        self.choose(answer)
        return answer == KEEP

    def choose(self, answer: str) -> None:
        """Apply an answer: rewrite the yaml (beside) or remember the path (keep), reopen."""
        from penguin_studio.core.dataset.yaml_root import keep_path_in_yaml, use_images_beside_yaml

        dataset = self._dataset()
        if dataset is None or getattr(dataset, "path_conflict", None) is None:
            return
        action = use_images_beside_yaml if answer == BESIDE else keep_path_in_yaml
        try:
            reopened = action(dataset)
        except UserError as exc:
            self.context.error.emit("Dataset path", str(exc))
            return
        dataset.path_conflict = None  # answered: no second question while it reopens
        self.banner.show_text(None)
        where = reopened.root
        self.context.status_message.emit(f"Showing and editing the images in {where}.", 8000)
        self.context.open_path(reopened.yaml_path)
