"""One label-line reader and one IoU: the doctor agrees with the editor and the evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from penguin_studio.core.boxes import box_iou
from penguin_studio.core.dataset import doctor
from penguin_studio.core.dataset.labels import LabelParseError, parse_line
from penguin_studio.core.evaluation import matching

BAD_LINES = ["0 0.5 0.5 0.2", "0 0.5 0.5 0.2 0.2 x", "0 0.5 oops 0.2 0.2", "1.5 0.5 0.5 0.2 0.2",
             "-1 0.5 0.5 0.2 0.2", "0 0.5 nan 0.2 0.2"]


@pytest.mark.parametrize("line", BAD_LINES)
def test_the_doctor_names_the_problem_the_editor_refuses_the_file_for(line: str) -> None:
    with pytest.raises(LabelParseError) as refused:
        parse_line(line, Path("a.txt"), 1)
    rows, findings = doctor._parse_rows(line, 2, {"image": Path("a.jpg"),
                                                  "label": Path("a.txt"), "split": "train"})
    assert rows == [] and [f.message for f in findings] == [f"line 1: {refused.value.reason}"]


def test_a_tiny_exact_duplicate_is_still_a_duplicate() -> None:
    text = "0 0.5 0.5 0.001 0.001\n0 0.5 0.5 0.001 0.001\n"
    where = {"image": Path("a.jpg"), "label": Path("a.txt"), "split": "train"}
    rows, _ = doctor._parse_rows(text, 1, where)
    found = doctor._duplicate_findings(rows, where)
    assert [f.message for f in found] == ["line 2: exact duplicate of line 1 (same class)"]


def test_evaluation_and_doctor_share_one_iou() -> None:
    assert matching.box_iou is box_iou
    a = np.array([[0, 0, 10, 10], [5, 5, 15, 15]], np.float32)
    assert box_iou(a, a)[0, 1] == pytest.approx(25 / 175, rel=1e-5)
