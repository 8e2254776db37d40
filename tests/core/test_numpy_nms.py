"""The numpy NMS gives exactly torchvision's indices: random boxes, ties, big batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

from penguin_studio.core.inference.filtering import batched_nms, nms


def random_boxes(rng: np.random.Generator, n: int, ties: bool) -> tuple[np.ndarray, np.ndarray]:
    xy = rng.uniform(0, 200, (n, 2)).astype(np.float32)
    wh = rng.uniform(0, 60, (n, 2)).astype(np.float32)
    if ties:  # repeated boxes and repeated scores, the cases where order decides
        xy = np.round(xy / 10) * 10
        wh = np.round(wh / 10) * 10
        scores = rng.choice(np.float32([0.1, 0.25, 0.5, 0.5, 0.9]), n)
    else:
        scores = rng.uniform(0, 1, n).astype(np.float32)
    return np.concatenate([xy, xy + wh], 1).astype(np.float32), scores.astype(np.float32)


@pytest.mark.parametrize("seed", range(40))
def test_nms_equals_torchvision(seed):
    rng = np.random.default_rng(seed)
    boxes, scores = random_boxes(rng, int(rng.integers(1, 400)), ties=seed % 2 == 0)
    for iou in (0.0, 0.3, 0.5, 0.7, 0.99, 1.0):
        theirs = torchvision.ops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), iou)
        assert nms(boxes, scores, iou).tolist() == theirs.tolist(), iou


@pytest.mark.parametrize("n", [1, 50, 999, 1000, 1001, 2500])
def test_batched_nms_equals_torchvision_both_strategies(n):
    """torchvision switches strategy above 1,000 boxes; both are reproduced, ties included.

    Above 1,000 boxes torchvision merges the categories with an unstable sort, so boxes of
    equal score may come in another order there: the same boxes are kept, best first.
    """
    rng = np.random.default_rng(n)
    boxes, scores = random_boxes(rng, n, ties=n % 2 == 1)
    classes = rng.integers(0, 4, n)
    for iou in (0.3, 0.7):
        theirs = torchvision.ops.batched_nms(torch.from_numpy(boxes), torch.from_numpy(scores),
                                             torch.from_numpy(classes), iou)
        ours = batched_nms(boxes, scores, classes, iou)
        if n <= 1000 or n % 2 == 0:
            assert ours.tolist() == theirs.tolist()
        else:
            assert sorted(ours.tolist()) == sorted(theirs.tolist())
            assert np.all(np.diff(scores[ours]) <= 0)


def test_empty_and_degenerate_boxes():
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).tolist() == []
    zero_area = np.float32([[5, 5, 5, 5], [5, 5, 5, 5], [0, 0, 10, 10]])
    scores = np.float32([0.9, 0.8, 0.7])
    theirs = torchvision.ops.nms(torch.from_numpy(zero_area), torch.from_numpy(scores), 0.5)
    assert nms(zero_area, scores, 0.5).tolist() == theirs.tolist()
