"""The dataset doctor's findings, grouped by check; one click opens the image in the editor.

Running the checks is the core's ``run_doctor`` in a background job with progress and
cancel. Safe fixes (clip to the image, drop exact duplicates) run only from their own button,
after a confirmation, and the core backs every changed file up first.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.dataset.doctor import CHECKS, Finding, Severity

SEVERITY_COLORS = {Severity.ERROR: "#e03131", Severity.WARNING: "#f08c00",
                   Severity.INFO: "#1971c2"}
SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
FindingRole = Qt.ItemDataRole.UserRole + 1
MAX_PER_CHECK = 2000  # beyond this the group says how many more (the CLI lists them all)


class DoctorView(QWidget):
    """Run the checks, read the findings, jump to an image, apply the safe fixes."""

    run_requested = Signal()
    cancel_requested = Signal()
    fix_requested = Signal()
    open_image = Signal(object)  # Path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.findings: list[Finding] = []
        self.run_button = QPushButton("Run checks")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.fix_button = QPushButton("Apply safe fixes…")
        self.fix_button.setToolTip("Clip boxes to the image and drop exact duplicate boxes; "
                                   "every changed file is backed up first.")
        self.fix_button.setEnabled(False)
        self.severity = QComboBox()
        for text, value in (("All findings", None), ("Errors", Severity.ERROR),
                            ("Warnings", Severity.WARNING), ("Info", Severity.INFO)):
            self.severity.addItem(text, value)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress.setMaximumWidth(260)
        self.progress.setMinimumWidth(140)
        self.summary = QLabel("Check every image and label file for what would spoil "
                              "training. Nothing is changed.")
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Finding", "Image", "Split"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 260)
        header.resizeSection(2, 70)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        self.run_button.clicked.connect(self.run_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.fix_button.clicked.connect(self.fix_requested)
        self.severity.currentIndexChanged.connect(lambda _i: self._fill())
        bar = QHBoxLayout()
        title = QLabel("Dataset doctor")
        title.setObjectName("sectionTitle")
        bar.addWidget(title)
        bar.addSpacing(12)
        bar.addWidget(self.run_button)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.progress)
        bar.addStretch(1)
        bar.addWidget(self.severity)
        bar.addWidget(self.fix_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)

    # ----- running ------------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.progress.setVisible(running)
        self.progress.setRange(0, 0)
        if running:
            self.fix_button.setEnabled(False)
            self.summary.setText("Checking images and labels…")

    def set_progress(self, done: int, total: int, message: str) -> None:
        """The bar shows the count, the line under it what is being checked: the message in
        a 260-pixel bar was cut off."""
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
        self.progress.setFormat("%v / %m")
        if message:
            text = message[:1].upper() + message[1:]
            self.summary.setText(text if text.endswith("…") else f"{text}…")

    def set_findings(self, findings: list[Finding]) -> None:
        self.set_running(False)
        self.findings = list(findings)
        self.fix_button.setEnabled(any(f.fixable for f in findings))
        counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
        if not findings:
            self.summary.setText("✓ No findings: every image and label file looks right.")
        else:
            clean = "" if counts[Severity.ERROR] or counts[Severity.WARNING] else \
                " No problems; only notes."
            self.summary.setText(
                f"<b style='color:{SEVERITY_COLORS[Severity.ERROR]}'>{counts[Severity.ERROR]}"
                f" errors</b> · <b style='color:{SEVERITY_COLORS[Severity.WARNING]}'>"
                f"{counts[Severity.WARNING]} warnings</b> · {counts[Severity.INFO]} notes."
                f"{clean} Click a finding to open its image.")
        self._fill()

    def set_message(self, text: str) -> None:
        self.set_running(False)
        self.summary.setText(text)

    # ----- tree ---------------------------------------------------------------------------
    def _fill(self) -> None:
        wanted = self.severity.currentData()
        groups: dict[str, list[Finding]] = defaultdict(list)
        for f in self.findings:
            if wanted is None or f.severity is wanted:
                groups[f.check].append(f)
        self.tree.clear()
        order = sorted(groups, key=lambda c: (SEVERITY_ORDER[groups[c][0].severity], c))
        for check in order:
            self.tree.addTopLevelItem(self._group_item(check, groups[check]))
        if sum(len(v) for v in groups.values()) <= 200:
            self.tree.expandAll()

    def _group_item(self, check: str, findings: list[Finding]) -> QTreeWidgetItem:
        severity = findings[0].severity
        meaning = CHECKS.get(check, (severity, check))[1]
        group = QTreeWidgetItem([f"{meaning}  ({len(findings):,})", "", ""])
        group.setToolTip(0, f"{check}: {meaning}")
        group.setForeground(0, QBrush(QColor(SEVERITY_COLORS[severity])))
        font = group.font(0)
        font.setBold(True)
        group.setFont(0, font)
        for f in findings[:MAX_PER_CHECK]:
            item = QTreeWidgetItem([f.message, f.image.name if f.image else "",
                                    f.split or ""])
            item.setData(0, FindingRole, f)
            where = f.image or f.label
            item.setToolTip(0, f.message)
            if where:
                item.setToolTip(1, str(where))
            group.addChild(item)
        if len(findings) > MAX_PER_CHECK:
            more = len(findings) - MAX_PER_CHECK
            group.addChild(QTreeWidgetItem([f"… and {more:,} more (see "
                                            "`penguin-studio doctor --json`)", "", ""]))
        return group

    def _clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        finding: Finding | None = item.data(0, FindingRole)
        if finding is not None and finding.image is not None:
            self.open_image.emit(Path(finding.image))
