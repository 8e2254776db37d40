"""Read and write Ultralytics data yamls: names as an id mapping, portable paths.

Yamls written here name no ``path:`` when the dataset lives in the yaml's own folder (a new
project, the sample): splits then resolve against the yaml's folder, in this app and in
ultralytics alike, so a copied or moved project folder shows and edits its own images.
ultralytics resolves a *relative* ``path:`` against its ``datasets_dir`` setting instead, so
training and evaluation hand it an absolute copy (``training.plan`` and
``evaluation.validate``), never the user's file. Updates keep every key we do not manage
(``download``, ``kpt_shape``, Roboflow's ``roboflow:`` block…) in its original order, the
``path:`` as the user wrote it, and the comment lines at the top of the file; comments
elsewhere are lost, a limitation of PyYAML.

YAML parser errors are translated into plain words here (:func:`yaml_error_message`) for
every yaml the app reads.

This is the whole data-yaml API: read (:func:`read_yaml_mapping`, :func:`parse_names`),
resolve splits (:func:`split_spec`, :func:`dataset_root`, :func:`split_candidates`, the rules
``Dataset.sources`` is built with), write (:func:`render_data_yaml`,
:func:`updated_data_yaml`), create a project (:func:`new_project_yaml`,
:func:`write_project_yaml`) and the copy ultralytics reads (:func:`ultralytics_data_yaml`).
It imports nothing of ``project`` (which builds on it), so a dataset is duck-typed here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from penguin_studio.core.dataset.labels import atomic_write_text
from penguin_studio.core.errors import DatasetError, UserError, unreadable_reason

SplitSpec = str | list[str]
#: The splits a data yaml names, in the order ultralytics documents them.
SPLITS = ("train", "val", "test")


def read_yaml_mapping(yaml_path: Path) -> dict:
    """The yaml's top-level mapping, or a DatasetError saying why it is not one."""
    try:
        data = yaml.safe_load(yaml_path.read_text(encoding="utf-8-sig")) or {}
    except FileNotFoundError:
        raise DatasetError(f"{yaml_path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"Cannot read {yaml_path}: {unreadable_reason(exc)}. Pick the "
                           f"dataset's data.yaml (a text file) or the folder that holds "
                           f"it.") from exc
    except yaml.YAMLError as exc:
        raise DatasetError(yaml_error_message(exc, yaml_path.name)) from exc
    if not isinstance(data, dict):
        raise DatasetError(f"{yaml_path} is not a data yaml (expected keys train/val/names).")
    return data


def parse_names(data: dict, yaml_path: Path) -> list[str]:
    names = data.get("names")
    if isinstance(names, dict):
        try:
            ids = sorted(int(k) for k in names)
        except (TypeError, ValueError) as exc:
            raise DatasetError(f"{yaml_path.name}: class ids in 'names' must be integers.") from exc
        if ids != list(range(len(ids))):
            raise DatasetError(f"{yaml_path.name}: class ids in 'names' must be 0, 1, 2… "
                               f"without gaps (found {ids[:10]}).")
        by_id = {int(k): v for k, v in names.items()}
        return [str(by_id[i]) for i in ids]
    if isinstance(names, list):
        return [str(n) for n in names]
    if isinstance(data.get("nc"), int):
        return [f"class{i}" for i in range(data["nc"])]
    if names is None and "nc" not in data:
        return []
    raise DatasetError(f"{yaml_path.name}: 'names' must be a list or a mapping of classes.")


# ----- resolving splits (the rules Dataset.sources is built with) ------------------------------
def split_spec(data: dict, split: str) -> object:
    """The yaml's entry for ``split`` as written; ``val`` falls back to Roboflow's ``valid``."""
    spec = data.get(split)
    if spec is None and split == "val":
        spec = data.get("valid")
    return spec


def dataset_root(data: dict, yaml_path: Path) -> tuple[Path, str]:
    """The folder relative splits resolve against, and why ``path:`` could not be used ("")."""
    base = data.get("path")
    if not base:
        return yaml_path.parent, ""
    root = Path(str(base)).expanduser()
    if not root.is_absolute():
        root = (yaml_path.parent / root).resolve()
    if root.is_dir():
        return root, ""
    return yaml_path.parent, (f"path: {base} does not exist ({root}); "
                              f"paths were resolved against {yaml_path.parent} instead")


