"""A model YAML that is broken or is no architecture (a data yaml) is one plain line from
``penguin-studio train``, before any run folder is made."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BROKEN = "backbone: [[-1, 1, Conv\nhead: []\n"
NOT_A_MODEL = "train: images/train\nval: images/val\nnames: [penguin]\n"


@pytest.mark.parametrize("text, words", [
    (BROKEN, "arch.yaml, line 1: a [ list ] opened here is not closed with ']'."),
    (NOT_A_MODEL, "arch.yaml is not a model architecture: it has no backbone and head "
                  "layer lists (pick one such as yolov8n.yaml)."),
])
def test_train_with_a_bad_architecture_yaml_says_one_line(
        tiny_dataset: Path, tmp_path: Path, text: str, words: str) -> None:
    arch = tmp_path / "arch.yaml"
    arch.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "penguin_studio", "train", "--data", str(tiny_dataset),
         "--mode", "scratch", "--model", str(arch), "--project", str(tmp_path / "runs"),
         "--epochs", "1"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: {words}"  # one line, no traceback
    assert not (tmp_path / "runs").exists()
