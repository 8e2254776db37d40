"""Wizard page 4: the planned config and the equivalent ``yolo train`` command, copyable.

The preview runs the same planning as the real start (``plan_run(write=False)``), in the
background since a checkpoint of unknown architecture has to be opened with torch.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.training.config import TrainConfig


class ReviewPage(QWidget):
    title = "Review"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        mono = QFont("monospace", 9)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #cf222e; font-weight: bold;")
        self.config_text = QPlainTextEdit()
        self.config_text.setReadOnly(True)
        self.config_text.setFont(mono)
        self.command_text = QPlainTextEdit()
        self.command_text.setReadOnly(True)
        self.command_text.setFont(mono)
        self.command_text.setMaximumHeight(90)
        self.copy_config = QPushButton("Copy config")
        self.copy_config.clicked.connect(lambda: _copy(self.config_text.toPlainText()))
        self.copy_command = QPushButton("Copy command")
        self.copy_command.clicked.connect(lambda: _copy(self.command_text.toPlainText()))

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Config</b> (saved as penguin_config.yaml in the run folder; "
                              "<tt>penguin-studio train --config</tt> runs it headless)"), 1)
        head.addWidget(self.copy_config)
        layout.addLayout(head)
        layout.addWidget(self.config_text, 1)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Same run with ultralytics' command line</b>"), 1)
        head.addWidget(self.copy_command)
        layout.addLayout(head)
        layout.addWidget(self.command_text)

    def show_pending(self) -> None:
        self.error.clear()
        self.summary.setText("Checking the settings…")

    def show_plan(self, plan: TrainConfig, asked_name: str | None = None,
                  dataset: str = "") -> None:
        """Show the plan; ``asked_name`` is the run name typed on the settings page (when
        that folder exists, the plan goes into a fresh one and the summary says so)."""
        self.error.clear()
        freeze = plan.effective_freeze()
        what = {"scratch": f"{plan.model} from random weights",
                "freeze": f"{plan.weights} with layers 0-{(freeze or 1) - 1} frozen",
                "finetune": f"{plan.weights}, every layer trained",
                "hotstart": f"{plan.weights}, every layer trained with ultralytics' defaults",
                }.get(plan.mode, str(plan.weights))
        length = f"{plan.time} h" if plan.time else f"{plan.epochs} epochs"
        taken = f" ({asked_name} is taken: a run never writes into another's folder)" \
            if asked_name and asked_name != plan.name else ""
        self.summary.setText(f"Train <b>{what}</b> for {length} at {plan.imgsz} px on "
                             f"<b>{dataset or Path(plan.data).name}</b> into "
                             f"<tt>{plan.project}/{plan.name}</tt>{taken}.")
        self.config_text.setPlainText(plan.to_yaml())
        self.command_text.setPlainText(plan.yolo_command())

    def show_error(self, message: str) -> None:
        self.summary.clear()
        self.error.setText(message)
        self.config_text.clear()
        self.command_text.clear()


def _copy(text: str) -> None:
    QGuiApplication.clipboard().setText(text)