def split_candidates(entry: str, root: Path, yaml_dir: Path) -> list[Path]:
    """Where a split entry may be, in the order tried: the first that exists is the split."""
    raw = Path(entry).expanduser()
    if raw.is_absolute():
        return [raw]
    out = [root / raw, yaml_dir / raw]
    if entry.startswith("../"):  # Roboflow: '../train/images' meant next to the yaml
        out.append(yaml_dir / entry[3:])
    return list(dict.fromkeys(out))


# ----- YAML errors in plain words ----------------------------------------------------------------
#: (words in PyYAML's problem text, use the context's line, what to tell a person)
_YAML_PROBLEMS: tuple[tuple[str, bool, str], ...] = (
    ("could not find expected ':'", True,
     "a colon is missing after the key (write 'key: value')"),
    ("mapping values are not allowed", False,
     "an unexpected ':' here: put each key on a line of its own, indented like its "
     "neighbours, or quote a value that holds ': '"),
    ("found character '\\t'", False, "a tab indents this line: indent with spaces"),
    ("found unknown escape character", False,
     "a backslash inside double quotes: use forward slashes (C:/data) or single quotes"),
    ("found unexpected end of stream", True, "a quote opened here is never closed"),
    ("expected ',' or ']'", True, "a [ list ] opened here is not closed with ']'"),
    ("expected ',' or '}'", True, "a { mapping } opened here is not closed with '}'"),
    ("expected <block end>", False,
     "this line's indentation does not match the lines above it"),
    ("found undefined alias", False,
     "a value starts with '*', which YAML reserves: put the value in quotes"),
    ("while scanning an anchor", True,
     "a value starts with '&', which YAML reserves: put the value in quotes"),
    ("cannot start any token", False,
     "a value starts with a character YAML reserves (@ ` %): put the value in quotes"),
    ("expected '<document start>'", False,
     "a stray line before the first key (a '%' line?): remove it"),
    ("but found another document", False,
     "a second document starts here ('---'): keep one document per file"),
    ("could not determine a constructor", False,
     "a '!!' tag that is not plain data: remove the tag"),
    ("expected the node content", False,
     "a bracket or symbol where a value should be: put the value in quotes"),
)


def yaml_error_message(exc: yaml.YAMLError, source: str) -> str:
    """One line a person can act on, e.g. ``data.yaml, line 2: a colon is missing…``.

    PyYAML's own words ("mapping values are not allowed here") name the parser's state,
    not the mistake; this names the usual mistake behind each of them and its line.
    """
    if isinstance(exc, yaml.reader.ReaderError):
        return (f"{source} holds a character that is not text (code {exc.character!r}): "
                "save it as plain UTF-8 text.")
    problem = str(getattr(exc, "problem", None) or "")
    context = str(getattr(exc, "context", None) or "")
    words = f"{context} {problem}"
    for needle, at_context, plain in _YAML_PROBLEMS:
        if needle in words:
            mark = getattr(exc, "context_mark" if at_context else "problem_mark", None)
            mark = mark or getattr(exc, "problem_mark", None)
            return f"{source}{_line_of(mark)}: {plain}."
    mark = getattr(exc, "problem_mark", None)
    detail = problem or str(exc).splitlines()[0]
    return f"{source}{_line_of(mark)} is not valid YAML: {detail}."


def _line_of(mark: object) -> str:
    line = getattr(mark, "line", None)
    return f", line {line + 1}" if isinstance(line, int) else ""


def load_yaml_text(text: str, source: str) -> object:
    """``yaml.safe_load`` whose errors are a :class:`UserError` in plain words."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(yaml_error_message(exc, source)) from exc




def render_data_yaml(names: list[str], splits: dict[str, SplitSpec],
                     root: Path | str | None, extra: dict | None = None,
                     comment: str = "") -> str:
    """A complete data yaml text; ``root`` None leaves ``path:`` out, so splits resolve
    against the yaml's own folder and the folder can be copied or moved (see module doc)."""
    lines = [f"# {line}" for line in comment.splitlines()]
    if root is not None and str(root) != "":
        lines.append(f"path: {json.dumps(str(root))}")
    for split in SPLITS:
        if split in splits and splits[split] not in (None, "", []):
            lines.append(f"{split}: {_dump_inline(splits[split])}")
    lines.append(f"nc: {len(names)}")
    lines.append("names:" if names else "names: {}")
    lines.extend(f"  {i}: {_dump_inline(name)}" for i, name in enumerate(names))
    text = "\n".join(lines) + "\n"
    if extra:
        text += yaml.safe_dump(extra, sort_keys=False, allow_unicode=True)
    return text


