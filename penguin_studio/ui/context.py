"""State shared by every panel: the open dataset and requests between panels.

Panels never talk to each other directly; they listen to and call this object (the
"evaluate → edit this image's labels" round trip goes through ``edit_image_requested``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from penguin_studio.core import appdirs
from penguin_studio.core.dataset import Dataset, open_dataset
from penguin_studio.core.jobs import JobContext
from penguin_studio.ui import settings
from penguin_studio.ui.jobs import start_job
from penguin_studio.ui.workers import JobRunner

OPENED_MS = 8000  # how long "Opened …" stays in the status bar
OPENED_PROBLEMS_MS = 30000  # … when it also names problems of the dataset


def dataset_key(dataset: Dataset | None) -> str:
    """What tells another dataset from a reload of the same one (its yaml, else its
    folder; "" for none): panels keep their results across a reload only."""
    return str(dataset.yaml_path or dataset.root) if dataset is not None else ""


def _open_job(ctx: JobContext, path: str) -> Dataset:
    ctx.progress(0, 0, f"Opening {path}…")
    return open_dataset(path)


def _sample_job(ctx: JobContext, root: Path) -> Path:
    from penguin_studio.core import sample

    def progress(done: int, total: int) -> None:
        ctx.step(done, total, "Drawing the sample penguin project…")

    report = sample.generate_sample(root, force=True, progress=progress)
    return report.data_yaml


class AppContext(QObject):
    """The open dataset plus the signals panels coordinate through."""

    dataset_changed = Signal(object)  # Dataset | None
    loading_changed = Signal(bool)
    status_message = Signal(str, int)  # text, timeout ms (0 = until replaced)
    error = Signal(str, str)  # title, message
    edit_image_requested = Signal(object)  # Path of an image to open in the editor
    show_panel_requested = Signal(str)
    images_added = Signal(object)  # list[Path] written into the dataset (live snapshots…)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dataset: Dataset | None = None
        self.jobs = JobRunner(self)
        self._loading = False
        self._reload_pending = False  # files were added while a load was running
        #: the panel that sent the image being edited (request_edit), "" for none
        self.edit_return_panel = ""
        self.images_added.connect(lambda _paths: self.reload())

    @property
    def loading(self) -> bool:
        return self._loading

    def _set_loading(self, value: bool) -> None:
        self._loading = value
        self.loading_changed.emit(value)

    def open_path(self, path: str | Path) -> None:
        """Open a dataset in the background; ``dataset_changed`` fires when it is ready."""
        text = str(Path(path).expanduser())
        self._set_loading(True)
        # the failure's own words ("Could not open …", the dialog) come from _open_failed
        start_job(self, "Opening", _open_job, text, progress_text=f"Opening {text}…",
                  error_dialog=False, on_done=lambda ds, p=text: self._opened(p, ds),
                  on_failed=lambda msg, p=text: self._open_failed(p, msg))

    def _opened(self, path: str, dataset: Dataset) -> None:
        self.dataset = dataset
        settings.remember_project(path)
        self._set_loading(False)
        count = dataset.image_count
        note = f" ({'; '.join(dataset.problems.values())})" if dataset.problems else ""
        # a while, not forever: "Opened …" must not stand over the edits that follow
        self.status_message.emit(f"Opened {dataset.title}: {count} images{note}",
                                 OPENED_PROBLEMS_MS if note else OPENED_MS)
        self.dataset_changed.emit(dataset)
        if self._reload_pending:  # what was added during this load is read now
            self._reload_pending = False
            self.reload()

    def _open_failed(self, path: str, message: str) -> None:
        self._set_loading(False)
        self._reload_pending = False
        self.status_message.emit(f"Could not open {path}", 0)
        self.error.emit("Cannot open dataset", message)

    def open_startup_project(self, path: str | None) -> None:
        """Open PATH, else the last project, else the sample (made on first launch)."""
        if path:
            self.open_path(path)
            return
        last = settings.last_project()
        if last and Path(last).exists():
            self.open_path(last)
            return
        note = f"Last project {last} is gone; opened the sample project." if last else ""
        self.open_sample(note)

    def open_sample(self, note: str = "") -> None:
        root = appdirs.sample_project_dir()
        data_yaml = root / "data.yaml"
        if data_yaml.exists():
            self.open_path(data_yaml)
            if note:
                self.dataset_changed.connect(self._announce_once(note))
            return
        self._set_loading(True)
        start_job(self, "Creating the sample", _sample_job, root,
                  progress_text="Creating the sample penguin project…", error_dialog=False,
                  on_done=lambda yml: self._sample_ready(yml, note),
                  on_failed=lambda msg: self._open_failed(str(root), msg),
                  on_progress=self._sample_progress)

    def _sample_progress(self, done: int, total: int, message: str) -> None:
        self.status_message.emit(f"{message} {done}/{total}", 0)

    def _sample_ready(self, data_yaml: Path, note: str) -> None:
        self.open_path(data_yaml)
        if note:
            self.dataset_changed.connect(self._announce_once(note))

    def _announce_once(self, note: str):
        def announce(_dataset: object) -> None:
            self.dataset_changed.disconnect(announce)
            self.status_message.emit(note, 0)

        return announce

    def reload(self) -> None:
        """Re-open the current dataset (after files were added); panels keep their place."""
        if self._loading:  # the running load may have listed the folder already: again after
            self._reload_pending = True
        elif self.dataset is not None:
            self.open_path(self.dataset.yaml_path or self.dataset.root)

    def request_edit(self, image: Path, back_to: str = "") -> None:
        """Open ``image`` in the Dataset editor; ``back_to`` names the panel (a key of
        ``ui.panel_registry.PANELS``) the editor offers a way back to, where the user came from."""
        self.edit_return_panel = back_to
        self.edit_image_requested.emit(Path(image))
        self.show_panel_requested.emit("dataset")

    def shutdown(self) -> None:
        self.jobs.shutdown()
