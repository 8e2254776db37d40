"""Per-image TP/FP/FN and the confusion matrix on hand-made boxes whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from penguin_studio.core.evaluation.matching import (
    box_iou,
    confusion_matrix,
    image_errors,
    match_image,
    normalize_columns,
)

PENGUIN, ROCK = 0, 1


def errors(gt, gt_cls, pred, conf, cls, conf_thres=0.25, iou=0.45):
    match = match_image(np.array(gt, float), np.array(gt_cls), np.array(pred, float),
                        np.array(conf, float), np.array(cls), conf_thres, iou)
    return image_errors(match, np.array(gt_cls), np.array(cls))


def test_iou_of_known_boxes():
    iou = box_iou([[0, 0, 10, 10]], [[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])
    assert iou[0] == pytest.approx([1.0, 50 / 150, 0.0], abs=1e-6)


def test_crafted_image_counts_every_kind_of_error():
    gt = [[0, 0, 10, 10],  # penguin found well
          [100, 100, 120, 120],  # penguin found loosely (IoU 0.64)
          [200, 200, 220, 220],  # penguin missed
          [300, 300, 320, 320]]  # rock called a penguin
    gt_cls = [PENGUIN, PENGUIN, PENGUIN, ROCK]
    pred = [[0, 0, 10, 10],
            [100, 100, 116, 116],  # 256 / 400
            [300, 300, 320, 320],
            [500, 500, 510, 510],  # nothing there
            [200, 200, 220, 220]]  # would find the missed penguin, but too unsure
    conf = [0.9, 0.8, 0.7, 0.6, 0.1]
    cls = [PENGUIN, PENGUIN, PENGUIN, ROCK, PENGUIN]
    e = errors(gt, gt_cls, pred, conf, cls)
    assert (e.tp, e.fp, e.fn, e.misclassified) == (2, 2, 2, 1)
    assert e.worst_iou == pytest.approx(0.64, abs=1e-5)
    # lower the confidence: the unsure box now finds the missed penguin
    e = errors(gt, gt_cls, pred, conf, cls, conf_thres=0.05)
    assert (e.tp, e.fp, e.fn) == (3, 2, 1)
    # demand a tighter fit: the loose box becomes a false positive and its penguin a miss
    e = errors(gt, gt_cls, pred, conf, cls, iou=0.7)
    assert (e.tp, e.fp, e.fn) == (1, 3, 3)
    assert e.worst_iou == pytest.approx(1.0)


def test_best_prediction_claims_the_object_duplicates_are_false_positives():
    gt, gt_cls = [[0, 0, 10, 10]], [PENGUIN]
    pred = [[1, 1, 10, 10], [0, 0, 10, 10]]
    e = errors(gt, gt_cls, pred, [0.5, 0.9], [PENGUIN, PENGUIN])
    assert (e.tp, e.fp, e.fn) == (1, 1, 0)
    assert e.worst_iou == pytest.approx(1.0)  # the confident, exact box won


def test_empty_cases():
    assert errors([], [], [[0, 0, 5, 5]], [0.9], [ROCK]).fp == 1
    e = errors([[0, 0, 5, 5]], [ROCK], np.zeros((0, 4)), [], [])
    assert (e.tp, e.fp, e.fn, e.worst_iou) == (0, 0, 1, None)


def test_confusion_matrix_of_the_crafted_image():
    image = (np.array([[0, 0, 10, 10], [300, 300, 320, 320], [50, 50, 60, 60]], float),
             np.array([PENGUIN, ROCK, ROCK]),
             np.array([[0, 0, 10, 10], [300, 300, 320, 320], [500, 500, 510, 510]], float),
             np.array([0.9, 0.8, 0.7]), np.array([PENGUIN, PENGUIN, ROCK]))
    matrix = confusion_matrix([image], nc=2)
    # rows predicted (penguin, rock, background), columns true
    assert matrix.tolist() == [[1, 1, 0], [0, 0, 1], [0, 1, 0]]
    assert normalize_columns(matrix)[:, 1].tolist() == pytest.approx([0.5, 0, 0.5])


def random_image(rng, nc):
    def boxes(n):
        xy = rng.uniform(0, 200, (n, 2))
        wh = rng.uniform(5, 60, (n, 2))
        return np.concatenate([xy, xy + wh], 1)

    m, n = rng.integers(0, 6), rng.integers(0, 12)
    gt = boxes(m)
    near = gt[rng.integers(0, m, n)] + rng.normal(0, 6, (n, 4)) if m else boxes(n)
    return (gt, rng.integers(0, nc, m), near.astype(np.float32),
            rng.uniform(0, 1, n).astype(np.float32), rng.integers(0, nc, n))


@pytest.mark.parametrize(("conf", "iou"), [(0.001, 0.45), (0.25, 0.45), (0.5, 0.3),
                                           (0.1, 0.7)])
def test_matrix_equals_ultralytics_confusion_matrix(conf, iou):
    """The same counts as ultralytics' own ConfusionMatrix on 200 random images."""
    import torch

    from penguin_studio.core import engine

    engine.ultralytics_module()
    from ultralytics.utils.metrics import ConfusionMatrix

    rng = np.random.default_rng(int(conf * 1000 + iou * 100))
    images = [random_image(rng, 3) for _ in range(200)]
    theirs = ConfusionMatrix(names={0: "a", 1: "b", 2: "c"})
    for gt, gt_cls, pred, pconf, pcls in images:
        detections = {"bboxes": torch.from_numpy(pred.reshape(-1, 4)),
                      "conf": torch.from_numpy(pconf), "cls": torch.from_numpy(pcls).float()}
        batch = {"bboxes": torch.from_numpy(gt.reshape(-1, 4)).float(),
                 "cls": torch.from_numpy(gt_cls).float()}
        theirs.process_batch(detections, batch, conf=conf, iou_thres=iou)
    assert np.array_equal(confusion_matrix(images, 3, conf, iou), theirs.matrix)
