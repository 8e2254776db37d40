"""A Segment Anything file picked where a YOLO detector is wanted (Detect, Evaluate) is named
for what it is and where it belongs, not just "not a YOLO model"."""

from __future__ import annotations

import zipfile
from pathlib import Path

import torch

from penguin_studio.core.model_files import describe_weights_problem

WHERE = "import it in Models… → Smart box"


def _state_dict(path: Path, keys: list[str]) -> Path:
    """A file with a SAM checkpoint's parameter names (all the check reads), tiny tensors."""
    torch.save({k: torch.zeros(1) for k in keys}, path)
    return path


def test_mobile_sam_and_sam21_state_dicts_are_named_as_smart_box_models(tmp_path: Path) -> None:
    mobile = _state_dict(tmp_path / "mobile_sam.pt",
                         ["image_encoder.patch_embed.seq.0.c.weight",
                          "mask_decoder.iou_token.weight"])
    problem = describe_weights_problem(mobile)
    assert problem.startswith("mobile_sam.pt is a Segment Anything model (MobileSAM) for "
                              "Smart box, not a YOLO detection model")
    assert WHERE in problem and "\n" not in problem
    renamed = _state_dict(tmp_path / "segmenter.pt",  # the name does not matter for SAM
                          [f"image_encoder.trunk.blocks.{i}.attn.qkv.weight" for i in range(12)]
                          + ["no_obj_embed_spatial"])
    assert describe_weights_problem(renamed).startswith(
        "segmenter.pt is a Segment Anything model (SAM 2.1 tiny) for Smart box")


def test_fastsam_is_named_as_a_smart_box_model(tmp_path: Path) -> None:
    path = tmp_path / "FastSAM-s.pt"
    pickle = b"\x80\x02cultralytics.nn.tasks\nSegmentationModel\n)\x81."
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("FastSAM-s/data.pkl", pickle)
        archive.writestr("FastSAM-s/version", "3\n")
    problem = describe_weights_problem(path)
    assert problem.startswith("FastSAM-s.pt is a Segment Anything model (FastSAM)")
    assert WHERE in problem


def test_other_state_dicts_still_say_not_a_yolo_model(tmp_path: Path) -> None:
    other = _state_dict(tmp_path / "resnet.pt", ["conv1.weight", "fc.weight"])
    assert describe_weights_problem(other).startswith("resnet.pt is a PyTorch file but not a "
                                                      "YOLO model")
