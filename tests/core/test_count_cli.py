"""``penguin-studio count``: census of a folder, tracking a video, and its bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from penguin_studio.cli import main
from penguin_studio.core.inference import counting, tracking
from penguin_studio.core.sample_video import write_walk_video


@pytest.fixture(scope="module")
def short_walk(tmp_path_factory: pytest.TempPathFactory):
    return write_walk_video(tmp_path_factory.mktemp("walk") / "walk.mp4", seconds=2.0)


@pytest.mark.slow
def test_count_folder_census_with_csv_and_track_refused(tiny_weights: Path,
                                                        tiny_dataset_master: Path,
                                                        tmp_path: Path, capsys) -> None:
    folder = tiny_dataset_master / "images" / "train"
    out = tmp_path / "counts.csv"
    code = main(["count", "--weights", str(tiny_weights), "--source", str(folder),
                 "--conf", "0.01", "--track", "bytetrack", "--csv", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0
    refusals = [line for line in captured.err.splitlines() if "--track ignored" in line]
    assert len(refusals) == 1 and "needs a sequence" in refusals[0]
    doc = json.loads(captured.out)
    assert doc["kind"] == "census" and doc["images"] == len(list(folder.glob("*.jpg")))
    back = counting.read_census_csv(out)
    assert back.totals == doc["totals"]


@pytest.mark.slow
def test_count_video_tracks_and_writes_outputs(tiny_weights: Path, short_walk,
                                               tmp_path: Path, capsys) -> None:
    tracks, summary = tmp_path / "tracks.txt", tmp_path / "summary.csv"
    line = ",".join(f"{v:g}" for v in short_walk.line)
    code = main(["count", "--weights", str(tiny_weights), "--source", str(short_walk.video),
                 "--conf", "0.05", "--line", line, "--min-frames", "3", "--tracks",
                 str(tracks), "--csv", str(summary), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    doc = json.loads(captured.out)
    assert doc["kind"] == "tracking" and doc["frames"] == short_walk.frames
    assert doc["line"] == line and doc["min_frames"] == 3
    assert summary.read_text().splitlines()[0] == "class,unique,in,out"
    assert tracks.exists()


@pytest.mark.slow
def test_count_ignores_a_line_outside_the_frame_with_a_message(tiny_weights: Path, short_walk,
                                                               capsys) -> None:
    code = main(["count", "--weights", str(tiny_weights), "--source", str(short_walk.video),
                 "--line", "1000,1000,2000,2000"])
    captured = capsys.readouterr()
    assert code == 0
    assert "outside the 320×240 frame" in captured.err and "Ignoring it" in captured.err
    assert "in" not in captured.out.splitlines()[0].split()  # no in/out columns


def test_count_bad_inputs_are_one_line(tmp_path: Path, capsys) -> None:
    assert main(["count", "--weights", "x.pt", "--source", "v.mp4", "--line", "1,2"]) == 1
    assert "four numbers" in capsys.readouterr().err
    assert main(["count", "--weights", "x.pt", "--source", "v.mp4", "--min-frames", "0"]) == 1
    assert "--min-frames" in capsys.readouterr().err
    assert main(["count", "--weights", "x.pt", "--source", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")


def test_count_refuses_to_write_over_its_input(tmp_path: Path, short_walk, capsys) -> None:
    code = main(["count", "--weights", "x.pt", "--source", str(short_walk.video),
                 "--csv", str(short_walk.video)])
    assert code == 1
    assert "Not writing" in capsys.readouterr().err


def test_count_tracker_choices_are_the_cores() -> None:
    from penguin_studio.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    track = next(a for a in sub.choices["count"]._actions if a.dest == "track")
    assert tuple(track.choices) == tracking.TRACKERS


def test_sample_video_writes_the_walk_with_its_truth(tmp_path: Path, capsys) -> None:
    assert main(["sample", str(tmp_path), "--video"]) == 0
    out = capsys.readouterr().out
    assert "5 penguin, 2 rock" in out and "3 in, 1 out" in out
    doc = json.loads((tmp_path / "walk_truth.json").read_text())
    assert doc["crossings"] == {"in": 3, "out": 1} and (tmp_path / "walk_gt.txt").exists()
    assert main(["sample", str(tmp_path), "--video"]) == 1
    assert "--force" in capsys.readouterr().err


@pytest.mark.slow
def test_count_a_stream_that_drops_keeps_and_writes_the_counts(tiny_weights: Path,
                                                               tmp_path: Path, capsys) -> None:
    from local_servers import mjpeg_server

    summary = tmp_path / "summary.csv"
    with mjpeg_server(frames=12) as url:
        code = main(["count", "--weights", str(tiny_weights), "--source", url,
                     "--csv", str(summary), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    warning = [line for line in captured.err.splitlines() if "stopped after" in line]
    assert len(warning) == 1 and "stopped sending frames" in warning[0]
    doc = json.loads(captured.out)
    assert doc["frames"] >= 1 and doc["stopped"]
    assert summary.read_text().startswith("class,unique,in,out")
