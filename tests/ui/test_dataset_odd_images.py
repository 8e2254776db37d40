"""Images people really have: huge strips, 16-bit, CMYK, grayscale, EXIF-rotated, odd names.

Each must show a thumbnail and open in the editor at the size ultralytics trains at.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def odd_folder(tmp_path: Path) -> dict[str, tuple[Path, tuple[int, int]]]:
    """name → (path, (width, height) as trained)."""
    folder = tmp_path / "field photos"
    folder.mkdir()
    rng = np.random.default_rng(1)
    out = {}
    strip = folder / "strip 20000x200.jpg"
    cv2.imwrite(str(strip), rng.integers(0, 255, (200, 20000, 3), np.uint8))
    out["strip"] = (strip, (20000, 200))
    png16 = folder / "depth16.png"
    cv2.imwrite(str(png16), rng.integers(0, 65535, (120, 90), np.uint16))
    out["png16"] = (png16, (90, 120))
    cmyk = folder / "cmyk.jpg"
    Image.new("CMYK", (64, 48), (0, 128, 255, 0)).save(cmyk)
    out["cmyk"] = (cmyk, (64, 48))
    gray = folder / "gray.jpg"
    cv2.imwrite(str(gray), rng.integers(0, 255, (50, 70), np.uint8))
    out["gray"] = (gray, (70, 50))
    rotated = folder / "pingüino ñ 企鹅.jpg"  # non-ASCII name, EXIF "rotate 90° CW"
    image = Image.fromarray(rng.integers(0, 255, (40, 100, 3), np.uint8))
    exif = image.getexif()
    exif[274] = 6
    image.save(rotated, exif=exif)
    out["rotated"] = (rotated, (40, 100))  # stored 100×40, shown and trained 40×100
    return out


def test_odd_images_show_and_open_at_their_trained_size(qtbot, odd_folder,
                                                        open_dataset_panel) -> None:
    folder = next(iter(odd_folder.values()))[0].parent
    panel = open_dataset_panel(folder, indexed=False)
    assert panel.browser.model.rowCount() == len(odd_folder)
    assert panel.wait_until_idle()
    for name, (path, (w, h)) in odd_folder.items():
        pix = panel.thumbnails.pixmap(str(path))
        assert pix is not None, (name, panel.thumbnails.error(str(path)))
        assert (pix.width() >= pix.height()) == (w >= h), name  # orientation as trained
        with qtbot.waitSignal(panel.editor.image_shown, timeout=20000):
            panel.edit_image(path)
        assert panel.editor.canvas.image_size == (w, h), name
        assert panel.editor.canvas.editable, name
