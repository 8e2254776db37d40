"""The split tool dialog: ratios, seed, stratification, and how the split is written.

The proposal is the core's ``split_tool`` (nothing written); the preview updates as the
ratios change. Writing is the panel's job, after this dialog is accepted. The default writes
list files and moves nothing; moving files into ``images/<split>/`` must be chosen.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.dataset.index import DatasetIndex
from penguin_studio.core.dataset.project import SPLITS
from penguin_studio.core.dataset.splits import Assignment, split_tool
from penguin_studio.core.errors import UserError


class SplitDialog(QDialog):
    """Choose ratios and a seed, see the resulting counts, then accept."""

    def __init__(self, index: DatasetIndex, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Split images into train / val / test")
        self.index = index
        self.assignment: Assignment = {}
        self.ratios = {}
        ratio_row = QHBoxLayout()
        for split, value in zip(SPLITS, (80, 10, 10), strict=True):
            spin = QSpinBox()
            spin.setRange(0, 100)
            spin.setSuffix(" %")
            spin.setValue(value)
            spin.valueChanged.connect(self._update)
            ratio_row.addWidget(QLabel(split))
            ratio_row.addWidget(spin)
            self.ratios[split] = spin
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.valueChanged.connect(self._update)
        self.stratify = QCheckBox("Stratify by class presence (rare classes reach val and test)")
        self.stratify.setChecked(True)
        self.stratify.toggled.connect(self._update)
        self.as_lists = QRadioButton("Write list files (train.txt, val.txt, test.txt); "
                                     "no image is moved")
        self.as_lists.setChecked(True)
        self.as_folders = QRadioButton("Move images and labels into images/<split>/ and "
                                       "labels/<split>/ folders")
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Ratios", ratio_row)
        form.addRow("Seed", self.seed)
        form.addRow("", self.stratify)
        form.addRow("Write as", self.as_lists)
        form.addRow("", self.as_folders)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Split")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(buttons)
        self._update()

    @property
    def move_files(self) -> bool:
        return self.as_folders.isChecked()

    def ratio_values(self) -> tuple[float, float, float]:
        values = [self.ratios[s].value() / 100 for s in SPLITS]
        return values[0], values[1], values[2]

    def _update(self) -> None:
        try:
            self.assignment = split_tool(self.index, self.ratio_values(), self.seed.value(),
                                         self.stratify.isChecked())
        except UserError as exc:
            self.assignment = {}
            self.preview.setText(f"<span style='color:#e03131'>{exc}</span>")
            self.ok_button.setEnabled(False)
            return
        counts = Counter(self.assignment.values())
        current = Counter(e.split for e in self.index)
        moved = sum(1 for e in self.index if self.assignment.get(e.image, e.split) != e.split)
        parts = [f"<b>{s}</b>: {counts.get(s, 0):,} (now {current.get(s, 0):,})"
                 for s in SPLITS]
        self.preview.setText(" · ".join(parts) + f"<br>{moved:,} images change split.")
        self.ok_button.setEnabled(bool(self.assignment))
