"""The label-next queue: uncertainty from cached predictions, diversity, caching."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from renamed_weights import renamed_weights

from penguin_studio.core.dataset.project import label_path_for, open_dataset
from penguin_studio.core.errors import UserError
from penguin_studio.core.labelling import queue as q


def _pred(*confs: float, flip_same: bool = True) -> q.CachedPrediction:
    plain = [(0, c, 0.1 * i, 0.1, 0.1 * i + 0.08, 0.3) for i, c in enumerate(confs)]
    flipped = plain if flip_same else []
    return q.CachedPrediction(plain, flipped)


def test_confidence_near_one_half_is_the_uncertain_band() -> None:
    sure, unsure = _pred(0.95, 0.9), _pred(0.5, 0.55)
    assert q.uncertainty(unsure) > q.uncertainty(sure)
    assert q.band_score([(0, 0.5, 0, 0, 1, 1)]) == pytest.approx(1.0)
    assert q.uncertainty(q.CachedPrediction([], [])) == q.NOTHING_FOUND


def test_plain_and_mirrored_predictions_that_disagree_rank_higher() -> None:
    agree, disagree = _pred(0.9, 0.9), _pred(0.9, 0.9, flip_same=False)
    assert q.uncertainty(disagree) > q.uncertainty(agree)
    assert q.disagreement([(0, (0, 0, 1, 1))], [(0, (0, 0, 1, 1))]) == 0.0
    assert q.disagreement([(0, (0, 0, 1, 1))], []) == 1.0


def test_images_rank_by_uncertainty_when_they_differ() -> None:
    paths = [Path(f"{i}.jpg") for i in range(4)]
    us = [q.uncertainty(p) for p in (_pred(0.95), _pred(0.5), _pred(0.7), _pred(0.6))]
    hashes = [0, 0xFFFFFFFF, 0xFFFFFFFF00000000, 0x00FF00FF00FF00FF]  # 32+ bits apart
    ranked = [item.path.name for item in q.order(paths, us, [h for h in hashes])]
    assert ranked[0] == "1.jpg" and ranked[-1] == "0.jpg"


def test_worth_is_the_summed_gain_per_expected_second_to_fix() -> None:
    one, three = _pred(0.5), _pred(0.5, 0.5, 0.5)
    assert q.gain(three) == pytest.approx(3 * q.gain(one)) == pytest.approx(3.0)
    assert q.gain(q.CachedPrediction([], [])) == q.NOTHING_FOUND
    # as undecided, but four sure proposals to verify and two likely misses to draw
    dear = _pred(0.5, 0.98, 0.98, 0.98, 0.98, 0.1, 0.1)
    assert q.expected_seconds(one) == pytest.approx(q.IMAGE_S + q.VERIFY_S)
    assert q.expected_seconds(dear) == pytest.approx(
        q.IMAGE_S + 5 * q.VERIFY_S + 2 * 0.1 * q.HAND_BOX_S)
    paths = [Path("dear.jpg"), Path("one.jpg")]
    gains = [q.gain(dear), q.gain(one)]
    seconds = [q.expected_seconds(dear), q.expected_seconds(one)]
    assert gains[0] > gains[1]
    items = q.order(paths, gains, [0, 2**64 - 1], seconds=seconds)
    assert [i.path.name for i in items] == ["one.jpg", "dear.jpg"]
    assert items[0].expected_s == pytest.approx(seconds[1], abs=0.05)
    assert items[0].score == 1.0
    assert [i.path.name for i in q.order(paths, gains, [0, 2**64 - 1])][0] == "dear.jpg"


def test_two_identical_images_never_take_the_top_two_places() -> None:
    paths = [Path("a.jpg"), Path("a-copy.jpg"), Path("b.jpg")]
    items = q.order(paths, [0.9, 0.9, 0.3], [0x1234, 0x1234, ~0x1234 & (2**64 - 1)])
    assert [i.path.name for i in items[:2]] == ["a.jpg", "b.jpg"]
    assert items[2].score == 0.0


def test_before_any_model_the_order_is_diversity_only(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    images = ds.unique_images()
    first = q.build_queue(ds, images=images)
    assert {i.uncertainty for i in first.items} == {1.0}
    assert len(first.items) == len(images)
    assert [i.path for i in q.build_queue(ds, images=images).items] == \
        [i.path for i in first.items]


def test_model_scores_are_cached_per_model_and_deterministic(tiny_dataset: Path,
                                                             tiny_weights: Path,
                                                             tmp_path: Path) -> None:
    ds = open_dataset(tiny_dataset)
    for image in ds.unique_images()[:6]:
        label_path_for(image).unlink()
    first = q.build_queue(ds, tiny_weights)
    assert len(first.items) == 6 and first.model == str(tiny_weights)
    cache = ds.state_dir / "label_queue" / f"{q.model_key(tiny_weights)}.json"
    assert cache.is_file()
    again = q.build_queue(ds, tiny_weights)
    assert [(i.path, i.score) for i in again.items] == [(i.path, i.score) for i in first.items]
    other = tmp_path / "other.pt"  # a new model: scored again, in its own cache file
    shutil.copy(tiny_weights, other)
    q.build_queue(ds, other)
    assert (ds.state_dir / "label_queue" / f"{q.model_key(other)}.json").is_file()


def test_a_model_of_other_classes_is_refused_naming_both_lists(tiny_dataset: Path,
                                                               tiny_weights: Path,
                                                               tmp_path: Path) -> None:
    ds = open_dataset(tiny_dataset)
    other = renamed_weights(tiny_weights, tmp_path / "coco.pt", ["person", "car"])
    with pytest.raises(UserError, match=r"classes \(person, car\) differ from the dataset's "
                                        r"\(penguin, rock\)"):
        q.build_queue(ds, other, images=ds.unique_images()[:2])


def test_a_read_only_dataset_keeps_scores_in_memory(tiny_dataset: Path, monkeypatch) -> None:
    def refuse(path, text):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(q, "atomic_write_text", refuse)
    ds = open_dataset(tiny_dataset)
    result = q.build_queue(ds, images=ds.unique_images()[:3])
    assert len(result.items) == 3 and "stay in memory" in result.note


@pytest.mark.parametrize("with_model", [False, True])
def test_an_unreadable_image_is_left_out_and_named(tiny_dataset: Path, tiny_weights: Path,
                                                   with_model: bool) -> None:
    """One image that cannot be read (text saved as .jpg) is left out of the queue and named
    in its note; the others are still ordered (it once stopped the whole queue, with and
    without a model, because its read error is a UserError like the model's own)."""
    ds = open_dataset(tiny_dataset)
    images = ds.unique_images()[:4]
    images[1].write_text("not a picture")
    result = q.build_queue(ds, tiny_weights if with_model else None, images=images)
    assert [i.path for i in result.items if i.path == images[1]] == []
    assert len(result.items) == 3 and images[1].name in result.note