def _dump_inline(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(str(v), ensure_ascii=False) for v in value) + "]"
    text = str(value)
    plain = yaml.safe_dump(text, allow_unicode=True, width=10**9).removesuffix("\n")
    plain = plain.removesuffix("\n...")
    return json.dumps(text, ensure_ascii=False) if "\n" in plain else plain


def updated_data_yaml(yaml_path: Path, names: list[str] | None = None,
                      splits: dict[str, SplitSpec | None] | None = None,
                      drop_path: bool = False) -> str:
    """The text of ``yaml_path`` with new names and/or split entries, everything else kept.

    A split mapped to None is removed. ``path:`` stays as written, except that one naming
    the yaml's own folder is left out (it would tie a copy of the folder to the original);
    ``drop_path`` leaves it out whatever it says ("use the images beside this yaml").
    """
    data = read_yaml_mapping(yaml_path)
    header = _leading_comments(yaml_path)
    current_names = parse_names(data, yaml_path)
    new_names = current_names if names is None else list(names)
    root_path = None if drop_path else portable_root(data.get("path"), yaml_path)
    split_specs: dict[str, SplitSpec] = {}
    for split in SPLITS:
        value = split_spec(data, split)
        if splits is not None and split in splits:
            value = splits[split]
        if value not in (None, "", []):
            split_specs[split] = value
    managed = {"path", "train", "val", "valid", "test", "nc", "names"}
    extra = {k: v for k, v in data.items() if k not in managed}
    return render_data_yaml(new_names, split_specs, root_path, extra or None, header)


def portable_root(path_value: object, yaml_path: Path) -> str | None:
    """The ``path:`` to write back: None when it names the yaml's own folder (or nothing)."""
    if path_value in (None, ""):
        return None
    text = str(path_value)
    root = Path(text).expanduser()
    if not root.is_absolute():
        root = yaml_path.parent / root
    try:
        same = root.resolve() == yaml_path.parent.resolve()
    except OSError:
        same = False
    return None if same else text


# ----- a path: that leads away from the yaml's folder ---------------------------------------------
#: In the dataset's state folder: "keep the path in the yaml" was chosen for this folder.
KEPT_PATH_FILE = "kept-yaml-path.json"
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".heic",
                   ".heif", ".avif", ".dng", ".jp2", ".mpo")


@dataclass(frozen=True)
class PathConflict:
    """The yaml's ``path:`` names another folder, yet its own folder holds the splits too:
    typically a copied project whose yaml still points at the original. Edits would change
    the other folder's images, so the app asks which images are meant."""

    yaml_path: Path
    path_value: str  # as written in the yaml
    yaml_root: Path  # where it leads (what is opened and edited until the user chooses)
    local_root: Path  # the yaml's own folder

    def message(self) -> str:
        return (f"{self.yaml_path.name} says path: {self.path_value} (another folder), but "
                f"its own folder {self.local_root} holds the images too: a copied project? "
                f"Shown and edited now: the images in {self.yaml_root}.")


def find_path_conflict(data: dict, yaml_path: Path, root: Path,
                       state_dir: Path) -> PathConflict | None:
    """A :class:`PathConflict` when ``path:`` leads outside the yaml's folder while every
    relative split entry also exists beside the yaml; None otherwise or once the user chose
    to keep the path (:data:`KEPT_PATH_FILE`)."""
    value = data.get("path")
    if value in (None, ""):
        return None
    here, there = yaml_path.parent.resolve(), root.resolve()
    if there == here or here in there.parents:
        return None
    entries = [str(e) for split in SPLITS for e in _entries(data, split)]
    relative = [e for e in entries if not Path(e).expanduser().is_absolute()]
    if not relative or not all(_exists_beside(here, e) for e in relative):
        return None
    if _kept_path(state_dir) == (str(here), str(value)):
        return None
    return PathConflict(yaml_path, str(value), there, here)


def _entries(data: dict, split: str) -> list[object]:
    spec = split_spec(data, split)
    if spec in (None, "", []):
        return []
    return list(spec) if isinstance(spec, list) else [spec]


def _exists_beside(folder: Path, entry: str) -> bool:
    tried = split_candidates(entry, folder, folder)
    found = next((c for c in tried if c.exists()), tried[0])
    if found.is_dir():  # the folder itself ('.') counts only when it holds an image
        return any(name.lower().endswith(_IMAGE_SUFFIXES)
                   for _dir, _subdirs, names in os.walk(found) for name in names)
    return found.exists()


