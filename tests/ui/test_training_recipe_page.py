"""The wizard's recipe page selects what it suggests until the user chooses, and the
learning-rate field shows a rate as people write one, with the digits the run gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from penguin_studio.core.training.advice import Advice
from penguin_studio.core.training.config import MODE_TITLES
from penguin_studio.ui.train.page_recipe import RecipePage
from penguin_studio.ui.train.page_settings import SettingsPage
from penguin_studio.ui.train.rate_box import LearningRateBox, format_rate


@pytest.fixture
def wizard(qtbot, tiny_dataset: Path):
    from penguin_studio.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.context.dataset_changed, timeout=20_000):
        win.context.open_path(tiny_dataset)
    yield win.show_panel("train").wizard
    win.close()


def test_with_no_pretrained_weights_the_suggested_from_scratch_is_what_is_selected(
        qtbot, wizard) -> None:
    """The sample project's case: no model on this computer, so the suggestion is From
    scratch; the card selected (what Start runs) is the one the advice names."""
    page = wizard.recipe_page
    qtbot.waitUntil(lambda: page.advice is not None, timeout=20_000)
    assert page.advice.recipe == "scratch" and "from scratch" in page.advice_label.text()
    assert page.recipe == "scratch" and page.buttons["scratch"].isChecked()
    assert wizard.config().mode == "scratch"
    assert MODE_TITLES["scratch"] == page.buttons["scratch"].text()


def _advice(recipe: str) -> Advice:
    return Advice(recipe=recipe, imgsz=320, batch=8, minutes=5, why=f"{recipe} here")


def test_a_choice_of_the_user_is_kept_when_advice_comes(qtbot) -> None:
    page = RecipePage()
    qtbot.addWidget(page)
    assert page.recipe == "freeze"
    page.set_advice(_advice("hotstart"))
    assert page.recipe == "hotstart"  # nothing chosen yet: follow the advice
    page.buttons["freeze"].click()
    page.set_advice(_advice("scratch"))
    assert page.recipe == "freeze" and page.advice.recipe == "scratch"


def test_going_on_with_the_recipe_shown_chooses_it(qtbot, wizard) -> None:
    page = wizard.recipe_page
    qtbot.waitUntil(lambda: page.advice is not None, timeout=20_000)
    wizard.go(1)
    page.set_advice(_advice("hotstart"))  # e.g. a model downloaded meanwhile
    assert page.recipe == "scratch"


@pytest.mark.parametrize("value, text", [
    (0.01, "0.01"), (0.001, "0.001"), (0.2, "0.2"), (1.0, "1"), (0.0005, "5e-4"),
    (0.0001, "1e-4"), (0.000123457, "1.23457e-4"), (0.00123457, "0.00123457")])
def test_a_learning_rate_reads_as_people_write_it(qtbot, value: float, text: str) -> None:
    box = LearningRateBox()
    qtbot.addWidget(box)
    box.setValue(value)
    assert box.text() == text == format_rate(value) and box.value() == value


def test_the_rate_field_steps_one_two_five_and_reads_typed_values(qtbot) -> None:
    box = LearningRateBox()
    qtbot.addWidget(box)
    box.setValue(0.01)
    seen = []
    for _ in range(3):
        box.stepBy(-1)
        seen.append(box.text())
    assert seen == ["0.005", "0.002", "0.001"]
    box.stepBy(3)
    assert box.value() == 0.01
    box.lineEdit().setText("3e-4")
    box.interpretText()
    assert box.value() == 0.0003


def test_a_tuned_lr0_runs_with_the_digits_it_shows(qtbot, tmp_path: Path) -> None:
    hyp = tmp_path / "best_hyp.yaml"
    hyp.write_text("optimizer: AdamW\nlr0: 0.000123457\n")
    page = SettingsPage()
    qtbot.addWidget(page)
    page.set_hyp(str(hyp))
    assert page.lr0.text() == "1.23457e-4"
    assert page.values()["lr0"] == 0.000123457  # a 5-decimal box ran 0.00012
    page.grab().save(str(tmp_path / "settings.png"))
