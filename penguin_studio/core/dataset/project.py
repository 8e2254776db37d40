"""A dataset as users have it: an Ultralytics data yaml, or a folder of images.

The data yaml is the one source of truth for class names and splits; labels are YOLO ``.txt``
files found exactly where ultralytics finds them (last ``/images/`` → ``/labels/``), so a box
drawn here is the box trained.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from penguin_studio.core.errors import DatasetError

IMAGE_SUFFIXES = frozenset(
    {".avif", ".bmp", ".dng", ".heic", ".heif", ".jp2", ".jpeg", ".jpg", ".mpo", ".png",
     ".tif", ".tiff", ".webp"}
)
SPLITS = ("train", "val", "test")
YAML_NAMES = ("data.yaml", "dataset.yaml", "data.yml")


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
    #: split name → why it could not be loaded (named in the yaml but missing on disk…)
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.root.name or str(self.root)

    @property
    def image_count(self) -> int:
        return sum(len(v) for v in self.splits.values())

    def images(self, split: str | None = None) -> list[Path]:
        if split is not None:
            return list(self.splits.get(split, []))
        return [p for s in self.splits.values() for p in s]


def open_dataset(path: str | Path) -> Dataset:
    """Open a data yaml, a folder holding one, or a plain folder of images."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DatasetError(f"{path} does not exist.")
    if path.is_dir():
        found = next((path / n for n in YAML_NAMES if (path / n).is_file()), None)
        return load_data_yaml(found) if found else _open_image_folder(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        return load_data_yaml(path)
    raise DatasetError(f"{path.name} is neither a data yaml nor a folder of images.")


def load_data_yaml(yaml_path: Path) -> Dataset:
    """Read an Ultralytics data yaml, resolving paths as users' exports need."""
    yaml_path = yaml_path.resolve()
    try:
        data = yaml.safe_load(yaml_path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DatasetError(f"Cannot read {yaml_path}: {exc}") from exc
    if not isinstance(data, dict):
        raise DatasetError(f"{yaml_path} is not a data yaml (expected keys train/val/names).")
    names = _parse_names(data, yaml_path)
    root = _dataset_root(data, yaml_path)
    ds = Dataset(root=root, yaml_path=yaml_path, names=names)
    for split in SPLITS:
        spec = data.get(split)
        if spec is None and split == "val":
            spec = data.get("valid")
        if spec is None:
            continue
        try:
            ds.splits[split] = _collect_split(spec, root, yaml_path.parent)
        except DatasetError as exc:
            ds.problems[split] = str(exc)
    if not ds.splits:
        detail = "; ".join(f"{k}: {v}" for k, v in ds.problems.items()) or "no train/val/test"
        raise DatasetError(f"{yaml_path.name} lists no images that exist ({detail}).")
    return ds


def _parse_names(data: dict, yaml_path: Path) -> list[str]:
    names = data.get("names")
    if isinstance(names, dict):
        try:
            return [str(names[k]) for k in sorted(names, key=int)]
        except (TypeError, ValueError) as exc:
            raise DatasetError(f"{yaml_path.name}: class ids in 'names' must be integers.") from exc
    if isinstance(names, list):
        return [str(n) for n in names]
    if isinstance(data.get("nc"), int):
        return [f"class{i}" for i in range(data["nc"])]
    raise DatasetError(f"{yaml_path.name} has no 'names' list of classes.")


def _dataset_root(data: dict, yaml_path: Path) -> Path:
    base = data.get("path")
    if not base:
        return yaml_path.parent
    root = Path(str(base)).expanduser()
    if not root.is_absolute():
        root = (yaml_path.parent / root).resolve()
    return root if root.exists() else yaml_path.parent


def _collect_split(spec: object, root: Path, yaml_dir: Path) -> list[Path]:
    specs = spec if isinstance(spec, list) else [spec]
    images: list[Path] = []
    for item in specs:
        images.extend(_collect_one(str(item), root, yaml_dir))
    return images


def _resolve(entry: str, root: Path, yaml_dir: Path) -> Path | None:
    """Try the path as written, then against the yaml's own folder (Roboflow's ``../x``)."""
    raw = Path(entry).expanduser()
    candidates = [raw] if raw.is_absolute() else [root / raw, yaml_dir / raw]
    if entry.startswith("../"):
        candidates.append(yaml_dir / entry[3:])
    return next((c.resolve() for c in candidates if c.exists()), None)


def _collect_one(entry: str, root: Path, yaml_dir: Path) -> list[Path]:
    found = _resolve(entry, root, yaml_dir)
    if found is None:
        raise DatasetError(f"'{entry}' does not exist (looked in {root}).")
    if found.is_dir():
        return sorted(p for p in found.rglob("*") if p.is_file() and is_image(p))
    if found.suffix.lower() == ".txt":
        return _read_list_file(found)
    if is_image(found):
        return [found]
    raise DatasetError(f"'{entry}' is neither a folder, an image nor a .txt list.")


def _read_list_file(path: Path) -> list[Path]:
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line:
            continue
        p = Path(line)
        out.append(p if p.is_absolute() else (path.parent / p).resolve())
    return out


def _open_image_folder(folder: Path) -> Dataset:
    images = sorted(p for p in folder.rglob("*") if p.is_file() and is_image(p))
    if not images:
        raise DatasetError(f"{folder} holds no images and no data.yaml.")
    return Dataset(root=folder.resolve(), yaml_path=None, names=[], splits={"train": images})
