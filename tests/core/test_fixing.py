"""Fixing costs and a proposal model's calibration (threshold and misses on its val images)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from penguin_studio.core.dataset.labels import Box
from penguin_studio.core.labelling import autotrain as at
from penguin_studio.core.labelling import fixing
from penguin_studio.core.labelling import queue as q


def test_the_annotator_costs_each_action() -> None:
    truth = [Box(0, 0.5, 0.5, 0.2, 0.2), Box(0, 0.2, 0.2, 0.1, 0.1), Box(1, 0.8, 0.8, 0.1, 0.1)]
    proposals = [(0, (0.4, 0.4, 0.6, 0.6)),  # exact: accept
                 (0, (0.15, 0.15, 0.30, 0.25)),  # IoU 0.67: adjust
                 (0, (0.0, 0.9, 0.05, 0.95))]  # nothing there: reject; class 1 box: draw
    seconds, actions = fixing.fix_cost(proposals, truth)
    assert {k: v for k, v in actions.items() if v} == {"accepted": 1, "adjusted": 1,
                                                       "rejected": 1, "drawn": 1}
    assert seconds == pytest.approx(1.6 + 7 + 1.6 + 35)


def _box(i: int) -> Box:
    return Box(0, 0.1 + 0.2 * i, 0.5, 0.1, 0.1)


def _found(i: int, conf: float) -> fixing.Scored:
    return (0, conf, fixing.xyxy(_box(i)))


def test_a_weak_model_gets_the_low_threshold_that_costs_the_fewest_seconds() -> None:
    truth = [[_box(i) for i in range(4)]]  # four objects, two of them found only faintly
    preds = [[_found(0, 0.9), _found(1, 0.8), _found(2, 0.12), _found(3, 0.07),
              (0, 0.3, (0.0, 0.0, 0.05, 0.05))]]  # and one wrong, confident proposal
    found = fixing.choose(preds, truth)
    assert found is not None and found.conf == 0.05  # 5 verifications beat 2 hand boxes
    assert found.seconds["0.05"] == pytest.approx(5 * 1.6)
    assert found.seconds["0.25"] == pytest.approx(3 * 1.6 + 2 * 35)
    assert (found.recall, found.unseen_per_shown, found.objects) == (1.0, 0.0, 4)


def test_many_wrong_faint_proposals_raise_the_threshold() -> None:
    truth = [[_box(0)]]
    noise = [(0, 0.1, (0.01 * i, 0.9, 0.01 * i + 0.005, 0.95)) for i in range(30)]
    found = fixing.choose([[_found(0, 0.9), *noise]], truth)
    assert found is not None and found.conf == max(fixing.THRESHOLDS)  # ties: the higher
    assert fixing.choose([[_found(0, 0.9)]], [[]]) is None  # no true object: no calibration


def test_recall_and_unseen_objects_per_shown_proposal() -> None:
    truth = [[_box(i) for i in range(4)]]  # the model sees one of four objects
    found = fixing.choose([[_found(0, 0.9)]], truth)
    assert found is not None and (found.recall, found.unseen_per_shown) == (0.25, 3.0)


def test_the_calibration_is_stored_beside_the_weights_and_goes_stale(tmp_path: Path) -> None:
    weights = tmp_path / "best.pt"
    weights.write_bytes(b"weights")
    assert at.proposal_conf(weights) == at.PROPOSAL_CONF  # none stored: the default
    found = fixing.choose([[_found(0, 0.9)]], [[_box(0), _box(1)]])
    fixing.save_calibration(weights, found)
    assert fixing.calibration_path(weights) == tmp_path / "best.calibration.json"
    loaded = fixing.load_calibration(weights)
    assert loaded is not None and loaded.recall == 0.5
    assert at.proposal_conf(weights) == loaded.conf
    weights.write_bytes(b"other weights")  # a new model under the same name
    os.utime(weights, ns=(1, 1))
    assert fixing.load_calibration(weights) is None
    assert at.proposal_conf(weights) == at.PROPOSAL_CONF


def test_expected_seconds_grow_with_the_objects_a_model_misses() -> None:
    pred = q.CachedPrediction([(0, 0.9, *fixing.xyxy(_box(i))) for i in range(2)], [])

    def cal(recall: float) -> fixing.Calibration:
        return fixing.Calibration(0.05, recall, round((1 - recall) / recall, 4), {}, 1, 1)

    seconds = [q.expected_seconds(pred, cal(r)) for r in (1.0, 0.5, 0.25)]
    assert seconds[0] == pytest.approx(q.expected_seconds(pred)) == \
        pytest.approx(q.IMAGE_S + 2 * q.VERIFY_S)
    assert seconds[1] == pytest.approx(seconds[0] + 2 * 1.0 * q.HAND_BOX_S)
    assert seconds[2] == pytest.approx(seconds[0] + 2 * 3.0 * q.HAND_BOX_S)


def test_a_kept_proposal_model_is_calibrated_on_its_val_images(tiny_dataset: Path,
                                                                tiny_weights: Path) -> None:
    from penguin_studio.core.dataset.project import open_dataset
    from penguin_studio.core.training import runs

    ds = open_dataset(tiny_dataset)
    run = tiny_dataset.parent / "runs" / "proposal-1"
    (run / "weights").mkdir(parents=True)
    shutil.copy(tiny_weights, run / "weights" / "best.pt")
    (run / "args.yaml").write_text("epochs: 1\n")
    (run / "results.csv").write_text(f"epoch,{runs.MAP50},{runs.MAP}\n1,0.30,0.1\n")
    state = at.AutoTrainState()
    result = at.adopt(ds, state, run)
    assert result.improved
    found = fixing.load_calibration(state.model)
    assert found is not None and found.images == len(at.labelled_split(ds)[1])
    assert found.conf in fixing.THRESHOLDS and "proposals above" in result.message
