"""Reading images for display: full images for the editor, small ones for thumbnails.

The editor must show exactly the pixels ultralytics trains on (EXIF orientation applied, 16-bit
reduced to 8-bit, grayscale expanded), so it reads through the core's ``load_image_rgb``.
Thumbnails only need to look right, so they use Qt's scaled decoding (EXIF applied too) and
fall back to the core's reader for formats Qt lacks; failures keep the core's short reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter

from penguin_studio.core.dataset import images as core_images
from penguin_studio.core.dataset.images import ImageReadError

__all__ = ["ImageReadError", "load_image_rgb", "read_thumbnail", "rgb_to_qimage"]


def load_image_rgb(path: Path) -> np.ndarray:
    """The upright RGB uint8 pixels ultralytics would train on; raises ImageReadError."""
    return core_images.load_image_rgb(path)


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """A QImage owning a copy of an RGB uint8 array (safe after the array is freed)."""
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    image = QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888)
    return image.copy()


def read_thumbnail(path: Path, max_side: int) -> QImage:
    """A small upright image at most ``max_side`` px; raises ImageReadError with the reason.

    Thread-safe (QImage only), so it runs in the thumbnail pool.
    """
    try:
        size_bytes = path.stat().st_size
    except OSError as exc:
        raise ImageReadError(path, f"cannot be read ({exc.strerror})") from exc
    if size_bytes == 0:
        raise ImageReadError(path, "empty file (0 bytes)")
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)  # EXIF orientation, as in the editor and in training
    size = reader.size()
    if size.isValid() and size.width() > 0 and size.height() > 0:
        reader.setScaledSize(_fit(size, max_side))
    fmt = bytes(reader.format().data()).decode("ascii", "replace")
    image = reader.read()
    if image.isNull():
        image = _thumbnail_via_cv2(path, max_side, reader.errorString())
    elif core_images.file_is_complete(path, fmt) is False:
        # Qt paints a cut-off JPEG's top half without complaint; the editor, the doctor and
        # training refuse the file, so the browser says "error" too
        raise ImageReadError(path, "file ends early (truncated download or copy)")
    elif image.width() > max_side or image.height() > max_side:
        image = image.scaled(_fit(image.size(), max_side))
    return _flatten(image)


def _fit(size: QSize, max_side: int) -> QSize:
    scale = min(1.0, max_side / max(size.width(), size.height()))
    return QSize(max(1, round(size.width() * scale)), max(1, round(size.height() * scale)))


def _thumbnail_via_cv2(path: Path, max_side: int, qt_reason: str) -> QImage:
    """Formats Qt cannot decode (some TIFFs, AVIF…) go through the core before giving up."""
    rgb = core_images.load_thumbnail_rgb(path, max_side)  # raises ImageReadError(reason)
    image = rgb_to_qimage(rgb)
    return image.scaled(_fit(image.size(), max_side))


def _flatten(image: QImage) -> QImage:
    """RGB32 without alpha, so thumbnails cache as small JPEGs and paint fast."""
    if not image.hasAlphaChannel():
        return image.convertToFormat(QImage.Format.Format_RGB32)
    flat = QImage(image.size(), QImage.Format.Format_RGB32)
    flat.fill(QColor("#3a3f47"))
    painter = QPainter(flat)
    painter.drawImage(0, 0, image)
    painter.end()
    return flat
