"""Model-assisted labelling: proposals apart from ground truth until a person decides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from renamed_weights import renamed_weights

from penguin_studio.core.dataset.labels import Box, LabelParseError, read_labels
from penguin_studio.core.dataset.project import label_path_for, open_dataset
from penguin_studio.core.inference import prelabel as pl

pytestmark = pytest.mark.slow


@pytest.fixture
def half_labelled(tiny_dataset):
    """The tiny dataset with the labels of its val and test images removed."""
    dataset = open_dataset(tiny_dataset)
    for image in dataset.images("val") + dataset.images("test"):
        label_path_for(image).unlink()
    return dataset


def test_prelabel_then_accept_and_reject(half_labelled, tiny_weights):
    dataset = half_labelled
    unlabelled = pl.unlabelled_images(dataset)
    assert unlabelled == dataset.images("val") + dataset.images("test")
    assert len(unlabelled) == 3
    report = pl.prelabel(dataset, tiny_weights, conf=0.001)
    assert report.images == len(unlabelled) and report.proposals > 0
    assert report.summary().startswith(f"Proposed {report.proposals} boxes on 3 unlabelled")
    first, second = unlabelled[0], unlabelled[1]
    # proposals live apart; ground truth is untouched until someone decides
    assert not label_path_for(first).exists()
    relative = first.relative_to(dataset.root)
    stored = dataset.root / ".penguin-studio" / "proposals" / f"{relative}.json"
    assert json.loads(stored.read_text())["proposals"][0]["status"] == "unreviewed"
    props = pl.load_proposals(first)  # found without naming the dataset root
    assert props.pending == list(range(len(props.proposals)))
    assert pl.pending_images(dataset) == unlabelled

    props = pl.accept(first, 0)
    assert [b.to_line() for b in read_labels(label_path_for(first))] == \
        [props.proposals[0].box.to_line()]
    assert props.proposals[0].status == "accepted" and 0 not in props.pending
    pl.accept(first, 0)  # pressing the key twice does not duplicate the box
    assert len(read_labels(label_path_for(first))) == 1
    props = pl.reject(first, "all")
    assert props.pending == [] and {p.status for p in props.proposals[1:]} == {"rejected"}
    assert len(read_labels(label_path_for(first))) == 1  # rejecting never writes labels

    moved = Box(1, 0.5, 0.5, 0.2, 0.1)
    props = pl.adjust(second, 0, moved)
    assert props.proposals[0].status == "adjusted"
    assert [b.to_line() for b in read_labels(label_path_for(second))] == [moved.to_line()]
    assert first not in pl.pending_images(dataset) and second in pl.pending_images(dataset)
    # a second run leaves images that already have proposals alone
    assert pl.prelabel(dataset, tiny_weights, conf=0.001).images == 0
    # labelled images too (as --all-images asks): the summary does not call them unlabelled
    on_labelled = pl.prelabel(dataset, tiny_weights, conf=0.001,
                              images=dataset.images("train")[:2])
    assert on_labelled.summary().startswith(f"Proposed {on_labelled.proposals} boxes on 2 "
                                            f"images")


def test_unparsable_label_file_is_left_untouched(half_labelled, tiny_weights):
    image = half_labelled.images("test")[0]
    pl.prelabel(half_labelled, tiny_weights, conf=0.001, images=[image])
    label = label_path_for(image)
    label.write_text("0 0.5 0.5 oops 0.1\n")
    with pytest.raises(LabelParseError, match="'oops' is not a number"):
        pl.accept(image, "all")
    assert label.read_text() == "0 0.5 0.5 oops 0.1\n"
    assert pl.load_proposals(image).pending  # still waiting for review


def test_review_errors_are_clear(half_labelled, tiny_weights):
    image = half_labelled.images("test")[0]
    with pytest.raises(pl.UserError, match="has no proposals"):
        pl.accept(image, 0)
    pl.prelabel(half_labelled, tiny_weights, conf=0.001, images=[image])
    with pytest.raises(pl.UserError, match="no proposal number 999"):
        pl.reject(image, 999)
    # an editor with its own undoable document records the decision only
    props = pl.mark(image, 0, pl.ACCEPTED)
    assert props.proposals[0].status == "accepted"
    assert not label_path_for(image).exists()


def test_proposal_classes_must_be_the_datasets_in_any_order():
    rule = pl.proposal_class_mapping
    assert rule(["penguin", "rock"], ["penguin", "rock"]) == {0: 0, 1: 1}
    assert rule(["Rock ", "penguin"], ["penguin", "rock"]) == {0: 1, 1: 0}  # mapped by name
    assert rule(["a", "b"], []) == {0: 0, 1: 1}  # a dataset that names no classes yet
    with pytest.raises(pl.UserError, match=r"^This model's classes \(person, penguin, rock\) "
                       r"differ from the dataset's \(penguin, rock\): the dataset has no "
                       r"person\."):
        rule(["person", "penguin", "rock"], ["penguin", "rock"])  # an extra class
    with pytest.raises(pl.UserError, match=r"\(penguin\) differ from the dataset's "
                       r"\(penguin, rock\): the model lacks rock\."):
        rule(["penguin"], ["penguin", "rock"])  # a missing class
    coco = [f"class{i}" for i in range(80)]
    with pytest.raises(pl.UserError, match=r"class11, … \(80 in all\)\) differ") as refused:
        rule(coco, ["penguin", "rock"])
    assert "\n" not in str(refused.value)


def test_prelabel_refuses_a_model_of_other_classes_before_any_image(half_labelled,
                                                                     tiny_weights, tmp_path):
    other = renamed_weights(tiny_weights, tmp_path / "other.pt", ["penguin", "rock", "seal"])
    with pytest.raises(pl.UserError, match=r"\(penguin, rock, seal\) differ from the "
                       r"dataset's \(penguin, rock\)"):
        pl.prelabel(half_labelled, other)
    assert not (half_labelled.root / pl.PROPOSALS_DIR).exists()
    swapped = renamed_weights(tiny_weights, tmp_path / "swapped.pt", ["rock", "penguin"])
    report = pl.prelabel(half_labelled, swapped, conf=0.001)
    assert report.images > 0 and "matched to the dataset's by name" in report.warning


def test_a_damaged_proposals_file_does_not_stop_the_review_list(tiny_dataset: Path) -> None:
    prelabel = pl
    dataset = open_dataset(tiny_dataset)
    first, second = dataset.images()[:2]
    for image in (first, second):
        path = prelabel.proposals_path(image, dataset.root)
        path.parent.mkdir(parents=True, exist_ok=True)
    prelabel.proposals_path(first, dataset.root).write_text("{not json")
    prelabel.proposals_path(second, dataset.root).write_text(
        '{"proposals": [{"cls": 0, "cx": 0.5, "cy": 0.5, "w": 0.2, "h": 0.2, "conf": 0.9}]}')
    damaged: list[Path] = []
    assert prelabel.pending_images(dataset, damaged) == [second]
    assert damaged == [first]
