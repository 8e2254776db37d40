"""A panel that says plainly what it will do, until its real implementation lands."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class PlaceholderPanel(QWidget):
    """Title, one paragraph of what is coming, and the open dataset's name."""

    def __init__(self, context, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 48, 48, 48)
        heading = QLabel(f"<h1>{title}</h1>")
        body = QLabel(text)
        body.setWordWrap(True)
        body.setTextFormat(Qt.TextFormat.RichText)
        self._dataset_label = QLabel()
        self._dataset_label.setStyleSheet("color: palette(mid);")
        for w in (heading, body, self._dataset_label):
            layout.addWidget(w)
        layout.addStretch(1)
        context.dataset_changed.connect(self._on_dataset)
        self._on_dataset(context.dataset)

    def _on_dataset(self, dataset) -> None:
        if dataset is None:
            self._dataset_label.setText("No dataset open.")
        else:
            self._dataset_label.setText(
                f"Dataset: <b>{dataset.title}</b>, {dataset.image_count} images, "
                f"{len(dataset.names)} classes ({', '.join(dataset.names[:8])})."
            )
