"""The Statistics page's effort table: what labelling cost, and the time proposals saved.

Rows are the counted actions (``core/labelling/effort.py``), columns this dataset (all
sessions) and this session, with the user's own measured seconds per action. Below: the time
saved compared with drawing every box by hand, once with the published per-action costs
(``core/labelling/effort.py`` names the sources: Su et al. 2012 as quoted by Papadopoulos et
al. 2017 for a hand-drawn box, Papadopoulos et al. 2017 for extreme clicking, Papadopoulos et
al. 2016 for a verification) and once with the times measured here.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from penguin_studio.core.labelling.effort import (
    ACTIONS,
    HAND_BOX_S,
    LABELS,
    PUBLISHED_S,
    Effort,
    EffortStore,
    format_duration,
)


class EffortView(QFrame):
    """Counts per action (dataset / session), measured times and the time saved."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("effortView")
        self.setStyleSheet("QFrame#effortView { background: #ffffff; border: 1px solid "
                           "#dee2e6; border-radius: 6px; } QLabel { color: #343a40; }")
        self.title = QLabel("<b>Labelling effort</b>")
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(18)
        self.grid.setVerticalSpacing(2)
        for col, text in enumerate(("", "this dataset", "this session", "your time / action",
                                    "published")):
            self.grid.addWidget(self._dim(text), 0, col)
        self.cells: dict[tuple[str, int], QLabel] = {}
        for row, action in enumerate(ACTIONS, start=1):
            self.grid.addWidget(QLabel(LABELS[action]), row, 0)
            for col in range(1, 5):
                cell = QLabel("–")
                self.cells[(action, col)] = cell
                self.grid.addWidget(cell, row, col)
        self.saved = QLabel()
        self.saved.setObjectName("effortSaved")
        self.saved.setWordWrap(True)
        self.note = QLabel()
        self.note.setStyleSheet("color: #c92a2a;")
        self.note.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addLayout(self.grid)
        layout.addWidget(self.saved)
        layout.addWidget(self.note)
        self.set_store(None)

    @staticmethod
    def _dim(text: str) -> QLabel:
        label = QLabel(text)
        label.setStyleSheet("color: #868e96;")
        return label

    def set_store(self, store: EffortStore | None) -> None:
        total = store.total if store is not None else Effort()
        session = store.session if store is not None else Effort()
        for action in ACTIONS:
            measured = total.measured_s(action)
            values = (f"{total.counts[action]:,}", f"{session.counts[action]:,}",
                      f"{measured:.1f} s" if measured else "–", f"{PUBLISHED_S[action]:g} s")
            for col, text in enumerate(values, start=1):
                self.cells[(action, col)].setText(text)
        self.saved.setText(self.saved_text(total))
        note = store.note if store is not None else ""
        self.note.setText(note)
        self.note.setVisible(bool(note))

    @staticmethod
    def saved_text(total: Effort) -> str:
        boxes = total.boxes_made()
        if not boxes:
            return "No boxes made yet: draw or accept some in the editor."
        published = total.saved_s()
        measured = total.saved_s(total.measured_costs())
        return (f"<b>Time saved: {format_duration(published)}</b> of "
                f"{format_duration(boxes * HAND_BOX_S)} it would take to draw these {boxes:,} "
                f"boxes by hand at {HAND_BOX_S:g} s each (published costs: Su et al. 2012, "
                f"Papadopoulos et al. 2016 and 2017) · with your own measured times: "
                f"{format_duration(measured)}.")
