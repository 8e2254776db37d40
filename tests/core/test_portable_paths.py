"""A copied project edits its own images: yamls we write hold no absolute path, and a yaml
whose path: leads away from a folder that holds the images too is flagged, never followed
silently."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from penguin_studio import cli
from penguin_studio.core.dataset import create_project, open_dataset
from penguin_studio.core.dataset.classes import add_class
from penguin_studio.core.dataset.datayaml import updated_data_yaml
from penguin_studio.core.dataset.yaml_root import keep_path_in_yaml, use_images_beside_yaml
from penguin_studio.core.sample import generate_sample


def _images(folder: Path, n: int = 3) -> Path:
    import cv2
    import numpy as np

    folder.mkdir(parents=True)
    for i in range(n):
        cv2.imwrite(str(folder / f"shot{i}.jpg"), np.full((32, 32, 3), 40 * i, np.uint8))
    return folder


def test_new_project_and_sample_write_no_absolute_path_and_copies_stay_apart(
        tmp_path: Path) -> None:
    folder = _images(tmp_path / "shots")
    ds = create_project(folder, ["penguin"])
    assert "path" not in yaml.safe_load(ds.yaml_path.read_text())
    sample = generate_sample(tmp_path / "sample", images=3)
    assert "path" not in yaml.safe_load(sample.data_yaml.read_text())
    for original in (folder, sample.root):
        copy = tmp_path / f"copy-of-{original.name}"
        shutil.copytree(original, copy)
        opened = open_dataset(copy)
        assert opened.root == copy and opened.path_conflict is None
        assert all(copy in image.parents for image in opened.images())
        added = add_class(opened, "seal")  # an edit of the copy
        assert added.names[-1] == "seal" and "seal" not in open_dataset(original).names
        assert "path" not in yaml.safe_load((copy / "data.yaml").read_text())


def test_first_class_of_a_plain_folder_writes_a_portable_yaml(tmp_path: Path) -> None:
    folder = _images(tmp_path / "plain")
    ds = add_class(open_dataset(folder), "penguin")
    assert "path" not in yaml.safe_load(ds.yaml_path.read_text())


def test_updates_keep_a_path_elsewhere_and_drop_one_naming_the_yaml_folder(
        tmp_path: Path) -> None:
    root = generate_sample(tmp_path / "p", images=3).root
    data = yaml.safe_load((root / "data.yaml").read_text())
    (root / "data.yaml").write_text(yaml.safe_dump({**data, "path": str(root)}))
    assert "path" not in yaml.safe_load(updated_data_yaml(root / "data.yaml", names=["a", "b"]))
    (root / "data.yaml").write_text(yaml.safe_dump({**data, "path": "../p"}))
    assert "path" not in yaml.safe_load(updated_data_yaml(root / "data.yaml"))
    (root / "data.yaml").write_text(yaml.safe_dump({**data, "path": "/data/elsewhere"}))
    kept = yaml.safe_load(updated_data_yaml(root / "data.yaml"))["path"]
    assert kept == "/data/elsewhere"


def _old_style_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A sample written the old way (absolute path:), then its folder copied."""
    original = generate_sample(tmp_path / "original", images=3).root
    data = yaml.safe_load((original / "data.yaml").read_text())
    (original / "data.yaml").write_text(yaml.safe_dump({"path": str(original), **data}))
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    return original, copy


def test_a_copy_whose_yaml_points_at_the_original_is_flagged(tmp_path: Path, capsys) -> None:
    original, copy = _old_style_copy(tmp_path)
    assert open_dataset(original).path_conflict is None  # path: names its own folder
    ds = open_dataset(copy)
    conflict = ds.path_conflict
    assert conflict is not None and ds.root == original  # what the yaml says, until asked
    assert conflict.local_root == copy and str(original) in conflict.message()
    code = cli.main(["dataset", "info", str(copy / "data.yaml")])
    err = capsys.readouterr().err
    assert code == 0 and err.startswith("warning: data.yaml says path: ")
    assert "holds the images too" in err and err.count("\n") == 1


def test_using_the_images_beside_the_yaml_edits_only_the_copy(tmp_path: Path) -> None:
    original, copy = _old_style_copy(tmp_path)
    before = (original / "data.yaml").read_text()
    ds = use_images_beside_yaml(open_dataset(copy))
    assert ds.root == copy and ds.path_conflict is None
    assert all(copy in image.parents for image in ds.images())
    assert "path" not in yaml.safe_load((copy / "data.yaml").read_text())
    assert (original / "data.yaml").read_text() == before


def test_keeping_the_path_is_remembered_for_this_folder_only(tmp_path: Path) -> None:
    original, copy = _old_style_copy(tmp_path)
    before = (copy / "data.yaml").read_text()
    ds = keep_path_in_yaml(open_dataset(copy))
    assert ds.path_conflict is None and ds.root == original
    assert (copy / "data.yaml").read_text() == before  # the yaml itself is not touched
    again = tmp_path / "copy2"
    shutil.copytree(copy, again)
    assert open_dataset(again).path_conflict is not None


def test_ultralytics_gets_absolute_paths_for_a_portable_yaml(tmp_path: Path) -> None:
    from penguin_studio.core.evaluation.validate import ultralytics_data_yaml as val_yaml
    from penguin_studio.core.training.plan import ultralytics_data_yaml as train_yaml

    root = generate_sample(tmp_path / "p", images=3).root
    ds = open_dataset(root)
    # no path: ultralytics resolves splits against the yaml's folder too: used as is
    assert train_yaml(ds, tmp_path / "run") == root / "data.yaml"
    copy = yaml.safe_load(val_yaml(ds, "val").read_text())
    assert Path(copy["path"]).is_absolute() and Path(copy["val"]).is_absolute()
    listed = Path(copy["val"]).read_text().split()
    assert listed and all(Path(p).is_absolute() and root in Path(p).parents for p in listed)
    assert json.dumps(copy)  # plain data


def test_training_and_evaluation_copies_are_one_format(tmp_path: Path) -> None:
    """Both copies keep the user's own keys (a Roboflow block), drop ``download`` (it would
    fetch data) and list each split's images in ``splits/``."""
    from penguin_studio.core.evaluation.validate import ultralytics_data_yaml as val_yaml
    from penguin_studio.core.training.plan import ultralytics_data_yaml as train_yaml

    root = generate_sample(tmp_path / "p", images=4).root
    data = yaml.safe_load((root / "data.yaml").read_text())
    data.update(path=".", roboflow={"project": "birds"}, download="https://example.invalid/x")
    (root / "data.yaml").write_text(yaml.safe_dump(data))
    ds = open_dataset(root)
    trained = yaml.safe_load(train_yaml(ds, tmp_path / "run").read_text())
    evaluated = yaml.safe_load(val_yaml(ds, "val").read_text())
    for copy in (trained, evaluated):
        assert copy["roboflow"] == {"project": "birds"} and "download" not in copy
        assert Path(copy["val"]).parent.name == "splits"
    assert Path(trained["train"]).parent == tmp_path / "run" / "splits"
