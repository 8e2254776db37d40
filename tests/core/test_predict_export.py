"""ONNX export lands beside the weights and reproduces the checkpoint's boxes."""

from __future__ import annotations

import shutil

import pytest

from penguin_studio.cli import main
from penguin_studio.core.errors import NotACheckpointError
from penguin_studio.core.inference.export import BOX_TOLERANCE_PX, export_model

pytestmark = pytest.mark.slow


def test_cli_export_onnx_and_check(tiny_weights, tmp_path, capfd):
    weights = tmp_path / "best.pt"
    shutil.copy(tiny_weights, weights)
    code = main(["export", "--weights", str(weights), "--format", "onnx"])
    out, err = capfd.readouterr()
    assert code == 0, err
    onnx_file = tmp_path / "best.onnx"
    assert onnx_file.is_file()
    assert f"Exported {onnx_file} (input 64x64)" in out
    assert "onnxruntime check on" in out and "same boxes" in out
    report = export_model(weights)  # again, to read the figures
    assert report.exported == onnx_file and report.check.passed
    assert report.check.max_box_diff_px <= BOX_TOLERANCE_PX
    assert report.check.boxes_pt == report.check.boxes_onnx


def test_export_that_cannot_write_beside_the_model_says_what_to_do(tiny_weights, tmp_path,
                                                                   capfd):
    """The error was the exporter's '[Errno 1] Operation not permitted: …/best.onnx'."""
    weights = tmp_path / "best.pt"
    shutil.copy(tiny_weights, weights)
    (tmp_path / "best.onnx").mkdir()  # in the way, as a read-only folder would be
    assert main(["export", "--weights", str(weights)]) == 1
    err = capfd.readouterr().err.strip().splitlines()[-1]
    assert err == (f"error: Cannot write {tmp_path / 'best.onnx'}: it is a folder, not a "
                   f"file. The export goes beside the model: copy the model into a folder "
                   f"you can write to and export the copy.")


def test_export_refuses_what_is_not_a_checkpoint(tmp_path, capfd):
    fake = tmp_path / "model.pt"
    fake.write_bytes(b"\x00" * 64)
    with pytest.raises(NotACheckpointError):
        export_model(fake)
    assert main(["export", "--weights", str(tmp_path / "missing.pt")]) == 1
    assert capfd.readouterr().err.startswith("error: Weights file not found")

