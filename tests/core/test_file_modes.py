"""Saved files keep the mode of the file they replace; new files get the umask default.

The atomic saves write a ``mkstemp`` temp file (mode 0600) and rename it: before this rule a
0644 label file silently became 0600 after one edit, and every exported JSON was 0600.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.dataset.labels import Box, atomic_write_text, write_labels
from penguin_studio.core.filemodes import default_file_mode

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_mode_is_what_open_gives(tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    probe.write_text("x")
    assert default_file_mode() == mode(probe)


@pytest.mark.parametrize("original", [0o644, 0o640, 0o664])
def test_rewriting_a_label_file_keeps_its_mode(tmp_path: Path, original: int) -> None:
    label = tmp_path / "a.txt"
    label.write_text("0 0.5 0.5 0.2 0.2\n")
    label.chmod(original)
    write_labels(label, [Box(0, 0.4, 0.4, 0.1, 0.1)])
    assert mode(label) == original
    assert "0.4" in label.read_text()


def test_a_new_file_gets_the_umask_default(tmp_path: Path) -> None:
    target = tmp_path / "new" / "b.txt"
    atomic_write_text(target, "hello\n")
    assert mode(target) == default_file_mode()


def test_exported_coco_json_and_zip_are_not_private(tiny_dataset: Path, tmp_path: Path) -> None:
    from penguin_studio.core.dataset.coco import export_coco
    from penguin_studio.core.dataset.yolozip import export_yolo_zip

    ds = open_dataset(tiny_dataset)
    out_json = tmp_path / "coco.json"
    export_coco(ds, out_json)
    assert mode(out_json) == default_file_mode()
    out_zip = tmp_path / "set.zip"
    export_yolo_zip(ds, out_zip)
    assert mode(out_zip) == default_file_mode()
    out_json.chmod(0o640)
    export_coco(ds, out_json)  # exporting again over one's own export keeps its mode
    assert mode(out_json) == 0o640


def test_class_reorder_keeps_every_label_files_mode(tiny_dataset: Path) -> None:
    from penguin_studio.core.dataset.classes import reorder_classes
    from penguin_studio.core.dataset.project import label_path_for

    ds = open_dataset(tiny_dataset)
    labels = [label_path_for(p) for p in ds.images() if label_path_for(p).exists()]
    for label in labels:
        label.chmod(0o640)
    ds.yaml_path.chmod(0o664)
    before = {label: label.read_text() for label in labels}
    reorder_classes(ds, list(reversed(range(ds.nc))))
    assert any(label.read_text() != text for label, text in before.items())  # rewritten
    assert all(mode(label) == 0o640 for label in labels)
    assert mode(ds.yaml_path) == 0o664
