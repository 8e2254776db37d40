"""Images load as ultralytics trains on them: EXIF applied, odd formats, clear errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from penguin_studio.core.dataset.images import (
    ImageReadError,
    file_is_complete,
    image_size,
    load_image_rgb,
    load_thumbnail_rgb,
    read_header,
)
from penguin_studio.core.errors import UserError


def _half_red(path: Path, orientation: int = 1) -> None:
    """80×40 image, left half red; optionally tagged with an EXIF orientation."""
    a = np.zeros((40, 80, 3), np.uint8)
    a[:, :40] = (255, 0, 0)
    im = Image.fromarray(a)
    exif = im.getexif()
    if orientation != 1:
        exif[274] = orientation
    im.save(path, exif=exif, quality=95)


def test_exif_rotation_applied_like_ultralytics(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    _half_red(path, orientation=6)  # rotate 90° clockwise: the red half ends on top
    rgb = load_image_rgb(path)
    assert rgb.shape == (80, 40, 3)
    assert image_size(path) == (40, 80)
    assert read_header(path).rotated
    assert rgb[10, 20, 0] > 200 and rgb[70, 20, 0] < 50
    # the very call ultralytics' imread makes gives the same pixels
    ul = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_COLOR)
    assert np.array_equal(rgb, cv2.cvtColor(ul, cv2.COLOR_BGR2RGB))


def test_sixteen_bit_png_grayscale_and_cmyk(tmp_path: Path) -> None:
    sixteen = tmp_path / "deep.png"
    Image.fromarray((np.arange(32 * 64).reshape(32, 64) * 30).astype(np.uint16)).save(sixteen)
    gray = tmp_path / "gray.png"
    Image.new("L", (30, 20), 128).save(gray)
    cmyk = tmp_path / "print.jpg"
    Image.new("CMYK", (30, 20), (0, 255, 255, 0)).save(cmyk)  # pure red in print colours
    for path, shape in ((sixteen, (32, 64, 3)), (gray, (20, 30, 3)), (cmyk, (20, 30, 3))):
        rgb = load_image_rgb(path)
        assert rgb.shape == shape and rgb.dtype == np.uint8
    assert [int(v) for v in load_image_rgb(cmyk)[5, 5]] == pytest.approx([255, 0, 0], abs=8)
    assert read_header(cmyk).mode == "CMYK"


def test_very_wide_image_and_thumbnail(tmp_path: Path) -> None:
    path = tmp_path / "panorama strip.png"
    cv2.imwrite(str(path), np.full((200, 20000, 3), 90, np.uint8))
    assert image_size(path) == (20000, 200)
    assert load_image_rgb(path).shape == (200, 20000, 3)
    thumb = load_thumbnail_rgb(path, max_side=256)
    assert max(thumb.shape[:2]) == 256


def test_jpeg_thumbnail_is_reduced_and_oriented(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    a = np.zeros((800, 1600, 3), np.uint8)
    a[:, :800] = 255
    im = Image.fromarray(a)
    exif = im.getexif()
    exif[274] = 8
    im.save(path, exif=exif)
    thumb = load_thumbnail_rgb(path, max_side=128)
    assert thumb.shape[:2] == (128, 64)  # portrait after orientation 8


def test_non_ascii_path_with_spaces(tmp_path: Path) -> None:
    folder = tmp_path / "mañana fotos ü"
    folder.mkdir()
    path = folder / "pingüino 1.jpg"
    _half_red(path)
    assert load_image_rgb(path).shape == (40, 80, 3)
    assert image_size(path) == (80, 40)


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty file"),
    (b"this is not an image", "not an image"),
])
def test_bad_files_raise_one_clear_user_error(tmp_path: Path, content: bytes,
                                              reason: str) -> None:
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    for fn in (load_image_rgb, image_size):
        with pytest.raises(UserError, match=reason) as info:
            fn(path)
        assert isinstance(info.value, ImageReadError) and "\n" not in str(info.value)


def test_missing_and_truncated(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="not found"):
        load_image_rgb(tmp_path / "nope.png")
    good = tmp_path / "good.jpg"
    _half_red(good)
    data = good.read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[: len(data) // 2])
    assert file_is_complete(good, "JPEG") is True
    assert file_is_complete(cut, "JPEG") is False
    assert file_is_complete(good, "BMP") is None
