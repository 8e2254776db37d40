"""Read and write Ultralytics data yamls: names as an id mapping, absolute ``path:``.

Ultralytics resolves a relative ``path:`` against its own ``datasets_dir`` setting, not the
yaml's folder, so every yaml written here carries an absolute ``path:`` (JSON-quoted, which is
valid YAML for any file name). Updates keep every key we do not manage (``download``,
``kpt_shape``, Roboflow's ``roboflow:`` block…) in its original order, and the comment lines
at the top of the file; comments elsewhere are lost, a limitation of PyYAML.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from penguin_studio.core.errors import DatasetError

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
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise DatasetError(f"{yaml_path.name} is not valid YAML{where}: "
                           f"{getattr(exc, 'problem', None) or exc}") from exc
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




def render_data_yaml(names: list[str], splits: dict[str, SplitSpec], root: Path | None,
                     extra: dict | None = None, comment: str = "") -> str:
    """A complete data yaml text; ``root`` None leaves ``path:`` out (a portable zip)."""
    lines = [f"# {line}" for line in comment.splitlines()]
    if root is not None:
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
                      splits: dict[str, SplitSpec | None] | None = None) -> str:
    """The text of ``yaml_path`` with new names and/or split entries, everything else kept.

    A split mapped to None is removed. ``path:`` is made absolute (see module doc).
    """
    data = read_yaml_mapping(yaml_path)
    header = _leading_comments(yaml_path)
    current_names = parse_names(data, yaml_path)
    new_names = current_names if names is None else list(names)
    root = data.get("path")
    root_path = Path(str(root)).expanduser() if root else yaml_path.parent
    if not root_path.is_absolute():
        root_path = (yaml_path.parent / root_path).resolve()
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


def _leading_comments(yaml_path: Path) -> str:
    out = []
    for line in yaml_path.read_text(encoding="utf-8-sig").splitlines():
        if not line.startswith("#"):
            break
        out.append(line[1:].removeprefix(" "))
    return "\n".join(out)
