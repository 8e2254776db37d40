"""The wizard's start weights given as a YAML that is broken or no architecture: one plain
note on the model page, never a traceback (pytest-qt fails a test on an exception in a
slot), and the review page says what to pick instead."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def panel(qtbot, tiny_dataset: Path):
    from penguin_studio.ui.context import AppContext
    from penguin_studio.ui.train.panel import TrainPanel

    context = AppContext()
    with qtbot.waitSignal(context.dataset_changed, timeout=20_000):
        context.open_path(tiny_dataset)
    train = TrainPanel(context)
    qtbot.addWidget(train)
    train.show()
    yield train
    qtbot.waitUntil(lambda: not context.jobs.busy, timeout=20_000)
    qtbot.wait(50)  # the last results delivered while the widgets still exist
    train.shutdown()
    context.shutdown()


@pytest.mark.parametrize("text, words", [
    ("backbone: [[-1, 1, Conv\n", "arch.yaml, line 1: a [ list ] opened here is not closed"),
    ("names: [penguin]\n", "arch.yaml is not a model architecture: it has no backbone"),
])
def test_a_bad_yaml_as_start_weights_is_one_plain_note(
        qtbot, panel, tmp_path: Path, text: str, words: str) -> None:
    arch = tmp_path / "arch.yaml"
    arch.write_text(text)
    wiz = panel.wizard
    wiz.recipe_page.set_recipe("freeze")
    page = wiz.model_page
    page.select_weights_file(str(arch))
    note = page.weights_note
    assert note.isVisibleTo(page) and note.text().startswith(f"⚠ {words}")
    assert page.layer_list.item(0).text() == "Layer list unavailable for these weights."
    wiz.go(3)
    qtbot.waitUntil(lambda: bool(wiz.review_page.error.text()), timeout=20_000)
    error = wiz.review_page.error.text()  # the planning refusal: a .pt is what to pick
    assert error.startswith("arch.yaml") and ".pt" in error and "\n" not in error
    assert not wiz.start_button.isEnabled()
