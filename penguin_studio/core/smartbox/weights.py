"""Which Segment Anything checkpoint a file is, read without running it.

ultralytics picks a SAM architecture from the file *name* (``mobile_sam.pt``,
``sam2.1_t.pt``…) and fails with a key-mismatch traceback on anything else, so a file the
user picked is identified here from the parameter names stored in its pickle (read with
:mod:`pickletools`, which parses and never runs it). A YOLO detector or a damaged file is
named in one line instead of reaching torch.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from penguin_studio.core import appdirs
from penguin_studio.core.errors import NotACheckpointError
from penguin_studio.core.model_files import OTHER_TASKS, _pickled_classes, pickled_strings
from penguin_studio.core.smartbox.catalogue import (  # noqa: F401 - the weights' one place
    _BY_NAME,
    _OTHER,
    ASK,
    GRABCUT,
    RELEASE,
    SAM_MODELS,
    SAM_NAMES,
    SamModel,
    sam_in,
    sam_model,
    tasks_of,
)


def resolve(text: str | Path) -> Path:
    """A path as given, or a bare name looked up in the app's weights folder."""
    path = Path(text).expanduser()
    if path.exists() or path.parent != Path("."):
        return path
    return appdirs.weights_dir() / path.name


def download_problem(path: Path, name: str) -> str | None:
    """Why a finished download of ``name`` is not the SAM checkpoint it should be (None when
    it is, or when ``name`` is no SAM model): a captive portal's page, a truncated file or
    another model under the right name is caught before the file takes that name."""
    expected = sam_model(name)
    if expected is None:
        return None
    try:
        found = identify(path)
    except NotACheckpointError as exc:
        said = str(exc).split(":")[0].replace(path.name, name)
        return f"it is not {expected.label} weights ({said})"
    if found.family != expected.family or (found.family != "fastsam"
                                           and found.name != expected.name):
        return f"it holds {found.label} weights, not {expected.label}"
    return None


def identify(path: str | Path) -> SamModel:
    """The SAM architecture stored in ``path``, or :class:`NotACheckpointError` saying what
    the file is instead."""
    path = Path(path)
    if not path.is_file():
        raise NotACheckpointError(f"{path.name} is not on this computer: {ASK}.")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if path.stat().st_size == 0:
        raise NotACheckpointError(f"{path.name} is empty (0 bytes), not SAM weights: {ASK}.")
    if head != b"PK\x03\x04":
        raise NotACheckpointError(
            f"{path.name} is not a PyTorch checkpoint (its content is not what torch "
            f"saves), so not SAM weights: {ASK}.")
    try:
        classes = _pickled_classes(path)
        keys = pickled_strings(path)
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, KeyError) as exc:
        raise NotACheckpointError(f"{path.name} is damaged (an incomplete download or "
                                  f"copy?): copy it again, or {ASK}.") from exc
    return _classify(path, classes, keys)


def _classify(path: Path, classes: set[str], keys: set[str]) -> SamModel:
    model = sam_in(path.name, classes, keys)
    if model is not None:
        return model
    tasks = tasks_of(classes)
    if tasks:
        what = ("a YOLO detection model (it finds boxes of its own classes)"
                if tasks & {"DetectionModel", "WorldModel", "YOLOEModel"}
                else next((OTHER_TASKS[t] for t in sorted(tasks) if t in OTHER_TASKS),
                          "an ultralytics model"))
        raise NotACheckpointError(f"{path.name} is {what}, not Segment Anything weights: "
                                  f"{ASK}.")
    if not any(k.startswith("image_encoder.") for k in keys):
        raise NotACheckpointError(f"{path.name} is a PyTorch file but not Segment Anything "
                                  f"weights: {ASK}.")
    raise NotACheckpointError(f"{path.name} holds an image encoder this app does not know: "
                              f"{ASK}.")
