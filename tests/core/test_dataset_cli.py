"""``penguin-studio dataset …`` (info, import, export, split, classes) end to end."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

from penguin_studio import cli
from penguin_studio.commands import dataset as dataset_command
from penguin_studio.core.errors import UserError


def _run(argv: list[str]) -> int:
    """Like ``penguin-studio dataset …``, whether or not cli.py registers it yet."""
    parser = argparse.ArgumentParser(prog="penguin-studio")
    sub = parser.add_subparsers(dest="command")
    dataset_command.add_parser(sub)
    args = parser.parse_args(["dataset", *argv])
    try:
        return int(dataset_command.run(args) or 0)
    except UserError as exc:  # what cli.run_command does with it
        print(f"error: {exc}", file=sys.stderr)
        return cli.EXIT_FAIL


def test_info_export_import_split_and_classes(tiny_dataset: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    assert _run(["info", str(tiny_dataset), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["splits"]["all"]["images"] == 12 and set(info["instances"]) == {"penguin",
                                                                               "rock"}
    out = tmp_path / "coco.json"
    assert _run(["export", str(tiny_dataset), "--format", "coco", "--out", str(out)]) == 0
    assert "Exported 12 images" in capsys.readouterr().out
    zipped = tmp_path / "set.zip"
    assert _run(["export", str(tiny_dataset), "--format", "yolo-zip", "--out",
                 str(zipped), "--split", "val"]) == 0
    assert _run(["import-zip", str(zipped), str(tmp_path / "unz")]) == 0
    assert "Extracted 2 images" in capsys.readouterr().out.splitlines()[-1]
    assert _run(["split", str(tiny_dataset), "--ratios", "0.5", "0.5", "0"]) == 0
    assert "train 6, val 6" in capsys.readouterr().out
    assert _run(["classes", str(tiny_dataset), "rename", "1", "big", "rock", "--yes"]) == 0
    assert "1 big rock" in capsys.readouterr().out
    assert _run(["classes", str(tiny_dataset), "delete", "9", "--yes"]) == 1
    assert "no class 9" in capsys.readouterr().err
    assert _run(["classes", str(tiny_dataset), "rename"]) == 1
