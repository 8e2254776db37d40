"""Class list changes from the editor's class list: add, rename, reorder, delete.

Each one is planned by the core first (``plan_*`` reads every affected label file, off the
GUI thread), shown as the plan's own summary for confirmation, then applied by the core's
crash-safe ``apply_plan``. Undo histories are dropped afterwards: they hold the old class ids.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from penguin_studio.core.jobs import JobContext
from penguin_studio.ui.dataset.dataset_jobs import DatasetJobs

if TYPE_CHECKING:
    from penguin_studio.core.dataset.classes import ClassChangePlan


def _classes():
    """The core's class-change module, imported on first use (it reads every label file
    anyway, so its import cost does not matter then; at start-up it would)."""
    from penguin_studio.core.dataset import classes

    return classes


class ClassActions:
    """Turns the class list's requests into confirmed core class changes."""

    def __init__(self, jobs: DatasetJobs, dataset_getter, on_applied) -> None:
        self.jobs = jobs
        self._dataset = dataset_getter
        self._on_applied = on_applied

    def add(self) -> None:
        ds = self._dataset()
        if ds is None:
            return
        name = self.jobs.ask_text("Add a class", "Name of the new class:", "")
        if name:
            self._plan("Add class", lambda ctx: _classes().plan_add(ds, name))

    def rename(self, class_id: int) -> None:
        ds = self._dataset()
        if ds is None or not 0 <= class_id < ds.nc:
            return
        old = ds.names[class_id]
        name = self.jobs.ask_text("Rename class", f"New name for '{old}':", old)
        if name and name != old:
            self._plan("Rename class", lambda ctx: _classes().plan_rename(ds, class_id, name))

    def move(self, class_id: int, position: int) -> None:
        ds = self._dataset()
        if ds is None:
            return
        order = list(range(ds.nc))
        order.insert(position, order.pop(class_id))
        self._plan("Reorder classes", lambda ctx: _classes().plan_reorder(ds, order, ctx))

    def delete(self, class_id: int) -> None:
        ds = self._dataset()
        if ds is None or not 0 <= class_id < ds.nc:
            return
        self._plan("Delete class", lambda ctx: _classes().plan_delete(ds, class_id, ctx))

    def _plan(self, title: str, make_plan) -> None:
        def job(ctx: JobContext):
            return make_plan(ctx)

        self.jobs.run(title, job, on_done=lambda plan: self._confirm(title, plan),
                      progress="Reading the label files this change affects")

    def _confirm(self, title: str, plan: ClassChangePlan) -> None:
        text = (f"{plan.summary()}\n\nIt is written all-or-nothing, even if the app stops "
                "halfway. Undo history of edited images is cleared.")
        if not self.jobs.confirm(title, text):
            self.jobs.context.status_message.emit(f"{title}: cancelled, nothing changed.", 4000)
            return
        self.jobs.run(title, lambda ctx: _classes().apply_plan(plan, ctx),
                      on_done=lambda ds: self._applied(ds, plan.description))

    def _applied(self, dataset, description: str) -> None:
        self._on_applied()
        self.jobs.reopen(dataset.yaml_path, f"{description}: done.")
