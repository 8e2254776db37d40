"""Where a live snapshot goes, and a visible "saved" line with a way to label it now.

Snapshots used to go silently into the training images, unlabelled, which trains the model
on them as "nothing here". The choice is now on screen, "To label" (outside every split)
first; after each save a framed confirmation names the file and where it went, with an
"Open in editor" button, because a snapshot is only useful once it has boxes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QWidget,
)

from penguin_studio.core.dataset.to_label import TO_LABEL

SNAPSHOT_TARGETS = (("To label (not trained on yet)", TO_LABEL), ("train split", "train"),
                    ("val split", "val"), ("test split", "test"))


def snapshot_target_combo() -> QComboBox:
    """The "Snapshots go to" choice; "To label" is the default."""
    combo = QComboBox()
    for title, split in SNAPSHOT_TARGETS:
        combo.addItem(title, split)
    # the side column is 330 px: long titles are cut in the closed combo, never widen it
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
    combo.setToolTip("Where snapshots are added. 'To label' keeps them out of training until "
                     "you have drawn their boxes and assigned them to a split (Dataset → "
                     "Splits); an unlabelled training image teaches the model 'nothing here'.")
    return combo


class SnapshotConfirmation(QFrame):
    """A green banner above the video: "Saved live_….jpg to 'to label'", Open in editor, ×.

    Above the video rather than in the side column, which has no height to spare at 720 px.
    """

    open_requested = Signal(object)  # Path of the snapshot

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("snapshotConfirmation")
        self.setStyleSheet("#snapshotConfirmation { background: #e6f4ea; border: 1px solid "
                           "#a8dab5; border-radius: 4px; } "
                           "#snapshotConfirmation QLabel { color: #0d3b1e; }")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open in editor")
        self.open_button.setToolTip("Draw this picture's boxes in the Dataset editor now.")
        self.open_button.clicked.connect(lambda: self.open_requested.emit(self.image))
        close = QToolButton()
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip("Hide this message")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(close)
        self.image: Path | None = None
        self.hide()

    def show_report(self, report) -> None:
        """Show a :class:`~penguin_studio.core.inference.snapshot.SnapshotReport`."""
        self.image = report.image
        where = ("'to label' (not trained on until you label it and assign a split)"
                 if report.split == TO_LABEL else f"the {report.split} split")
        extra = f", with {report.boxes} proposal(s) to review" if report.proposals else ""
        refused = f" No proposals: {report.refused}" if report.refused else ""
        self.text.setText(f"✓ Saved {report.image.name} to {where}{extra}.{refused}")
        self.text.setToolTip(report.message())
        self.show()
