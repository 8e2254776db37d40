"""The command line: usage errors exit 2, the sample command writes a project."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from penguin_studio.cli import main


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "penguin_studio", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_unknown_subcommand_prints_usage_and_exits_2() -> None:
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_unknown_option_exits_2() -> None:
    result = run_cli("sample", "/tmp/x", "--bogus")
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_help_lists_commands(capsys) -> None:
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    for command in ("sample", "train", "val", "predict", "export", "doctor"):
        assert command in out


def test_sample_command_writes_a_dataset(tmp_path: Path) -> None:
    target = tmp_path / "my penguins"
    assert main(["sample", str(target), "--images", "9", "--seed", "3"]) == 0
    data = yaml.safe_load((target / "data.yaml").read_text())
    assert list(data["names"].values()) if isinstance(data["names"], dict) else data["names"]
    assert len(list((target / "images").rglob("*.jpg"))) == 9


def test_sample_refuses_non_empty_dir_without_force(tmp_path: Path, capsys) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["sample", str(tmp_path), "--images", "6"]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["sample", str(tmp_path), "--images", "6", "--force"]) == 0
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_screenshot_of_missing_path_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("--screenshot", str(tmp_path / "x.png"), str(tmp_path / "nowhere"))
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [f"error: {tmp_path / 'nowhere'} does not exist."]
    assert not (tmp_path / "x.png").exists()


def test_sample_bad_seed_and_file_target_are_one_line_errors(tmp_path: Path, capsys) -> None:
    assert main(["sample", str(tmp_path / "a"), "--seed", "-1"]) == 1
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["sample", str(target)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") for line in err)


def test_sample_under_a_file_is_one_worded_line(tmp_path: Path, capsys) -> None:
    """It printed the OS's "[Errno 20] Not a directory: '…'"."""
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["sample", str(target / "sub")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"error: Cannot write the sample into {target / 'sub'}: a file stands "
                   f"where one of its folders should be. Pick a new folder.")
    assert target.read_text() == "x"
