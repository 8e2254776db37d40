"""Folder census: counts at any (conf, IoU) equal predict's, CSV round trip, EXIF order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from penguin_studio.core.errors import UserError
from penguin_studio.core.inference import counting
from penguin_studio.core.inference.filtering import Detections
from penguin_studio.core.inference.predict import (
    ModelInfo,
    PredictedImage,
    Predictions,
    predict_source,
)


@pytest.fixture(scope="module")
def census_preds(tiny_weights: Path, tiny_dataset_master: Path) -> Predictions:
    return predict_source(tiny_weights, tiny_dataset_master / "images" / "train")


@pytest.mark.slow
@pytest.mark.parametrize(("quantile", "iou"), [(0.0, 0.7), (0.5, 0.3), (0.95, 0.5)])
def test_census_counts_equal_counting_predicts_boxes(census_preds: Predictions,
                                                     tiny_weights: Path, quantile: float,
                                                     iou: float) -> None:
    from penguin_studio.core import engine

    model = engine.load_model(tiny_weights)
    scores = np.concatenate([item.raw.conf for item in census_preds.items])
    conf = max(0.001, float(np.quantile(scores, quantile)) * 0.999)  # the tiny model is shy
    census = counting.count_predictions(census_preds, conf, iou)
    by_image = {row.image: row.counts for row in census.rows}
    assert census.total > 0, "the tiny model should propose something at these thresholds"
    for item in census_preds.items:
        result = model.predict(str(item.path), conf=conf, iou=iou, imgsz=64, verbose=False)[0]
        expected = [int((result.boxes.cls == c).sum()) for c in range(len(census.names))]
        assert list(by_image[item.path]) == expected, item.path.name
    assert sum(census.totals.values()) == sum(sum(c) for c in by_image.values())


def _fake_preds(tmp_path: Path, names: list[str], boxes_per_image: list[list[int]]) -> Predictions:
    info = ModelInfo(tmp_path / "w.pt", names, False, 64)
    preds = Predictions(model=info, source=tmp_path, kind="folder")
    for i, classes in enumerate(boxes_per_image):
        n = len(classes)
        xyxy = np.array([[10 + 30 * k, 10, 30 + 30 * k, 30] for k in range(n)], float)
        dets = Detections(xyxy.reshape(-1, 4), np.full(n, 0.9), np.array(classes))
        preds.items.append(PredictedImage(tmp_path / f"img_{i}.jpg", None, (200, 50), dets, 1.0))
    return preds


def test_census_totals_mean_and_csv_round_trip(tmp_path: Path) -> None:
    preds = _fake_preds(tmp_path, ["penguin", "rock"], [[0, 0, 1], [0], [], [1, 1]])
    census = counting.count_predictions(preds, 0.25, 0.7)
    assert census.totals == {"penguin": 3, "rock": 3}
    assert census.mean_per_image == {"penguin": 0.75, "rock": 0.75}
    only_penguins = counting.count_predictions(preds, 0.25, 0.7, classes=[0])
    assert only_penguins.totals == {"penguin": 3, "rock": 0}
    path = counting.write_census_csv(census, tmp_path / "counts.csv")
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "image,capture_time,penguin,rock,total"
    back = counting.read_census_csv(path)
    assert back.names == census.names
    assert [(r.image.name, r.counts) for r in back.rows] == \
        [(r.image.name, r.counts) for r in census.ordered()]
    assert not list(tmp_path.glob(".*partial"))


def test_census_orders_by_exif_capture_time_when_present(tmp_path: Path) -> None:
    from PIL import Image

    times = {"a.jpg": "2024:05:02 10:00:00", "b.jpg": "2024:05:01 09:30:00", "c.jpg": None}
    for name, when in times.items():
        exif = Image.Exif()
        if when:
            exif.get_ifd(counting.EXIF_IFD)[counting.DATETIME_ORIGINAL] = when
        Image.new("RGB", (32, 32), "white").save(tmp_path / name, exif=exif)
    preds = _fake_preds(tmp_path, ["penguin"], [[0], [0, 0], []])
    for item, name in zip(preds.items, times, strict=True):
        item.path = tmp_path / name
    census = counting.count_predictions(preds, 0.25, 0.7)
    assert [r.image.name for r in census.ordered()] == ["b.jpg", "a.jpg", "c.jpg"]
    assert [r.image.name for r in census.ordered("name")] == ["a.jpg", "b.jpg", "c.jpg"]
    text = counting.census_csv_text(census)
    assert "2024-05-01 09:30:00" in text
    back = counting.read_census_csv(counting.write_census_csv(census, tmp_path / "t.csv"))
    assert back.rows[0].captured is not None and back.rows[0].captured.day == 1


def test_census_csv_errors_are_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,count\nx,1\n", encoding="utf-8")
    with pytest.raises(UserError, match="not a census CSV"):
        counting.read_census_csv(bad)
    census = counting.Census(names=["penguin"])
    with pytest.raises(UserError, match="does not exist"):
        counting.write_census_csv(census, tmp_path / "missing" / "c.csv")
