"""Which Segment Anything checkpoint a file is, read without running it.

ultralytics picks a SAM architecture from the file *name* (``mobile_sam.pt``,
``sam2.1_t.pt``…) and fails with a key-mismatch traceback on anything else, so a file the
user picked is identified here from the parameter names stored in its pickle (read with
:mod:`pickletools`, which parses and never runs it). A YOLO detector or a damaged file is
named in one line instead of reaching torch.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from penguin_studio.core import appdirs
from penguin_studio.core.errors import NotACheckpointError
from penguin_studio.core.model_files import OTHER_TASKS, _pickled_classes, pickled_strings

RELEASE = "v8.3.0"
GRABCUT = "grabcut"


@dataclass(frozen=True)
class SamModel:
    """A Segment Anything checkpoint ultralytics publishes (sizes approximate)."""

    name: str       # the file name ultralytics recognises
    label: str      # what the app calls it
    size_mb: float
    family: str     # "sam", "sam2" or "fastsam"
    sha256: str | None = None  # of ultralytics' release asset, where one is published


#: No digest is pinned: neither ultralytics' code nor its release notes publish SHA-256
#: values for these assets (the only published one found, 6dbb9052… in
#: open-edge-platform/model_api#350, is for the MobileSAM authors' own GitHub copy, not
#: proven to be the same bytes). A download is instead checked against the announced size
#: and, by :func:`download_problem`, for being the architecture its name promises.
SAM_MODELS: tuple[SamModel, ...] = (
    SamModel("mobile_sam.pt", "MobileSAM", 40.7, "sam"),
    SamModel("sam2.1_t.pt", "SAM 2.1 tiny", 78.0, "sam2"),
    SamModel("sam2.1_s.pt", "SAM 2.1 small", 92.0, "sam2"),
    SamModel("FastSAM-s.pt", "FastSAM-s", 23.7, "fastsam"),
)
_BY_NAME = {m.name: m for m in SAM_MODELS}
_OTHER = {"sam_b.pt": SamModel("sam_b.pt", "SAM ViT-B", 375.0, "sam"),
          "sam2.1_b.pt": SamModel("sam2.1_b.pt", "SAM 2.1 base", 162.0, "sam2"),
          "sam2_t.pt": SamModel("sam2_t.pt", "SAM 2 tiny", 78.0, "sam2"),
          "sam2_s.pt": SamModel("sam2_s.pt", "SAM 2 small", 92.0, "sam2")}
SAM_NAMES = tuple(m.name for m in SAM_MODELS)
ASK = ("use mobile_sam.pt, sam2.1_t.pt, sam2.1_s.pt or FastSAM-s.pt (Models… imports or "
       "downloads them)")


def sam_model(name: str) -> SamModel | None:
    return _BY_NAME.get(name) or _OTHER.get(name)


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
    model = _sam_in(path, classes, keys)
    if model is not None:
        return model
    tasks = _tasks(classes)
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


def identify_sam(path: Path, classes: set[str]) -> SamModel | None:
    """The SAM model in a checkpoint whose pickled class names are ``classes``, or None when
    it is none: lets the model pickers of Detect and Evaluate say what a SAM file is."""
    if _tasks(classes) and not path.name.lower().startswith("fastsam"):
        return None
    try:
        keys = pickled_strings(path)
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, KeyError):
        return None
    return _sam_in(path, classes, keys)


def _tasks(classes: set[str]) -> set[str]:
    return {c.rsplit(".", 1)[-1] for c in classes if c.startswith("ultralytics.nn.tasks.")}


def _sam_in(path: Path, classes: set[str], keys: set[str]) -> SamModel | None:
    """The SAM architecture the checkpoint's class and parameter names show, or None."""
    if "SegmentationModel" in _tasks(classes) and path.name.lower().startswith("fastsam"):
        return SamModel(path.name, "FastSAM", 0.0, "fastsam")
    encoder = {k for k in keys if k.startswith("image_encoder.")}
    if _tasks(classes) or not encoder:
        return None
    if any(k.startswith("image_encoder.patch_embed.seq.") for k in encoder):
        return _BY_NAME["mobile_sam.pt"]
    if any(k.startswith("image_encoder.trunk.") for k in encoder):
        blocks = {int(k.split(".")[3]) for k in encoder
                  if k.startswith("image_encoder.trunk.blocks.") and k.split(".")[3].isdigit()}
        v21 = "no_obj_embed_spatial" in keys
        size = "t" if len(blocks) <= 12 else "s" if len(blocks) <= 16 else "b"
        name = f"sam2{'.1' if v21 else ''}_{size}.pt"
        return sam_model(name) or SamModel(name, name, 0.0, "sam2")
    if any(k.startswith("image_encoder.blocks.") for k in encoder):
        return _OTHER["sam_b.pt"]
    return None
