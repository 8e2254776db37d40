"""The recipe page keeps a recipe the user chose when advice comes (the wizard-level tests
are in test_training_stale_state.py), and the learning-rate field shows a rate as people
write one, with the digits the run gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from penguin_studio.core.training.advice import Advice
from penguin_studio.ui.train.page_recipe import RecipePage
from penguin_studio.ui.train.page_settings import SettingsPage
from penguin_studio.ui.train.rate_box import LearningRateBox, format_rate


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
