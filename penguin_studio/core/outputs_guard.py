"""Where the app may write its outputs: never over, or in among, a user's inputs.

One rule for every writer (Detect's annotated images and labels, Live recordings, dataset
exports, ``penguin-studio predict --save/--labels``, count CSVs): a user once chose the
dataset's ``images/val`` as "Save annotated images into" and all 60 originals were replaced
by box-burned copies. So:

* a *folder* output is refused when it directly holds an input (a source image or video,
  an image, label file or data yaml of the open dataset), or lies inside a folder the
  dataset or a source folder reads images from (those are scanned recursively, so anything
  written there would become an input of the next run or training);
* a *file* output is refused when it is one of those inputs.

:func:`default_output_folder` proposes a fresh ``detections/<model>-<date>/`` beside the
dataset, which always passes. No Qt here: the CLI, the panels and tests share it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from penguin_studio.core.errors import UserError

#: Name of the folder (beside the dataset or the source) fresh outputs go into.
DETECTIONS_DIR = "detections"
MODEL_SUFFIXES = frozenset({".pt", ".onnx", ".engine", ".torchscript", ".tflite"})


class OutputTargetError(UserError):
    """An output target that would overwrite, or mix with, the user's inputs."""


@dataclass
class ProtectedInputs:
    """The files no writer may replace and the folders it may not write into."""

    #: resolved folder → names of the input files directly in it, and why they matter
    files: dict[Path, tuple[set[str], str]] = field(default_factory=dict)
    #: resolved folders read recursively (dataset splits, source folders) → what they are
    trees: dict[Path, str] = field(default_factory=dict)

    def add_files(self, paths: Iterable[str | Path], why: str) -> None:
        """String splitting, not ``Path`` objects: a dataset has 100,000 images."""
        by_parent: dict[str, set[str]] = {}
        for path in paths:
            head, tail = os.path.split(os.fspath(path))
            by_parent.setdefault(head, set()).add(tail)
        for parent, names in by_parent.items():
            key = _resolved(Path(parent))
            held, reason = self.files.get(key, (set(), why))
            self.files[key] = (held | names, reason)

    def add_tree(self, folder: Path, why: str) -> None:
        self.trees.setdefault(_resolved(folder), why)

    def problem_with_folder(self, folder: str | Path) -> str:
        """Why ``folder`` may not receive outputs, or ``""`` when it may."""
        target = _resolved(Path(folder).expanduser())
        if target in self.files:
            return f"it holds {self.files[target][1]}, which would be overwritten"
        for tree, why in self.trees.items():
            if target == tree:
                return f"it holds {why}, which would be overwritten or mixed in"
            if tree in target.parents:
                return f"it is inside {tree.name}/, which holds {why}"
        return ""

    def problem_with_file(self, path: str | Path) -> str:
        """Why ``path`` may not be written, or ``""`` when it may."""
        target = Path(path).expanduser()
        parent = _resolved(target.parent)
        names, why = self.files.get(parent, (set(), ""))
        if target.name in names:
            return f"{parent / target.name} is one of {why}"
        return ""


def protected_inputs(dataset: Any = None, sources: Iterable[str | Path] = ()) -> ProtectedInputs:
    """What the open ``dataset`` and the current ``sources`` (images, folders, videos) own.

    An image's label file counts as an input too: writing YOLO labels into ``labels/val``
    would replace the ground truth.
    """
    from penguin_studio.core.dataset.project import is_image, label_path_for

    guard = ProtectedInputs()
    for source in sources:
        path = Path(source).expanduser()
        if path.is_dir():
            guard.add_tree(path, "the images being detected")
            guard.add_tree(label_path_for(path / "x.jpg").parent,
                           "the labels of the images being detected")
        elif str(source):
            model = path.suffix.lower() in MODEL_SUFFIXES
            guard.add_files([path], "the model" if model else "the files being detected")
            if is_image(path):
                guard.add_files([label_path_for(path)], "the labels of the images")
    if dataset is not None:
        images = [os.fspath(p) for p in [*dataset.images(), *dataset.to_label]]
        guard.add_files(images, f"images of the dataset {dataset.title}")
        guard.add_files(map(_label_text, images), f"label files of the dataset {dataset.title}")
        if dataset.yaml_path is not None:
            guard.add_files([Path(dataset.yaml_path)], f"the dataset {dataset.title}'s yaml")
        for split, found in dataset.sources.items():
            for item in found:
                if Path(item).is_dir():
                    guard.add_tree(Path(item), f"the dataset's {split} images")
                    guard.add_tree(label_path_for(Path(item) / "x.jpg").parent,
                                   f"the dataset's {split} labels")
                else:
                    guard.add_files([Path(item)], f"the dataset's {split} list")
        if dataset.to_label:
            from penguin_studio.core.dataset.to_label import to_label_folder

            guard.add_tree(to_label_folder(dataset), "the dataset's pictures to label")
    return guard


