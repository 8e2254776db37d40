"""``penguin-studio dataset next`` and ``penguin-studio prelabel`` end to end (real model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from renamed_weights import renamed_weights

from penguin_studio import cli
from penguin_studio.core.dataset.project import label_path_for, open_dataset
from penguin_studio.core.inference.prelabel import load_proposals


def _unlabel(data: Path, n: int) -> list[Path]:
    images = open_dataset(data).unique_images()[:n]
    for image in images:
        label_path_for(image).unlink()
    return images


def test_dataset_next_prints_the_queue_with_scores(tiny_dataset: Path, tiny_weights: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    images = _unlabel(tiny_dataset, 5)
    assert cli.main(["dataset", "next", str(tiny_dataset), "--weights", str(tiny_weights),
                     "--n", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [row["rank"] for row in out["queue"]] == [1, 2, 3]
    assert {row["image"] for row in out["queue"]} <= {str(p) for p in images}
    assert all(0.0 <= row["uncertainty"] <= 1.0 for row in out["queue"])
    assert cli.main(["dataset", "next", str(tiny_dataset)]) == 0  # no run yet: diversity
    text = capsys.readouterr().out
    assert "ordered by diversity only; 5 images" in text and text.count(".jpg") == 5


def test_dataset_next_of_a_fully_labelled_dataset_says_what_to_add(
        tiny_dataset: Path, capsys: pytest.CaptureFixture) -> None:
    """It printed '0 images' and nothing more."""
    assert cli.main(["dataset", "next", str(tiny_dataset)]) == 0
    captured = capsys.readouterr()
    assert "0 images" in captured.out
    assert "every image has a label file; --labelled lists" in captured.err


def test_prelabel_writes_proposals_as_the_gui_does(tiny_dataset: Path, tiny_weights: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    images = _unlabel(tiny_dataset, 3)
    assert cli.main(["prelabel", str(tiny_dataset), "--weights", str(tiny_weights),
                     "--conf", "0.001", "--only-unlabelled"]) == 0
    assert "unlabelled images" in capsys.readouterr().out
    for image in images:
        props = load_proposals(image, tiny_dataset.parent)
        assert props is not None and props.weights.endswith("best.pt")
        assert not label_path_for(image).exists()  # ground truth untouched


def test_prelabel_bad_input_is_one_line(tiny_dataset: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert cli.main(["prelabel", str(tiny_dataset), "--weights", str(text)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
    assert cli.main(["prelabel", str(tiny_dataset), "--weights", str(text), "--conf",
                     "2"]) == 1
    assert "--conf must be between 0 and 1" in capsys.readouterr().err
    # 0 is refused too: the message said "between 0 and 1 (not 0.0)", which reads as wrong
    assert cli.main(["prelabel", str(tiny_dataset), "--weights", str(text), "--conf",
                     "0"]) == 1
    assert "both left out (not 0.0)" in capsys.readouterr().err


def test_prelabel_and_next_refuse_a_model_of_other_classes(tiny_dataset: Path,
                                                           tiny_weights: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    _unlabel(tiny_dataset, 2)
    other = renamed_weights(tiny_weights, tmp_path / "coco.pt", ["person", "bicycle"])
    for command in (["prelabel", str(tiny_dataset), "--weights", str(other)],
                    ["dataset", "next", str(tiny_dataset), "--weights", str(other)]):
        assert cli.main(command) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: This model's classes (person, bicycle) differ from the "
                              "dataset's (penguin, rock)") and "\n" not in err
    assert not (tiny_dataset.parent / ".penguin-studio" / "proposals").exists()
