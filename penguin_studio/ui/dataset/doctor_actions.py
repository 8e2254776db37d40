"""The Doctor page's work: run the core's checks off the GUI thread, apply its safe fixes.

The panel only creates the view and hands it here; what a finding means for the browser
(its "Has problems" filter) and which label files a fix would touch come from the core
(``doctor.problems_by_image``, ``doctor.safe_fix_labels``), so the confirmation counts the
files the fix really changes.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from penguin_studio.ui.dataset.browser_model import ImageListModel
from penguin_studio.ui.dataset.dataset_jobs import DatasetJobs
from penguin_studio.ui.jobs import start_job


class DoctorActions(QObject):
    """One doctor run at a time; ``finished`` when it ends (findings, failure or cancel)."""

    finished = Signal()

    def __init__(self, context, jobs: DatasetJobs, dataset_getter: Callable[[], object],
                 model: ImageListModel, forget_documents: Callable[[], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.jobs = jobs
        self._dataset = dataset_getter
        self.model = model
        self._forget_documents = forget_documents
        self.view = None
        self._job = None

    @property
    def busy(self) -> bool:
        return self._job is not None

    def attach(self, view) -> None:
        """The Doctor page (created on first visit) asks here to run, cancel and fix."""
        self.view = view
        view.run_requested.connect(self.run)
        view.cancel_requested.connect(self.cancel)
        view.fix_requested.connect(self.apply_fixes)

    def dataset_opened(self) -> None:
        if self.view is not None:
            self.view.set_findings([])
            self.view.set_message("The dataset changed: run the checks again.")

    def run(self) -> None:
        from penguin_studio.core.dataset.doctor import run_doctor

        dataset = self._dataset()
        if dataset is None or self._job is not None or self.view is None:
            return
        self.view.set_running(True)
        # the Doctor page shows the progress, the findings and a failure in place
        self._job = start_job(
            self.context, "Doctor", lambda ctx, ds: run_doctor(ds, ctx), dataset,
            quiet=True, error_dialog=False, on_done=self._done, on_failed=self._failed,
            on_progress=self.view.set_progress,
            on_cancelled=lambda: self._failed("Cancelled."))

    def _done(self, findings) -> None:
        from penguin_studio.core.dataset.doctor import problems_by_image

        self._job = None
        self.view.set_findings(findings)
        for key, reason in problems_by_image(findings).items():
            self.model.problems.setdefault(key, reason)
        if self.model.filter.status == "problems":
            self.model.refilter()
        self.finished.emit()

    def _failed(self, message: str) -> None:
        self._job = None
        self.view.set_message(message)
        self.finished.emit()

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def apply_fixes(self) -> None:
        """Ask, then clip and de-duplicate the files the core calls safe; reopen after."""
        from penguin_studio.core.dataset.doctor import apply_safe_fixes, safe_fix_labels

        findings = list(self.view.findings)  # all: an error elsewhere in a file keeps it
        files = safe_fix_labels(findings)
        text = (f"Clip boxes to the image and drop exact duplicates in {len(files):,} label "
                "files?\n\nEvery file is backed up first; files that cannot be parsed are "
                "left alone.")
        if not self.jobs.confirm("Apply safe fixes", text):
            return
        ds = self._dataset()
        self.jobs.run("Apply safe fixes", lambda ctx: apply_safe_fixes(ds, findings, ctx),
                      on_done=lambda report: (self._forget_documents(),
                                              self.jobs.reopen(ds.yaml_path or ds.root,
                                                               report.summary())))

    def shutdown(self) -> None:
        self.cancel()