def check_output_folder(folder: str | Path, dataset: Any = None,
                        sources: Iterable[str | Path] = (), what: str = "outputs",
                        guard: ProtectedInputs | None = None) -> Path:
    """``folder`` when outputs may be written into it; else :class:`OutputTargetError`."""
    guard = guard or protected_inputs(dataset, sources)
    problem = guard.problem_with_folder(folder)
    if problem:
        raise OutputTargetError(f"Not saving {what} in {Path(folder).expanduser()}: "
                                f"{problem}. Choose a new, empty folder, such as one in "
                                f"'{DETECTIONS_DIR}/' beside the dataset.")
    return Path(folder).expanduser()


def check_output_file(path: str | Path, dataset: Any = None,
                      sources: Iterable[str | Path] = (), what: str = "the output",
                      guard: ProtectedInputs | None = None) -> Path:
    """``path`` when it is no input of the dataset or sources; else :class:`OutputTargetError`."""
    guard = guard or protected_inputs(dataset, sources)
    problem = guard.problem_with_file(path)
    if problem:
        raise OutputTargetError(f"Not writing {what} to {Path(path).name}: {problem} and "
                                "would be overwritten. Choose another file name.")
    return Path(path).expanduser()


#: What every export writes near its start (COCO's info, VOC's <source>, the zip's data.yaml).
EXPORT_MARK = b"Penguin Studio"


def check_replaceable_export(path: str | Path, what: str,
                             choose: str = "a new file name") -> None:
    """Refuse to replace an existing file that no export of the app wrote: exporting over
    the COCO json or the VOC annotations a dataset was imported from replaced the user's
    originals. A file an export wrote carries :data:`EXPORT_MARK` and may be replaced."""
    path = Path(path)
    if path.is_file() and not _carries_export_mark(path):
        raise OutputTargetError(f"Not writing {what} to {path}: that file exists and no "
                                f"Penguin Studio export wrote it (your own annotations?). "
                                f"Choose {choose}, or move the file away first.")


def _carries_export_mark(path: Path) -> bool:
    import zipfile

    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                member = next((n for n in archive.namelist()
                               if n.rsplit("/", 1)[-1] == "data.yaml"), None)
                return member is not None and EXPORT_MARK in archive.read(member)[:4096]
        with open(path, "rb") as fh:
            return EXPORT_MARK in fh.read(4096)
    except (OSError, zipfile.BadZipFile):
        return False


def model_label(weights: str | Path | None) -> str:
    """``runs/penguins/weights/best.pt`` → ``penguins-best``; ``yolo11n.pt`` → ``yolo11n``."""
    if not weights:
        return "model"
    path = Path(weights)
    if path.parent.name == "weights" and path.parent.parent.name:
        return f"{path.parent.parent.name}-{path.stem}"
    return path.stem or "model"


def default_output_folder(weights: str | Path | None = None, dataset: Any = None,
                          source: str | Path | None = None, now: float | None = None,
                          suffix: str = "") -> Path:
    """A new ``detections/<model>-<date><suffix>/`` beside the dataset (or the source) that
    passes :func:`check_output_folder`; it is not created here."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    name = f"{model_label(weights)}-{stamp}{suffix}"
    guard = protected_inputs(dataset, [source] if source else [])
    for parent in _parents(dataset, source):
        candidate = parent / name
        if not guard.problem_with_folder(candidate) and not candidate.exists():
            return candidate
    from penguin_studio.core import appdirs

    return appdirs.data_dir() / DETECTIONS_DIR / name


def _parents(dataset: Any, source: str | Path | None) -> list[Path]:
    """Folders to put the new output folder in, best first: ``detections/`` in the
    dataset's folder, beside it (when the dataset reads images from its whole folder), then
    beside the source."""
    out: list[Path] = []
    if dataset is not None:
        root = Path(dataset.yaml_path).parent if dataset.yaml_path else Path(dataset.root)
        out += [root / DETECTIONS_DIR, root.parent / f"{root.name}-{DETECTIONS_DIR}"]
    if source:
        out.append(Path(source).expanduser().parent / DETECTIONS_DIR)
    return out


def _label_text(image: str) -> str:
    """:func:`~penguin_studio.core.dataset.project.label_path_for` on strings (fast)."""
    sa, sb = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"
    if sa in image:
        head, tail = image.rsplit(sa, 1)
        image = head + sb + tail
    return image.rsplit(".", 1)[0] + ".txt"


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()
