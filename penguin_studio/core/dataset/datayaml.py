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
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from penguin_studio.core.errors import DatasetError, UserError

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
        raise DatasetError(f"Cannot read {yaml_path}: {exc}") from exc
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
        value = data.get(split, data.get("valid") if split == "val" else None)
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
    spec = data.get(split, data.get("valid") if split == "val" else None)
    if spec in (None, "", []):
        return []
    return list(spec) if isinstance(spec, list) else [spec]


def _exists_beside(folder: Path, entry: str) -> bool:
    found = folder / entry
    if not found.exists() and entry.startswith("../"):
        found = folder / entry[3:]
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
