"""A dataset as users have it: an Ultralytics data yaml, or a folder of images.

The data yaml is the one source of truth for class names and splits; labels are YOLO ``.txt``
files found exactly where ultralytics finds them (last ``/images/`` → ``/labels/``), so a box
drawn here is the box trained.

How a plain folder of images maps to a project (nothing is ever moved):

* an image under an ``images/`` folder gets its label in the parallel ``labels/`` tree
  (``shots/images/a.jpg`` → ``shots/labels/a.txt``), as ultralytics expects;
* any other image gets its label beside it (``shots/a.jpg`` → ``shots/a.txt``), the only place
  ultralytics would look for it. A sibling ``labels/`` folder would never be read in training,
  so we never write one for such images.

Opening never writes; :func:`create_project` writes the ``data.yaml`` once the user wants a
project (first class added, first split made). Folders are scanned the way ultralytics globs
them (``**/*.*``: hidden files and folders skipped), with ``os.scandir`` so 10,000 images list
in milliseconds.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from penguin_studio.core.dataset.datayaml import (
    SPLITS,
    PathConflict,
    dataset_root,
    find_path_conflict,
    new_project_yaml,
    parse_names,
    read_yaml_mapping,
    split_candidates,
    split_spec,
    write_project_yaml,
)
from penguin_studio.core.errors import DatasetError

__all__ = ["SPLITS", "Dataset", "create_project", "label_path_for", "open_dataset",
           "parse_names", "read_yaml_mapping"]

#: Dataset notices for people (a yaml pointing elsewhere); the CLI prints them on stderr.
log = logging.getLogger("penguin_studio.dataset")
log.addHandler(logging.NullHandler())

#: What ultralytics trains on (``ultralytics.data.utils.IMG_FORMATS``).
IMAGE_SUFFIXES = frozenset(
    {".avif", ".bmp", ".dng", ".heic", ".heif", ".jp2", ".jpeg", ".jpg", ".mpo", ".png",
     ".tif", ".tiff", ".webp"}
)
#: Picture files people drop into datasets that ultralytics silently ignores.
UNSUPPORTED_IMAGE_SUFFIXES = frozenset(
    {".gif", ".jfif", ".pjpeg", ".svg", ".psd", ".ico", ".pcx", ".ppm", ".pgm", ".pbm",
     ".tga", ".exr", ".hdr", ".cr2", ".nef", ".arw", ".raw", ".orf", ".rw2", ".jxl"}
)
YAML_NAMES = ("data.yaml", "dataset.yaml", "data.yml")
#: Our own bookkeeping (journal, backups) inside a dataset; hidden, so ultralytics skips it.
STATE_DIR = ".penguin-studio"


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def label_path_for(image: Path) -> Path:
    """The label file ultralytics reads for ``image`` (same rule as ``img2label_paths``)."""
    text = os.fspath(image)
    sa, sb = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"
    if sa in text:
        head, tail = text.rsplit(sa, 1)
        text = head + sb + tail
    return Path(text.rsplit(".", 1)[0] + ".txt")


@dataclass
class Dataset:
    """A loaded dataset: where it lives, its classes and the images of each split."""

    root: Path
    yaml_path: Path | None
    names: list[str]
    splits: dict[str, list[Path]] = field(default_factory=dict)
    #: split name (or ``path``/``names``) → why it could not be loaded as written
    problems: dict[str, str] = field(default_factory=dict)
    #: split name → the folders / list files / images its yaml entry resolved to
    sources: dict[str, list[Path]] = field(default_factory=dict)
    #: picture files found in split folders that ultralytics will not train on (.gif…)
    skipped: list[Path] = field(default_factory=list)
    #: the yaml's path: leads to another folder while its own folder holds images too
    path_conflict: PathConflict | None = None
    #: new pictures (live snapshots) waiting for labels, in no split (see ``to_label``)
    to_label: list[Path] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.root.name or str(self.root)

    @property
    def image_count(self) -> int:
        return sum(len(v) for v in self.splits.values())

    @property
    def nc(self) -> int:
        return len(self.names)

    @property
    def is_project(self) -> bool:
        """False for a plain image folder opened without a data yaml (nothing written yet)."""
        return self.yaml_path is not None

    @property
    def state_dir(self) -> Path:
        """Where journals and backups live (next to the data yaml)."""
        base = self.yaml_path.parent if self.yaml_path is not None else self.root
        return base / STATE_DIR

    def images(self, split: str | None = None) -> list[Path]:
        if split is not None:
            return list(self.splits.get(split, []))
        return [p for s in self.splits.values() for p in s]

    def unique_images(self) -> list[Path]:
        """Every image once, in split order (an image listed in two splits counts once)."""
        return list(dict.fromkeys(self.images()))

    def split_of(self) -> dict[Path, str]:
        """Image → its first split; images listed twice keep the first."""
        out: dict[Path, str] = {}
        for split, paths in self.splits.items():
            for p in paths:
                out.setdefault(p, split)
        return out

    @staticmethod
    def label_path(image: Path) -> Path:
        return label_path_for(image)


def open_dataset(path: str | Path) -> Dataset:
    """Open a data yaml, a folder holding one, or a plain folder of images.

    An unfinished class change or split write (the app died halfway) is completed first, so
    what is opened is always consistent.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise DatasetError(f"{path} does not exist.")
    if path.is_dir():
        found = next((path / n for n in YAML_NAMES if (path / n).is_file()), None)
        if found:
            return load_data_yaml(found)
        _finish_interrupted(path)
        return _open_image_folder(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        return load_data_yaml(path)
    if is_image(path):
        raise DatasetError(f"{path.name} is an image: open the folder that holds it instead.")
    raise DatasetError(f"{path.name} is neither a data yaml nor a folder of images.")


def _nc_problem(nc: object, names: list[str]) -> str:
    """Why the yaml's ``nc`` disagrees with its ``names`` (ultralytics refuses to train
    then), or ``""``; no ``nc`` at all is fine."""
    if nc is None:
        return ""
    if isinstance(nc, bool) or not isinstance(nc, int):
        return f"nc is {nc!r}, not a whole number"
    if nc != len(names):
        return f"nc is {nc} but 'names' lists {len(names)} classes"
    return ""


def require_classes(ds: Dataset) -> None:
    """Refuse a dataset whose yaml names no classes or whose ``nc`` contradicts its names:
    ultralytics stops deep inside training or evaluation on both, with a traceback."""
    name = ds.yaml_path.name if ds.yaml_path else ds.title
    if not ds.names:
        raise DatasetError(f"{name} names no classes: add a 'names:' list to it, such as "
                           f"'names: [penguin, rock]' (the Dataset panel's Classes does it).")
    if "names" in ds.problems:
        raise DatasetError(f"{name}: {ds.problems['names']}: make 'nc' the number of "
                           f"classes in 'names', or delete the 'nc' line.")


def _finish_interrupted(folder: Path) -> None:
    from penguin_studio.core.dataset.journal import recover

    recover(folder / STATE_DIR)


def load_data_yaml(yaml_path: Path) -> Dataset:
    """Read an Ultralytics data yaml, resolving paths as users' exports need."""
    yaml_path = Path(yaml_path).expanduser().resolve()
    _finish_interrupted(yaml_path.parent)
    data = read_yaml_mapping(yaml_path)
    names = parse_names(data, yaml_path)
    root, root_problem = dataset_root(data, yaml_path)
    ds = Dataset(root=root, yaml_path=yaml_path, names=names)
    if root_problem:
        ds.problems["path"] = root_problem
    ds.path_conflict = find_path_conflict(data, yaml_path, root, ds.state_dir)
    if ds.path_conflict is not None:  # the CLI prints it; the app shows a banner instead
        log.warning("%s Edit or remove its 'path:' line to use the images beside the yaml.",
                    ds.path_conflict.message())
    nc_problem = _nc_problem(data.get("nc"), names)
    if nc_problem:
        ds.problems["names"] = nc_problem
    for split in SPLITS:
        spec = split_spec(data, split)
        if spec is None or spec == "" or spec == []:
            continue
        try:
            _load_split(ds, split, spec, yaml_path.parent)
        except DatasetError as exc:
            ds.problems[split] = str(exc)
    if not ds.splits:
        detail = "; ".join(f"{k}: {v.rstrip('.')}" for k, v in ds.problems.items()
                           if k in SPLITS)
        raise DatasetError(f"{yaml_path} lists no images that exist "
                           f"({detail or 'it names no train/val/test split'}).")
    ds.to_label = _to_label_images(ds)
    return ds


def _load_split(ds: Dataset, split: str, spec: object, yaml_dir: Path) -> None:
    specs = spec if isinstance(spec, list) else [spec]
    images: list[Path] = []
    sources: list[Path] = []
    for item in specs:
        found, entry_images = _collect_one(str(item), ds.root, yaml_dir, ds.skipped)
        sources.append(found)
        images.extend(entry_images)
    ds.sources[split] = sources
    ds.splits[split] = list(dict.fromkeys(images))


def _collect_one(entry: str, root: Path, yaml_dir: Path,
                 skipped: list[Path]) -> tuple[Path, list[Path]]:
    candidates = split_candidates(entry, root, yaml_dir)
    found = next((c.resolve() for c in candidates if c.exists()), None)
    if found is None:
        looked = " or ".join(str(c.resolve()) for c in candidates)
        raise DatasetError(f"'{entry}' does not exist (looked for {looked}).")
    if found.is_dir():
        images = scan_images(found, skipped)
        if not images:
            raise DatasetError(f"'{entry}' ({found}) holds no images.")
        return found, images
    if found.suffix.lower() == ".txt":
        return found, read_list_file(found)
    if is_image(found):
        return found, [found]
    raise DatasetError(f"'{entry}' ({found}) is neither a folder, an image nor a .txt list.")


def scan_images(folder: Path, skipped: list[Path] | None = None) -> list[Path]:
    """Images under ``folder``, recursively, sorted, hidden entries skipped (as ultralytics).

    Each path is made as its folder's ``Path`` / name: parsing 10,000 full path strings
    again was most of the time a dataset takes to open."""
    found: list[tuple[str, str, str]] = []  # (full path: the sort key, folder, name)
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            suffix = os.path.splitext(name)[1].lower()
            if suffix in IMAGE_SUFFIXES:
                found.append((os.path.join(dirpath, name), dirpath, name))
            elif skipped is not None and suffix in UNSUPPORTED_IMAGE_SUFFIXES:
                skipped.append(Path(dirpath, name))
    found.sort()
    folders: dict[str, Path] = {}
    return [(folders.get(d) or folders.setdefault(d, Path(d))) / name for _, d, name in found]


def read_list_file(path: Path) -> list[Path]:
    """Images of an ultralytics ``.txt`` list: ``./x`` is relative to the list's folder."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise DatasetError(f"Cannot read the list {path}: {exc.strerror or exc}") from exc
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        p = Path(line).expanduser()
        out.append(p if p.is_absolute() else Path(os.path.normpath(path.parent / p)))
    return [p for p in out if is_image(p)]


def _open_image_folder(folder: Path) -> Dataset:
    skipped: list[Path] = []
    images = scan_images(folder, skipped)
    if not images:
        extra = f" ({len(skipped)} unsupported picture files)" if skipped else ""
        raise DatasetError(f"{folder} holds no images and no data.yaml{extra}.")
    root = folder.resolve()
    ds = Dataset(root=root, yaml_path=None, names=[], splits={"train": images},
                 sources={"train": [root]}, skipped=skipped)
    ds.to_label = _to_label_images(ds)
    return ds


def _to_label_images(ds: Dataset) -> list[Path]:
    from penguin_studio.core.dataset.to_label import to_label_images

    return to_label_images(ds, scan_images)


def create_project(folder: str | Path, names: list[str] | tuple[str, ...] = (),
                   yaml_name: str = "data.yaml") -> Dataset:
    """Turn a plain folder of images into a project by writing its data yaml (only that).

    Every image goes to ``train`` (as the folder itself) until the split tool runs; labels
    follow :func:`label_path_for`. Refuses to overwrite an existing yaml.
    """
    folder = Path(folder).expanduser().resolve()
    yaml_path = new_project_yaml(folder, yaml_name)
    ds = _open_image_folder(folder)
    write_project_yaml(yaml_path, list(names))
    ds.yaml_path, ds.names = yaml_path, list(names)
    return ds