def _kept_path(state_dir: Path) -> tuple[str, str] | None:
    try:
        kept = json.loads((state_dir / KEPT_PATH_FILE).read_text(encoding="utf-8"))
        return str(kept["folder"]), str(kept["path"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _leading_comments(yaml_path: Path) -> str:
    out = []
    for line in yaml_path.read_text(encoding="utf-8-sig").splitlines():
        if not line.startswith("#"):
            break
        out.append(line[1:].removeprefix(" "))
    return "\n".join(out)


# ----- creating a project ------------------------------------------------------------------------
PROJECT_COMMENT = "Penguin Studio project made from a folder of images."


def new_project_yaml(folder: Path, yaml_name: str = "data.yaml") -> Path:
    """Where a new project's yaml goes; refuses a folder that has one (open it instead)."""
    yaml_path = folder / yaml_name
    if yaml_path.exists():
        raise DatasetError(f"{yaml_path} already exists: open it instead.")
    return yaml_path


def write_project_yaml(yaml_path: Path, names: list[str]) -> None:
    """A new project's yaml: every image in ``train`` (the folder itself), no ``path:``, so
    the folder stays portable (see the module doc)."""
    atomic_write_text(yaml_path, render_data_yaml(names=list(names), splits={"train": "."},
                                                  root=None, comment=PROJECT_COMMENT))


# ----- the copy ultralytics reads -----------------------------------------------------------------
#: In a copy's folder: the data yaml and the folder of per-split image lists.
COPY_NAME = "data.yaml"
COPY_LISTS = "splits"
#: Keys of the user's yaml a copy replaces (or, ``download``, must not act on).
_COPY_REPLACES = ("path", "train", "val", "valid", "test", "download", "nc", "names")


class SplitListing(Protocol):
    """What a copy needs of a :class:`~penguin_studio.core.dataset.project.Dataset`."""

    root: Path
    yaml_path: Path | None
    names: list[str]
    splits: dict[str, list[Path]]


def ultralytics_data_yaml(dataset: SplitListing, folder: Path, write: bool = True,
                          as_is: bool = True, stand_in: str | None = None) -> Path:
    """The data yaml to hand ultralytics: the user's own when ``as_is`` and ultralytics reads
    it as the app does (:func:`ultralytics_reads_same`), else an absolute copy in ``folder``
    (``data.yaml`` and ``splits/<split>.txt``) listing exactly the images the app found.

    ultralytics insists on ``train`` and ``val`` keys even to evaluate ``test``: a missing one
    lists the ``stand_in`` split's images. ``write`` False only names the copy.
    """
    assert dataset.yaml_path is not None
    data = read_yaml_mapping(dataset.yaml_path)  # parser errors in plain words
    if as_is and ultralytics_reads_same(data, dataset.yaml_path):
        return dataset.yaml_path
    target = folder / COPY_NAME
    if write:
        doc = {k: v for k, v in data.items() if k not in _COPY_REPLACES}
        doc.update({"path": str(dataset.root), "names": dict(enumerate(dataset.names)),
                    "nc": len(dataset.names)})
        for split, images in dataset.splits.items():
            if images:
                listing = folder / COPY_LISTS / f"{split}.txt"
                atomic_write_text(listing, "".join(f"{p}\n" for p in images))
                doc[split] = str(listing)
        for required in ("train", "val"):
            if stand_in in doc:
                doc.setdefault(required, doc[stand_in])
        atomic_write_text(target, f"# Absolute copy of {dataset.yaml_path} for ultralytics\n"
                          + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return target


def ultralytics_reads_same(data: dict, yaml_path: Path) -> bool:
    """Replays ``check_det_dataset``'s path rules: do train and val resolve to real paths?

    ultralytics resolves a relative ``path:`` against its own datasets folder, not the
    yaml's, and knows no ``valid`` key; the app does both (and Roboflow's ``../`` entries).
    """
    base = data.get("path")
    if base:
        root = Path(str(base)).expanduser()
        if not root.is_absolute():
            return False  # ultralytics would look in its datasets_dir
    else:
        root = yaml_path.parent
    for split in SPLITS:
        spec = data.get(split)
        if spec is None:
            if split == "val" and data.get("valid") is not None:
                return False  # ultralytics does not know 'valid'
            continue
        for entry in spec if isinstance(spec, list) else [spec]:
            text = str(entry)
            path = Path(text).expanduser()
            found = path if path.is_absolute() else (root / text).resolve()
            if not found.exists() and text.startswith("../"):
                found = (root / text[3:]).resolve()
            if not found.exists():
                return False
    return os.access(root, os.R_OK)
