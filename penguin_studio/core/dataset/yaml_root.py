"""The two answers to a :class:`~penguin_studio.core.dataset.datayaml.PathConflict`.

A copied project whose yaml still says ``path: /the/original`` would show, and edit, the
original's images. The user picks which images are meant: the ones beside the yaml (its
``path:`` line is removed, the only change, all-or-nothing through the journal) or the ones
the path names (remembered in the dataset's state folder so the question is not asked
again for this folder; a further copy of the folder is asked again).
"""

from __future__ import annotations

import json

from penguin_studio.core.dataset.datayaml import KEPT_PATH_FILE, updated_data_yaml
from penguin_studio.core.dataset.journal import FileTransaction
from penguin_studio.core.dataset.labels import atomic_write_text
from penguin_studio.core.dataset.project import Dataset, open_dataset
from penguin_studio.core.errors import UserError


def use_images_beside_yaml(dataset: Dataset) -> Dataset:
    """Remove the yaml's ``path:`` so its splits resolve beside it; the reopened dataset."""
    if dataset.yaml_path is None:
        raise UserError("This folder has no data yaml: there is no path to change.")
    tx = FileTransaction(dataset.state_dir, "use the images beside the data yaml")
    tx.write(dataset.yaml_path, updated_data_yaml(dataset.yaml_path, drop_path=True))
    tx.commit()
    return open_dataset(dataset.yaml_path)


def keep_path_in_yaml(dataset: Dataset) -> Dataset:
    """Remember that this folder's yaml means the folder its ``path:`` names."""
    conflict = dataset.path_conflict
    if conflict is None or dataset.yaml_path is None:
        return dataset
    kept = {"folder": str(conflict.local_root), "path": conflict.path_value}
    atomic_write_text(dataset.state_dir / KEPT_PATH_FILE, json.dumps(kept) + "\n")
    return open_dataset(dataset.yaml_path)
