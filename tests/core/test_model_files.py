"""A file picked as a model is named for what it is, in one line, before anything loads it;
YAML parser errors are said in plain words wherever a yaml is read."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import SHARED_DATA

from penguin_studio.core import engine
from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.dataset.datayaml import yaml_error_message
from penguin_studio.core.errors import DatasetError, NotACheckpointError, UserError
from penguin_studio.core.model_files import describe_weights_problem


def _fake_checkpoint(path: Path, module: str, name: str, protocol: int = 2) -> Path:
    """A torch-style zip whose data.pkl names ``module.name`` (raw opcodes: never runnable)."""
    if protocol == 2:
        pickle = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b")\x81."
    else:
        pickle = (b"\x80\x04\x8c" + bytes([len(module)]) + module.encode() + b"\x94\x8c"
                  + bytes([len(name)]) + name.encode() + b"\x94\x93)\x81.")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{path.stem}/data.pkl", pickle)
        archive.writestr(f"{path.stem}/version", "3\n")
    return path


@pytest.mark.parametrize("protocol", [2, 4])
def test_detection_checkpoints_pass_and_other_tasks_are_named(tmp_path: Path,
                                                              protocol: int) -> None:
    ok = _fake_checkpoint(tmp_path / "det.pt", "ultralytics.nn.tasks", "DetectionModel",
                          protocol)
    assert describe_weights_problem(ok) is None
    seg = _fake_checkpoint(tmp_path / "seg.pt", "ultralytics.nn.tasks", "SegmentationModel",
                           protocol)
    assert describe_weights_problem(seg) == (
        "seg.pt is a segmentation model, not a detection model (boxes): pick a trained .pt "
        "file, such as a training run's weights/best.pt.")
    other = _fake_checkpoint(tmp_path / "resnet.pt", "torchvision.models", "ResNet", protocol)
    assert "resnet.pt is a PyTorch file but not a YOLO model" in describe_weights_problem(other)


def test_text_yaml_video_folder_empty_and_missing_files_say_what_they_are(
        tmp_path: Path, tiny_dataset: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\0" * 10)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    text_pt = tmp_path / "renamed.pt"
    text_pt.write_text("hello")
    expected = {
        notes: "notes.txt is a text file, not a model: pick a trained .pt file",
        video: "clip.mp4 is a video, not a model",
        tiny_dataset: "data.yaml is not a model but a data yaml (it describes a dataset)",
        tmp_path: f"{tmp_path.name} is a folder, not a model",
        empty: "empty.pt is empty (0 bytes)",
        text_pt: "renamed.pt is not a PyTorch checkpoint",
        tmp_path / "gone.pt": "Weights file not found",
    }
    for path, start in expected.items():
        problem = describe_weights_problem(path)
        assert problem is not None and problem.startswith(start), (path, problem)
        assert "\n" not in problem
    assert describe_weights_problem("").startswith("Pick a model first")
    assert "untrained" in describe_weights_problem("yolov8n.yaml")
    assert describe_weights_problem("yolov8n.yaml", trained=False) is None


@pytest.mark.parametrize("command", [
    ["predict", "--source", "IMG"], ["count", "--source", "IMG"], ["export"],
    ["val", "--data", "DATA"], ["prelabel", "DATA"], ["dataset", "next", "DATA"]])
def test_commands_that_use_learned_boxes_refuse_an_architecture(command: list[str],
                                                               tiny_dataset: Path,
                                                               capsys) -> None:
    """'--weights yolov8n.yaml' built an untrained model and predicted nothing, or scored
    mAP 0, with exit 0: it passed for a model that learned nothing."""
    from penguin_studio import cli

    image = next((tiny_dataset.parent / "images" / "val").glob("*.jpg"))
    args = [{"IMG": str(image), "DATA": str(tiny_dataset)}.get(a, a) for a in command]
    assert cli.main([*args, "--weights", "yolov8n.yaml"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == ("error: yolov8n.yaml names an untrained architecture: pick a trained .pt "
                   "file, such as a training run's weights/best.pt.")


def test_a_damaged_checkpoint_is_called_damaged(tmp_path: Path) -> None:
    real = SHARED_DATA / "weights" / "yolov5nu-coco-backbone.pt"
    if not real.exists():
        pytest.skip("../shared/data/weights is not present")
    assert describe_weights_problem(real) is None  # a real ultralytics checkpoint
    cut = tmp_path / "cut.pt"
    cut.write_bytes(real.read_bytes()[: real.stat().st_size // 2])
    assert describe_weights_problem(cut).startswith("cut.pt is damaged (an incomplete download")


def test_a_state_dict_saved_by_torch_is_not_a_yolo_model(tmp_path: Path) -> None:
    import torch

    path = tmp_path / "weights.pt"
    torch.save({"conv.weight": torch.zeros(2, 2)}, path)
    assert describe_weights_problem(path).startswith("weights.pt is a PyTorch file but not a YOLO")


def test_loading_a_text_file_as_model_fails_before_ultralytics(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    with pytest.raises(NotACheckpointError, match="notes.txt is a text file, not a model"):
        engine.load_model(notes)  # ultralytics itself accepted it and failed at predict time


@pytest.mark.parametrize(("text", "expected"), [
    ("names: [a]\ntrain images/train\nval: x\n",
     "data.yaml, line 2: a colon is missing after the key (write 'key: value')."),
    ("names: [a]\ntrain: images/train val: images/val\n", "data.yaml, line 2: an unexpected ':'"),
    ("names:\n\t0: a\n", "data.yaml, line 2: a tab indents this line: indent with spaces."),
    ('train: "images/train\nval: x\n', "data.yaml, line 1: a quote opened here is never closed."),
    ("names: [a, b\ntrain: x\n", "data.yaml, line 1: a [ list ] opened here is not closed"),
    ("names:\n  0: a\n 1: b\n", "data.yaml, line 3: this line's indentation does not match"),
    ('path: "C:\\data\\new"\n', "data.yaml, line 1: a backslash inside double quotes"),
    ("train: @x\n", "data.yaml, line 1: a value starts with a character YAML reserves"),
    ("train: a\n---\nval: b\n", "data.yaml, line 2: a second document starts here"),
])
def test_yaml_parser_errors_in_plain_words(text: str, expected: str) -> None:
    with pytest.raises(yaml.YAMLError) as info:
        yaml.safe_load(text)
    message = yaml_error_message(info.value, "data.yaml")
    assert message.startswith(expected) and "\n" not in message
    for jargon in ("mapping values", "simple key", "scanning", "<block end>", "token"):
        assert jargon not in message


def test_every_yaml_reader_says_it_in_plain_words(tmp_path: Path) -> None:
    from penguin_studio.core.training.config import TrainConfig, load_hyp_file

    bad = "names: [a]\ntrain images/train\nval: x\n"
    for name in ("data.yaml", "hyp.yaml", "config.yaml", "model.yaml"):
        (tmp_path / name).write_text(bad)
    calls = [(DatasetError, lambda: open_dataset(tmp_path / "data.yaml")),
             (UserError, lambda: load_hyp_file(tmp_path / "hyp.yaml")),
             (UserError, lambda: TrainConfig.load(tmp_path / "config.yaml")),
             (UserError, lambda: engine.check_weights_file(tmp_path / "model.yaml"))]
    for error, call in calls:
        with pytest.raises(error, match="line 2: a colon is missing after the key"):
            call()


def test_start_weights_for_training_are_checked_the_same_way(tmp_path: Path) -> None:
    from penguin_studio.core.training.weights import describe_checkpoint

    seg = _fake_checkpoint(tmp_path / "seg.pt", "ultralytics.nn.tasks", "SegmentationModel")
    with pytest.raises(NotACheckpointError, match="seg.pt is a segmentation model"):
        describe_checkpoint(seg)  # the wizard's frozen-layer list, plan and resume use it
