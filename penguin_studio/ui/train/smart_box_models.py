"""The Smart box part of the Models… dialog: which Segment Anything weights it uses.

The SAM checkpoints are listed in the same table as the COCO models (download on request,
import a file); the row under the table says which engine the editor's Smart box uses and
lets the user pick the selected SAM file, or GrabCut (no weights). The choice is kept in
the settings file, so the editor opens that engine next time too.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from penguin_studio.core.errors import UserError
from penguin_studio.core.smartbox import weights as sam_weights
from penguin_studio.ui.widgets.smart_box_weights import choose_weights, chosen_weights


def sam_caption(name: str) -> str | None:
    """``mobile_sam.pt — MobileSAM, for Smart box`` for a SAM row; None for other models."""
    model = sam_weights.sam_model(name)
    return None if model is None else f"{name} — {model.label}, for Smart box"


class SmartBoxChoice:
    """The 'Smart box uses …' row: a caption and two buttons, updated with the selection."""

    def __init__(self, dialog) -> None:
        self.dialog = dialog
        self.row = QWidget()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.use_button = QPushButton("Use for Smart box")
        self.use_button.setToolTip("The editor's Smart box tool (S) uses the selected "
                                   "Segment Anything weights")
        self.use_button.clicked.connect(self.use_selected)
        self.grabcut_button = QPushButton("Use GrabCut")
        self.grabcut_button.setToolTip("Smart box without weights (OpenCV GrabCut)")
        self.grabcut_button.clicked.connect(self.use_grabcut)
        layout = QHBoxLayout(self.row)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.use_button)
        layout.addWidget(self.grabcut_button)
        self.update(None)

    def update(self, row) -> None:
        current = chosen_weights()
        shown = "GrabCut (no weights needed)" if current == sam_weights.GRABCUT else current
        self.label.setText(f"Smart box uses: <b>{shown}</b>")
        self.use_button.setEnabled(bool(row is not None and row.on_disk
                                        and row.path.suffix == ".pt"))
        self.grabcut_button.setEnabled(current != sam_weights.GRABCUT)

    def use_selected(self) -> None:
        name = self.dialog.selected_name()
        row = next((r for r in self.dialog.rows if r.name == name), None)
        if row is None or not row.on_disk:
            return
        try:
            sam_weights.identify(row.path)
        except UserError as exc:
            self.dialog.message.setText(f"<span style='color:#cf222e'>{exc}</span>")
            return
        choose_weights(str(row.path))
        self.dialog.message.setText(f"Smart box will use {row.name}.")
        self.update(row)

    def use_grabcut(self) -> None:
        choose_weights(sam_weights.GRABCUT)
        self.dialog.message.setText("Smart box will use GrabCut.")
        self.update(None)
