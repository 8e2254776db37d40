"""Where file dialogs open: beside the file in use, else in the open project's folder.

A dialog given no folder (or "") opens in the process's working folder, which is wherever
the app was started from (often the home folder, or the installer's folder): a user looking
for the project's videos, weights or label exports had to find the project again each time.
"""

from __future__ import annotations

from pathlib import Path


def project_folder(dataset) -> Path | None:
    """The folder that holds the open project's data yaml (or its images), if one is open."""
    if dataset is None:
        return None
    yaml_path = getattr(dataset, "yaml_path", None)
    return Path(yaml_path).parent if yaml_path else Path(dataset.root)


def start_folder(dataset, *near: str | Path | None) -> str:
    """The first existing folder of ``near`` (a file stands for its folder), else the open
    project's folder, else the home folder; never the working folder."""
    for candidate in near:
        if not candidate:
            continue
        path = Path(candidate).expanduser()
        if not path.is_absolute():  # relative to the working folder: what this avoids
            continue
        folder = path if path.is_dir() else path.parent
        if folder.is_dir():
            return str(folder)
    folder = project_folder(dataset)
    if folder is not None and folder.is_dir():
        return str(folder)
    return str(Path.home())
