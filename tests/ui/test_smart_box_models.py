"""SAM weights in the Models… dialog: listed apart from detectors, imported, chosen, kept."""

from __future__ import annotations

from pathlib import Path

import torch

from penguin_studio.core import appdirs
from penguin_studio.core.training import models
from penguin_studio.ui.context import AppContext
from penguin_studio.ui.train.models_dialog import ModelManagerDialog
from penguin_studio.ui.widgets import smart_box_weights


def _fake_mobile_sam(folder: Path) -> Path:
    """A file with MobileSAM's parameter names (all identification reads), tiny tensors."""
    path = folder / "mobile_sam.pt"
    torch.save({"image_encoder.patch_embed.seq.0.c.weight": torch.zeros(1),
                "mask_decoder.iou_token.weight": torch.zeros(1)}, path)
    return path


def test_sam_weights_are_listed_imported_and_the_choice_is_remembered(qtbot, tmp_path,
                                                                     monkeypatch) -> None:
    monkeypatch.setenv("PENGUIN_STUDIO_HOME", str(tmp_path / "home"))  # imports stay here
    smart_box_weights.choose_weights("grabcut")
    context = AppContext()
    dialog = ModelManagerDialog(context)
    qtbot.addWidget(dialog)
    names = [dialog.table.item(i, 0).text() for i in range(dialog.table.rowCount())]
    assert "mobile_sam.pt — MobileSAM, for Smart box" in names
    assert "Smart box uses: <b>GrabCut" in dialog.smart.label.text()
    dialog.import_file(str(_fake_mobile_sam(tmp_path)), confirm=False)
    assert "mobile_sam.pt" not in [m.name for m in models.list_models()]  # not a detector
    dialog.select("mobile_sam.pt")
    assert dialog.smart.use_button.isEnabled()
    dialog.smart.use_button.click()
    assert smart_box_weights.chosen_weights().endswith("mobile_sam.pt")
    assert "mobile_sam.pt" in dialog.smart.label.text()
    dialog.smart.grabcut_button.click()
    assert smart_box_weights.chosen_weights() == "grabcut"
    dialog.shutdown()
    context.jobs.shutdown()


def test_a_foreign_file_is_not_taken_as_sam_weights(qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PENGUIN_STUDIO_HOME", str(tmp_path / "home"))  # imports stay here
    smart_box_weights.choose_weights("grabcut")
    context = AppContext()
    dialog = ModelManagerDialog(context)
    qtbot.addWidget(dialog)
    other = tmp_path / "notes-model.pt"
    torch.save({"fc.weight": torch.zeros(1)}, other)
    dialog.import_file(str(other), confirm=False)  # refused: no panel could use it
    assert "not a YOLO model" in dialog.message.text()
    assert "or Segment Anything weights" in dialog.message.text()
    assert not (appdirs.weights_dir() / other.name).exists()
    assert smart_box_weights.chosen_weights() == "grabcut"
    dialog.shutdown()
    context.jobs.shutdown()
