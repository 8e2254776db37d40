"""Assigning images to splits: by hand (multi-select in the browser) or with the split tool.

Both write Ultralytics list files through the core (``assign`` / ``write_split_lists``) and
move no file, unless the split tool's "move into folders" choice is made explicitly, which
asks once more before the core's journaled move.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QWidget

from penguin_studio.ui.dataset.dataset_jobs import DatasetJobs, call


class SplitActions:
    def __init__(self, jobs: DatasetJobs, parent: QWidget, dataset_getter, index_getter) -> None:
        self.jobs = jobs
        self.parent = parent
        self._dataset = dataset_getter
        self._index = index_getter
        #: tests replace this to accept the dialog without showing it
        self.run_dialog = lambda dialog: dialog.exec() == QDialog.DialogCode.Accepted

    def assign(self, images: list[Path], split: str) -> None:
        from penguin_studio.core.dataset import splits as core_splits

        ds = self._dataset()
        if ds is None or not images:
            self.jobs.context.status_message.emit("Select images in the browser first.", 4000)
            return
        where = ds.yaml_path.parent if ds.yaml_path else ds.root
        text = (f"Put {len(images):,} selected image{'s' if len(images) != 1 else ''} in "
                f"{split}?\n\nThis writes train.txt / val.txt / test.txt in {where} and points "
                "the data yaml at them. No image or label file is moved.")
        if not self.jobs.confirm(f"Assign to {split}", text):
            return
        self.jobs.run(f"Assign to {split}", call(core_splits.assign, ds, images, split),
                      on_done=lambda new: self.jobs.reopen(
                          new.yaml_path, f"{len(images):,} images are now in {split}."))

    def split_tool(self) -> None:
        from penguin_studio.core.dataset import splits as core_splits
        from penguin_studio.ui.dataset.split_dialog import SplitDialog

        ds, index = self._dataset(), self._index()
        if ds is None:
            return
        if index is None:
            self.jobs.context.status_message.emit("Still reading labels; try again in a "
                                                  "moment.", 4000)
            return
        dialog = SplitDialog(index, self.parent)
        if not self.run_dialog(dialog) or not dialog.assignment:
            return
        assignment = dict(dialog.assignment)
        if dialog.move_files:
            text = (f"Move {len(assignment):,} images and their labels into images/<split>/ "
                    f"and labels/<split>/ under {ds.root}?\n\nThe move is journaled "
                    "(all or nothing) and refuses name clashes before touching a file.")
            if not self.jobs.confirm("Move files into split folders", text):
                return
            fn = core_splits.move_into_split_folders
        else:
            fn = core_splits.write_split_lists
        self.jobs.run("Split images", call(fn, ds, assignment),
                      on_done=lambda new: self.jobs.reopen(new.yaml_path, "Split written."))
