"""One decoder for every view: an orientation-tagged photo looks the same in the editor,
Evaluate's error view, Detect and pre-labelling (Detect and pre-labelling used plain
``cv2.imdecode``, which ignores the orientation of AVIF/HEIC files and cannot open HEIC).

pi-heif cannot write HEIC, so an AVIF with the same EXIF "rotate 90°" tag stands in for a
phone photo; it takes the same Pillow path as HEIC in ``core.dataset.images``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from penguin_studio.core.dataset.project import open_dataset
from penguin_studio.core.inference import predict, prelabel
from penguin_studio.ui.dataset.image_io import load_image_rgb as editor_pixels


def _rotated_photo(path: Path) -> Path:
    """80×40, left half red, tagged "rotate 90° clockwise": upright it is 40×80, red on top."""
    array = np.zeros((40, 80, 3), np.uint8)
    array[:, :40] = (230, 20, 20)
    image = Image.fromarray(array)
    exif = image.getexif()
    exif[274] = 6
    image.save(path, exif=exif, quality=95)
    return path


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "photos"
    folder.mkdir()
    return [_rotated_photo(folder / "phone.jpg"), _rotated_photo(folder / "phone.avif")]


def _upright_red_on_top(rgb: np.ndarray) -> bool:
    return rgb.shape[:2] == (80, 40) and rgb[10, 20, 0] > 180 and rgb[70, 20, 0] < 60


def test_editor_and_evaluate_error_view_show_the_same_upright_pixels(photos) -> None:
    for path in photos:
        shown = editor_pixels(path)
        assert _upright_red_on_top(shown), path.name
        evaluate_view = predict.read_image(path)  # what ui/evaluate/mistakes.py shows
        assert evaluate_view is not None, path.name
        assert np.array_equal(evaluate_view[..., ::-1], shown), path.name


@pytest.mark.slow
def test_detect_and_prelabelling_see_what_the_editor_shows(photos, tiny_weights,
                                                          monkeypatch) -> None:
    seen: dict[str, tuple[int, ...]] = {}
    original = predict.Predictor.raw

    def recording_raw(self, image, *args, **kwargs):  # a spy: the real model still runs
        seen[f"{len(seen)}"] = image.shape
        return original(self, image, *args, **kwargs)

    monkeypatch.setattr(predict.Predictor, "raw", recording_raw)
    detected = predict.predict_source(tiny_weights, photos[0].parent)
    by_name = {item.path.name: item for item in detected.items}
    for path in photos:
        shown = editor_pixels(path)
        item = by_name[path.name]
        assert item.size == (shown.shape[1], shown.shape[0]), path.name
        assert np.array_equal(predict.load_pixels(item)[..., ::-1], shown), path.name

    seen.clear()
    report = prelabel.prelabel(open_dataset(photos[0].parent), tiny_weights, conf=0.001,
                               images=photos)
    assert report.images == 2 and not report.skipped
    assert sorted(seen.values()) == [(80, 40, 3), (80, 40, 3)]
