"""Evaluation through ultralytics' own val(): same figures, JSON on stdout, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import shared_dataset

from penguin_studio.cli import main
from penguin_studio.core.errors import Cancelled, UserError
from penguin_studio.core.jobs import JobContext

pytestmark = pytest.mark.slow


def ultralytics_val(weights: Path, data: Path, split: str, project: Path, **kw):
    from penguin_studio.core import engine

    ul = engine.ultralytics_module()
    return ul.YOLO(str(weights)).val(data=str(data), split=split, verbose=False,
                                     project=str(project), exist_ok=True, **kw)


@pytest.mark.parametrize("split", ["val", "test"])
def test_cli_val_json_equals_ultralytics_val(tiny_weights, tiny_dataset_master, tmp_path,
                                             capfd, split):
    data = tiny_dataset_master / "data.yaml"
    code = main(["val", "--weights", str(tiny_weights), "--data", str(data), "--split", split,
                 "--json"])
    out, err = capfd.readouterr()
    assert code == 0, err
    doc = json.loads(out)  # stdout holds the JSON document and nothing else
    assert "Ultralytics" not in out and "Class" in err  # ultralytics' log went to stderr

    theirs = ultralytics_val(tiny_weights, data, split, tmp_path)
    mp, mr, map50, map_ = theirs.box.mean_results()
    assert doc["split"] == split
    assert doc["metrics"]["mAP50"] == pytest.approx(map50, abs=1e-6)
    assert doc["metrics"]["mAP50-95"] == pytest.approx(map_, abs=1e-6)
    assert doc["metrics"]["precision"] == pytest.approx(mp, abs=1e-6)
    assert doc["metrics"]["recall"] == pytest.approx(mr, abs=1e-6)
    assert doc["instances"] == int(theirs.nt_per_class.sum())
    for i, c in enumerate(theirs.box.ap_class_index):
        row = doc["classes"][int(c)]
        assert row["name"] == theirs.names[int(c)]
        assert row["instances"] == int(theirs.nt_per_class[c])
        assert row["images"] == int(theirs.nt_per_image[c])
        expected = dict(zip(("precision", "recall", "mAP50", "mAP50-95"),
                            theirs.box.class_result(i), strict=True))
        for key, value in expected.items():
            assert row[key] == pytest.approx(float(value), abs=1e-6)
    matrix = np.array(doc["confusion_matrix"]["matrix"])
    assert matrix.shape == (3, 3) and doc["confusion_matrix"]["labels"][-1] == "background"
    assert matrix[:, :2].sum() == doc["instances"]  # every object is counted once


def test_recorded_images_reproduce_ultralytics_confusion_matrix(tiny_weights,
                                                                tiny_dataset_master):
    from penguin_studio.core.evaluation import evaluate

    result = evaluate(tiny_weights, tiny_dataset_master / "data.yaml", "val", plots=True)
    assert result.ultralytics_confusion is not None
    assert np.array_equal(result.confusion(0.001, 0.45), result.ultralytics_confusion)
    assert {r.path.name for r in result.images} == {
        p.name for p in (tiny_dataset_master / "images" / "val").iterdir()}
    rows = result.image_rows(0.001, 0.45)
    totals = np.array([[r.errors.tp, r.errors.fp, r.errors.fn] for r in rows]).sum(0)
    matrix = result.confusion(0.001, 0.45)
    assert totals[0] == np.trace(matrix[:-1, :-1])  # true positives: the diagonal
    assert totals[2] == matrix[:, :-1].sum() - totals[0]  # every object not found right
    assert set(result.curves) == {"pr", "f1", "precision", "recall"}
    assert result.curves["f1"].x.shape == (1000,)


def test_evaluation_can_be_cancelled(tiny_weights, tiny_dataset_master):
    from penguin_studio.core.evaluation import evaluate

    ctx = JobContext()
    ctx.token.cancel()
    with pytest.raises(Cancelled):
        evaluate(tiny_weights, tiny_dataset_master / "data.yaml", "val", ctx=ctx)


def test_roboflow_dataset_with_missing_splits_and_other_classes(tiny_weights, tmp_path):
    """Aquarium: '../x' paths, train/valid absent, 7 classes vs the model's 2 (warned)."""
    from penguin_studio.core.evaluation import evaluate

    # a copy: ultralytics writes labels.cache beside the labels, never into shared data
    root = tmp_path / "aquarium"
    shutil.copytree(shared_dataset("aquarium-test"), root)
    result = evaluate(tiny_weights, root / "data.yaml", "test", imgsz=64)
    assert len(result.images) == 63
    assert "differ" in result.warning and "penguin" in result.warning
    # ultralytics skips labels of classes the model cannot predict; the matrix follows it
    assert result.nc == 2 and result.confusion().shape == (3, 3)


def test_bad_inputs_get_one_clear_line(tiny_weights, tiny_dataset_master, tmp_path, capfd):
    from penguin_studio.core.evaluation import evaluate

    data = tiny_dataset_master / "data.yaml"
    not_a_model = tmp_path / "best.pt"
    not_a_model.write_text("hello")
    assert main(["val", "--weights", str(not_a_model), "--data", str(data)]) == 1
    err = capfd.readouterr().err
    assert err.startswith("error: ") and "not a PyTorch checkpoint" in err
    assert len(err.strip().splitlines()) == 1

    no_test = tmp_path / "data.yaml"
    no_test.write_text(f"path: {tiny_dataset_master}\n"  # the images stay where they are
                       + data.read_text().replace("test:", "unused:"))
    with pytest.raises(UserError, match="no 'test' images"):
        evaluate(tiny_weights, no_test, "test")
    assert main(["val", "--weights", str(tiny_weights), "--data", str(data),
                 "--conf", "2"]) == 1
    assert "--conf must be between 0 and 1" in capfd.readouterr().err


def test_yaml_without_class_names_is_one_clear_line(tiny_dataset, tiny_weights, capfd):
    """ultralytics raised a KeyError traceback ('0-class dataset') from inside val()."""
    data = yaml.safe_load(tiny_dataset.read_text())
    del data["names"], data["nc"]
    tiny_dataset.write_text(yaml.safe_dump(data))
    assert main(["val", "--weights", str(tiny_weights), "--data",
                 str(tiny_dataset)]) == 1
    err = capfd.readouterr().err
    assert err.startswith("error: data.yaml names no classes: add a 'names:' list")
    assert len(err.strip().splitlines()) == 1


def test_split_of_only_broken_images_is_one_clear_line(tiny_dataset, tiny_weights, capfd):
    """ultralytics raised 'RuntimeError: No valid images found in …/val.cache' with a
    traceback when every image of the split was damaged."""
    for image in (tiny_dataset.parent / "images" / "val").iterdir():
        image.write_bytes(b"")  # zero bytes, as an interrupted copy leaves them
    assert main(["val", "--weights", str(tiny_weights), "--data", str(tiny_dataset),
                 "--imgsz", "64"]) == 1
    err = capfd.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: No image of the val split can be used: ultralytics "
                           "skipped every one as a corrupt image or label (first: ")
    assert last.endswith("Run 'penguin-studio doctor' on the dataset (or the Dataset "
                         "panel's Doctor) to see them all.")
