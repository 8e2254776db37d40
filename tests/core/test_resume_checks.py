"""One resume check for the app and the training child (runs.resumable_last)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from penguin_studio.core.errors import UserError
from penguin_studio.core.training import runs


def _run(tmp_path: Path, last: bool = True, **status) -> Path:
    run_dir = tmp_path / "run"
    (run_dir / "weights").mkdir(parents=True)
    (run_dir / runs.CONFIG_FILE).write_text("model: yolov8n.yaml\n", encoding="utf-8")
    if last:
        (run_dir / "weights" / "last.pt").write_bytes(b"x")
    if status:
        runs.write_status(run_dir, **status)
    return run_dir


def test_an_interrupted_run_resumes_from_last_pt(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, status="stopped", pid=123456789)
    assert runs.resumable_last(run_dir) == run_dir / "weights" / "last.pt"


def test_the_child_does_not_see_itself_as_a_second_trainer(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, status="running", pid=os.getpid())
    assert runs.resumable_last(run_dir).name == "last.pt"


@pytest.mark.parametrize(("setup", "says"), [
    (lambda d: (d / runs.CONFIG_FILE).unlink(), "is not a training run folder"),
    (lambda d: ((d / runs.CONFIG_FILE).unlink(), (d / "args.yaml").write_text("")),
     "yolo train resume model="),
    (lambda d: (d / "weights" / "last.pt").unlink(), "stopped before its first checkpoint"),
    (lambda d: runs.write_status(d, status="running", pid=os.getppid()), "being trained"),
    (lambda d: runs.write_status(d, status="completed"), "nothing to resume"),
])
def test_each_reason_not_to_resume_is_one_clear_line(tmp_path: Path, setup, says) -> None:
    run_dir = _run(tmp_path)
    setup(run_dir)
    with pytest.raises(UserError, match=says) as refused:
        runs.resumable_last(run_dir)
    assert "\n" not in str(refused.value)
