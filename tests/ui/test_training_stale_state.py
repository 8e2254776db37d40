"""What the Train panel shows is what will run: it follows the open dataset, never offers
another dataset's run, never keeps an ETA after Stop, says when a model learned nothing,
and explains its settings in plain words. Runs are written as files (no training here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from run_files import write_run

from penguin_studio.core import appdirs
from penguin_studio.core.training.advice import Advice
from penguin_studio.core.training.config import MODE_TITLES
from penguin_studio.core.training.job import Outcome


@pytest.fixture
def second_dataset(tiny_dataset_master: Path, tmp_path: Path) -> Path:
    """Another copy of the tiny dataset, in a folder of another name (another title)."""
    root = tmp_path / "otters"
    shutil.copytree(tiny_dataset_master, root)
    data_yaml = root / "data.yaml"
    data_yaml.write_text(data_yaml.read_text().replace(str(tiny_dataset_master), str(root)))
    return data_yaml


@pytest.fixture
def panel(qtbot, fresh_home: Path, tiny_dataset: Path):
    """A Train panel on the tiny dataset, in an app home of its own: no pretrained weights,
    runs or settings that another test left in the shared one."""
    from penguin_studio.ui.context import AppContext
    from penguin_studio.ui.train.panel import TrainPanel

    context = AppContext()
    with qtbot.waitSignal(context.dataset_changed, timeout=20_000):
        context.open_path(tiny_dataset)

    def stop(_widget) -> None:
        """pytest-qt closes and deletes the panel before any fixture's teardown runs, so the
        jobs are awaited here, just before the close: a history listing that ended after
        the deletion wrote to a deleted table (a teardown error in a random test)."""
        for _ in range(2):  # previews and history listings, and what their results start
            qtbot.waitUntil(lambda: not context.jobs.busy, timeout=20_000)
            qtbot.wait(50)  # their results delivered while the widgets still exist
        context.jobs.shutdown()
        train.shutdown()
        context.shutdown()

    train = TrainPanel(context)
    qtbot.addWidget(train, before_close_func=stop)
    train.resize(1280, 720)
    train.show()
    return train


def _open(qtbot, panel, data: Path) -> None:
    with qtbot.waitSignal(panel.context.dataset_changed, timeout=20_000):
        panel.context.open_path(data)


def _planned(qtbot, wizard) -> None:
    qtbot.waitUntil(lambda: wizard._planned is not None or bool(wizard.review_page.error.text()),
                    timeout=20_000)
    assert wizard._planned is not None, wizard.review_page.error.text()


def _capture_start(panel) -> list:
    """What Start would train, recorded instead of launching a training process."""
    started: list = []
    panel.wizard.start_requested.disconnect(panel.start)
    panel.wizard.start_requested.connect(started.append)
    return started


def test_review_follows_a_dataset_switch_with_a_fresh_run_name(
        qtbot, panel, tiny_dataset: Path, second_dataset: Path) -> None:
    wiz = panel.wizard
    wiz.recipe_page.set_recipe("scratch")
    wiz.settings_page.name.setText("mine")
    wiz.go(3)
    _planned(qtbot, wiz)
    assert "penguins" in wiz.review_page.summary.text()
    # dataset B already has a folder of that name (a run that never got to args.yaml)
    (second_dataset.parent / "runs" / "mine").mkdir(parents=True)
    _open(qtbot, panel, second_dataset)
    assert not wiz.start_button.isEnabled()  # never Start on the plan drawn for A
    _planned(qtbot, wiz)
    summary = wiz.review_page.summary.text()
    assert "otters" in summary and "penguins" not in summary
    assert "mine2" in summary and "mine is taken" in summary
    assert f"data: {second_dataset}" in wiz.review_page.config_text.toPlainText()
    started = _capture_start(panel)
    wiz.start_button.click()
    assert started and started[0].data == str(second_dataset)


def test_start_replans_when_the_inputs_changed_after_the_review(qtbot, panel) -> None:
    wiz = panel.wizard
    wiz.recipe_page.set_recipe("scratch")
    wiz.go(3)
    _planned(qtbot, wiz)
    wiz.settings_page.epochs.setValue(7)  # changed behind the review page's back
    started = _capture_start(panel)
    wiz.start_button.click()
    assert not started
    _planned(qtbot, wiz)
    assert "for 7 epochs" in wiz.review_page.summary.text()


def test_monitor_offers_no_resume_on_another_datasets_run(
        qtbot, panel, tiny_dataset: Path, second_dataset: Path) -> None:
    run = write_run(tiny_dataset.parent / "runs", "halfway", epochs_planned=5,
                    maps=[0.2, 0.3], status="stopped", data=tiny_dataset)
    panel.history.refresh()
    panel._show_run(run)
    assert panel.monitor.resume_button.isEnabled()
    _open(qtbot, panel, second_dataset)
    monitor = panel.monitor
    assert not monitor.resume_button.isEnabled() and monitor.run_dir is None
    assert "another dataset" in monitor.state_label.text()
    _open(qtbot, panel, tiny_dataset)  # its own dataset again: offered from History
    qtbot.waitUntil(lambda: [r.name for r in panel.history.records if r.resumable]
                    == ["halfway"], timeout=10_000)


def test_resume_not_offered_when_a_run_ends_under_another_dataset(
        qtbot, panel, tiny_dataset: Path, second_dataset: Path) -> None:
    run = write_run(tiny_dataset.parent / "runs", "stopped", epochs_planned=5, maps=[0.2],
                    status="stopped", data=tiny_dataset)
    _open(qtbot, panel, second_dataset)  # opened while A's run was training
    panel.monitor.on_ended(Outcome("stopped", run, resumable=True),
                           resumable_here=panel._of_open_dataset(run))
    assert not panel.monitor.resume_button.isEnabled()
    assert "its own dataset" in panel.monitor.state_label.text()


def _batch(epoch: int, batch: int) -> dict:
    return {"type": "batch", "epoch": epoch, "epochs": 3, "batch": batch, "batches": 4,
            "ips": 8.0, "mean": {"box_loss": 1.0}, "loss": {"box_loss": 1.0}, "lr": 0.01}


def test_eta_is_gone_once_stop_is_pressed(qtbot, panel, tmp_path: Path) -> None:
    monitor = panel.monitor
    monitor.begin("From scratch")
    monitor.on_launched(tmp_path / "run")
    monitor.on_event({"type": "start", "epochs": 3, "batches": 4, "start_epoch": 0,
                      "images": 8, "threads": 2, "device": "cpu"})
    for b in (1, 2, 3):
        monitor.on_event(_batch(0, b))
    assert "ETA" in monitor.progress_label.text()
    monitor.stop_button.click()
    monitor.on_event(_batch(0, 4))  # the batch that finishes after Stop
    assert "ETA" not in monitor.progress_label.text()
    monitor.on_ended(Outcome("stopped", tmp_path / "run", resumable=True))
    assert monitor.progress_label.text() == "stopped after epoch 1/3"


def test_a_run_that_learned_nothing_is_not_announced_as_ready(
        qtbot, panel, tiny_dataset: Path) -> None:
    project = tiny_dataset.parent / "runs"
    useless = write_run(project, "useless", epochs_planned=3, maps=[0.0, 0.0, 0.001],
                        status="completed", data=tiny_dataset)
    monitor = panel.monitor
    monitor.begin("From scratch")
    monitor.on_ended(Outcome("completed", useless))
    assert "learned nothing" in monitor.state_label.text()
    assert "ready" not in monitor.state_label.text()
    advice = monitor.error_label.text()
    assert monitor.error_label.isVisibleTo(monitor)
    for words in ("more epochs than 3", "pretrained", "larger image size than 64 px"):
        assert words in advice
    good = write_run(project, "good", epochs_planned=3, maps=[0.2, 0.5, 0.8],
                     status="completed", data=tiny_dataset)
    monitor.begin("From scratch")
    monitor.on_ended(Outcome("completed", good))
    assert "ready" in monitor.state_label.text() and "0.800" in monitor.state_label.text()
    assert not monitor.error_label.isVisibleTo(monitor)


def test_page_one_says_when_no_pretrained_weights_exist(
        qtbot, panel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weights = tmp_path / "weights"
    weights.mkdir()
    monkeypatch.setattr(appdirs, "weights_dir", lambda: weights)
    wiz = panel.wizard
    wiz.refresh_runs()
    page = wiz.recipe_page
    page.buttons["freeze"].click()  # chosen by the user, though nothing here can start it
    assert page.recipe == "freeze" and page.no_weights.isVisibleTo(page)
    assert "No pretrained weights" in page.no_weights_label.text()
    asked: list = []
    wiz.manage_models.connect(lambda: asked.append(True))
    models_button, scratch_button = page.no_weights.findChildren(type(wiz.next_button))
    models_button.click()
    assert asked
    scratch_button.click()
    assert page.recipe == "scratch"
    (weights / "mine.pt").write_bytes(b"imported")  # Models… → Import puts it here
    wiz.model_page.refresh_named_models()
    assert not page.no_weights.isVisibleTo(page)


def test_with_no_pretrained_weights_the_suggested_from_scratch_is_what_is_selected(
        qtbot, panel) -> None:
    """The sample project's case: no model on this computer, so the suggestion is From
    scratch; the card selected (what Start runs) is the one the advice names."""
    wizard = panel.wizard
    page = wizard.recipe_page
    qtbot.waitUntil(lambda: page.advice is not None, timeout=20_000)
    assert page.advice.recipe == "scratch" and "from scratch" in page.advice_label.text()
    assert page.recipe == "scratch" and page.buttons["scratch"].isChecked()
    assert wizard.config().mode == "scratch"
    assert MODE_TITLES["scratch"] == page.buttons["scratch"].text()


def test_going_on_with_the_recipe_shown_chooses_it(qtbot, panel) -> None:
    wizard = panel.wizard
    page = wizard.recipe_page
    qtbot.waitUntil(lambda: page.advice is not None, timeout=20_000)
    wizard.go(1)
    later = Advice(recipe="hotstart", imgsz=320, batch=8, minutes=5)  # e.g. a model came
    page.set_advice(later)
    assert page.recipe == "scratch"


def test_from_scratch_card_agrees_with_the_readme() -> None:
    from penguin_studio.ui.train.page_recipe import RECIPES

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "choose *From scratch* (no pretrained weights are needed)" in readme
    text = dict(RECIPES)["scratch"]
    assert "no pretrained model needed" in text and "minutes on a laptop CPU" in text
    assert "learns little" not in text


def test_every_setting_has_a_plain_tooltip_and_the_diff_lists_the_apps_defaults(
        qtbot, panel) -> None:
    page = panel.wizard.settings_page
    for widget in (page.epochs, page.hours, page.imgsz, page.batch, page.cache, page.device,
                   page.patience, page.seed, page.project, page.name, page.optimizer,
                   page.lr0, page.warmup, page.load_hyp):
        assert len(widget.toolTip()) > 40, widget
    assert "memory" in page.batch.toolTip() and "improved" in page.patience.toolTip()
    panel.wizard.recipe_page.set_recipe("freeze")
    rows = {key: (default, value) for key, default, value in page.diff_rows()}
    assert rows["epochs"] == ("100", "30") and rows["imgsz"] == ("640", "416")
    assert rows["cache"] == ("off", "ram") and rows["patience"] == ("100", "15")
    assert "freeze" in rows
    panel.wizard.recipe_page.set_recipe("finetune")
    rows = {key: value for key, _default, value in page.diff_rows()}
    assert rows["optimizer"] == "SGD" and "freeze" not in rows


def test_frozen_layers_are_described_in_plain_words(qtbot, panel) -> None:
    wiz = panel.wizard
    wiz.recipe_page.set_recipe("freeze")
    page = wiz.model_page
    qtbot.waitUntil(lambda: page.layer_list.count() > 20, timeout=30000)  # builds the model
    texts = [page.layer_list.item(i).text() for i in range(page.layer_list.count())]
    sppf = next(t for t in texts if "SPPF" in t)
    assert sppf.startswith("frozen") and "surroundings" in sppf
    assert all(len(t.split(")", 1)[1].strip()) > 10 for t in texts)  # every layer explained
    assert "Backbone, layers 0–10" in page.parts_label.text()
    assert "Frozen here: layers 0–10" in page.parts_label.text()


def test_an_imported_checkpoint_picked_by_name_lists_its_own_layers(
        qtbot, panel, tiny_weights: Path) -> None:
    """Models… → Import keeps a checkpoint under its bare name in the weights folder; picked
    as the pretrained model, its layers are read from that file (not looked for in the
    working directory, which left "Layer list unavailable")."""
    shutil.copyfile(tiny_weights, appdirs.weights_dir() / "colleague.pt")
    wiz = panel.wizard
    page = wiz.model_page
    page.refresh_named_models()
    wiz.recipe_page.set_recipe("freeze")
    page.named_radio.setChecked(True)
    page.named_combo.setCurrentIndex(page.named_combo.findData("colleague.pt"))
    assert page.weights == "colleague.pt"
    qtbot.waitUntil(lambda: page.layer_list.count() > 20, timeout=30000)  # reads the file
    assert "Backbone, layers 0–9" in page.parts_label.text()  # a yolov8n, not the yolo11 0–10
    assert page.freeze_spin.value() == 10 and not page.weights_note.isVisibleTo(page)


def test_compare_plot_reads_metrics_as_plain_fractions(qtbot, tiny_dataset: Path) -> None:
    from penguin_studio.ui.train.history import CompareDialog

    project = tiny_dataset.parent / "runs"
    a = write_run(project, "a", epochs_planned=3, maps=[0.12, 0.14, 0.15], status="completed",
                  data=tiny_dataset)
    b = write_run(project, "b", epochs_planned=3, maps=[0.10, 0.13, 0.14], status="completed",
                  data=tiny_dataset)
    dialog = CompareDialog([a, b])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.wait(20)
    item = dialog.plot.getPlotItem()
    axis = item.getAxis("left")
    assert axis.autoSIPrefixScale == 1.0 and not axis.labelUnitPrefix  # no "(x0.001)"
    low, high = item.viewRange()[1]
    assert low <= 0.0 and high >= 1.0
    dialog.grab().save(str(tiny_dataset.parent / "compare.png"))


def test_a_previous_runs_weights_are_not_carried_to_another_dataset(
        qtbot, panel, tiny_dataset: Path, second_dataset: Path) -> None:
    run = write_run(tiny_dataset.parent / "runs", "frozen", epochs_planned=2, maps=[0.2, 0.4],
                    status="completed", data=tiny_dataset, mode="freeze")
    wiz = panel.wizard
    wiz.refresh_runs()
    wiz.recipe_page.set_recipe("finetune")  # prefers the latest feature-extraction run
    page = wiz.model_page
    assert page.run_radio.isChecked() and page.weights == str(run / "weights" / "best.pt")
    _open(qtbot, panel, second_dataset)
    assert not page.run_radio.isEnabled() and not page.run_radio.isChecked()
    assert str(tiny_dataset.parent) not in str(page.weights)


def test_history_marks_a_run_that_learned_nothing(qtbot, panel, tiny_dataset: Path) -> None:
    write_run(tiny_dataset.parent / "runs", "useless", epochs_planned=3, maps=[0.0, 0.0, 0.0],
              status="completed", data=tiny_dataset)
    history = panel.history
    history.refresh()
    qtbot.waitUntil(lambda: len(history.records) == 1, timeout=10_000)
    assert history.table.item(0, 2).text() == "completed · learned nothing"


@pytest.mark.parametrize("text", ["backbone: [[-1, 1, Conv\n", "names: [penguin]\n",
                                  "backbone: []\nhead: []\n"])
def test_a_yaml_as_start_weights_is_one_plain_note(qtbot, panel, tmp_path: Path,
                                                   text: str) -> None:
    """Start weights given as a YAML (broken, a data yaml, an architecture): one plain note
    on the model page that asks for a .pt, as the review page does (it once suggested
    yolov8n.yaml beside a field that takes a .pt file), never a traceback (pytest-qt fails
    a test on an exception in a slot)."""
    arch = tmp_path / "arch.yaml"
    arch.write_text(text)
    wiz = panel.wizard
    wiz.recipe_page.set_recipe("freeze")
    page = wiz.model_page
    page.select_weights_file(str(arch))
    note = page.weights_note
    assert note.text() == ("⚠ Start weights must be a .pt checkpoint, not arch.yaml: pick a "
                           "run's weights/best.pt, or a pretrained model (Models…).")
    assert note.isVisibleTo(page)
    assert page.layer_list.item(0).text() == "Layer list unavailable for these weights."
    wiz.go(3)
    qtbot.waitUntil(lambda: bool(wiz.review_page.error.text()), timeout=20_000)
    error = wiz.review_page.error.text()  # the planning refusal: a .pt is what to pick
    assert "arch.yaml" in error and ".pt" in error and "\n" not in error
    assert not wiz.start_button.isEnabled()
