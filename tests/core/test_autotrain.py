"""Auto-train: when proposal runs start, what they train on, and when proposals refresh."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import yaml

from penguin_studio.core.dataset.project import label_path_for, open_dataset
from penguin_studio.core.inference.prelabel import load_proposals, proposals_path
from penguin_studio.core.jobs import JobContext
from penguin_studio.core.labelling import autotrain as at
from penguin_studio.core.training import runs


def test_first_run_after_ten_labelled_then_every_twenty_queued_not_doubled() -> None:
    s = at.AutoTrainScheduler(at.AutoTrainState())
    assert s.labelled_changed(9, False) == ""
    assert s.labelled_changed(10, True) == "waiting"  # the user's own training runs
    assert s.labelled_changed(10, False) == "start"
    assert s.labelled_changed(30, False) == "queued"  # a run is going: queued, not a second
    assert s.labelled_changed(31, False) == "queued"
    assert s.finished() is True and s.labelled_changed(31, False) == "start"
    assert s.finished() is False and s.labelled_changed(40, False) == ""
    s.state.paused = True
    assert s.labelled_changed(60, False) == "waiting"


def test_on_by_default_under_half_labelled_and_state_persists(tmp_path: Path) -> None:
    assert at.default_enabled(10, 100) and not at.default_enabled(50, 100)
    state = at.AutoTrainState(last_start=10, best_map50=0.4, model="m.pt", runs=1)
    state.save(tmp_path)
    assert at.AutoTrainState.load(tmp_path) == state


def test_a_user_run_in_progress_is_seen(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    assert not at.user_run_active(ds)
    run = tiny_dataset.parent / "runs" / "mine"
    run.mkdir(parents=True)
    (run / "args.yaml").write_text("epochs: 3\n")
    runs.write_status(run, status="running", pid=os.getpid())
    assert at.user_run_active(ds)
    runs.mark_purpose(run, runs.PROPOSAL)
    assert not at.user_run_active(ds)  # auto-train's own run does not block itself


def test_training_set_holds_only_labelled_images(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    gone = ds.images("train")[:2]
    for image in gone:
        label_path_for(image).unlink()
    data = yaml.safe_load(at.training_yaml(ds).read_text())
    listed = (Path(data["path"]) / data["train"]).read_text().split()
    assert listed and not {str(p.resolve()) for p in gone} & set(listed)
    assert data["names"] == dict(enumerate(ds.names))


def test_later_runs_continue_the_proposal_model_of_the_same_pretrained_start(
        tmp_path: Path) -> None:
    pretrained, model = tmp_path / "coco.pt", tmp_path / "proposal.pt"
    pretrained.write_bytes(b"x")
    model.write_bytes(b"x")
    state = at.AutoTrainState()
    assert at.start_weights(state) == ("scratch", at.SCRATCH_MODEL, "")  # nothing here
    assert at.start_weights(state, pretrained) == ("freeze", str(pretrained), str(pretrained))
    state.model, state.base = str(model), str(pretrained)
    assert at.start_weights(state, pretrained) == ("freeze", str(model), str(pretrained))
    other = tmp_path / "better.pt"  # another pretrained start: begin again from it
    assert at.start_weights(state, other) == ("freeze", str(other), str(other))
    state.base = ""
    assert at.start_weights(state) == ("finetune", str(model), "")
    state.next_base = "transient"
    state.save(tmp_path)
    loaded = at.AutoTrainState.load(tmp_path)
    assert loaded.base == "" and loaded.next_base == "" and loaded.model == str(model)


def test_each_batch_is_an_optimizer_step_and_validation_waits_for_the_end(
        tiny_dataset: Path) -> None:
    config = at.proposal_config(open_dataset(tiny_dataset), at.AutoTrainState(), batch=4)
    kwargs = config.to_train_kwargs()
    assert kwargs["nbs"] == kwargs["batch"] == 4 and kwargs["val"] is False
    assert kwargs["time"] == at.BUDGET_S / 3600


def test_a_proposal_run_is_an_ordinary_marked_run_and_refreshes_proposals(
        tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    unlabelled = ds.images("train")[:3]
    for image in unlabelled:
        label_path_for(image).unlink()
    state = at.AutoTrainState()
    config = at.proposal_config(ds, state, epochs=1, time=None, imgsz=64, batch=4,
                                cache="none")
    assert config.mode == "scratch" and config.name == "proposal-1"
    result = at.run_autotrain(JobContext(), ds, state, config)
    assert result.status == "completed", result.message
    record = runs.load_run(result.run_dir)
    assert record.purpose == runs.PROPOSAL
    assert result.run_dir in [e.path.parent.parent for e in runs.run_entries(tiny_dataset)]
    assert result.improved and state.model.endswith("best.pt")
    assert all(load_proposals(p, ds.root) is not None for p in unlabelled)
    assert all(label_path_for(p).exists() is False for p in unlabelled)


def test_a_worse_model_leaves_proposals_untouched_a_better_one_refreshes(
        tiny_dataset: Path, tiny_weights: Path) -> None:
    ds = open_dataset(tiny_dataset)
    image = ds.images("train")[0]
    label_path_for(image).unlink()
    proposals = proposals_path(image, ds.root)
    proposals.parent.mkdir(parents=True)
    proposals.write_text(json.dumps({"version": 1, "image": image.name, "weights": "old.pt",
                                     "proposals": []}))
    run = tiny_dataset.parent / "runs" / "proposal-1"
    (run / "weights").mkdir(parents=True)
    shutil.copy(tiny_weights, run / "weights" / "best.pt")
    (run / "args.yaml").write_text("epochs: 1\n")
    (run / "results.csv").write_text(f"epoch,{runs.MAP50},{runs.MAP}\n1,0.30,0.1\n")
    state = at.AutoTrainState(best_map50=0.5, model="old.pt")
    result = at.conclude(ds, state, run)
    assert not result.improved and "did not beat 0.500" in result.message
    assert json.loads(proposals.read_text())["weights"] == "old.pt" and state.model == "old.pt"
    state.best_map50 = 0.1
    result = at.conclude(ds, state, run)
    assert result.improved and result.refreshed == 1
    assert json.loads(proposals.read_text())["weights"].endswith("best.pt")
