"""Model architectures without importing torch: ultralytics' model YAMLs read as files.

The wizard lists architectures, shows which layers a ``freeze=N`` freezes and picks the
default backbone size; all of that is in the YAMLs shipped inside the ultralytics package,
so it is read from there directly (importing ultralytics costs ~4 s because of torch).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from penguin_studio.core.errors import UserError
from penguin_studio.core.training.yaml_files import read_yaml_file

#: Architectures offered for training from scratch (``YOLO("yolov8n.yaml")``).
ARCHITECTURES = (
    "yolov8n.yaml", "yolov8s.yaml", "yolov8m.yaml", "yolov8l.yaml", "yolov8x.yaml",
    "yolo11n.yaml", "yolo11s.yaml", "yolo11m.yaml", "yolo11l.yaml", "yolo11x.yaml",
    "yolo26n.yaml", "yolo26s.yaml", "yolo26m.yaml",
)

#: family → folder of its YAML inside ``ultralytics/cfg/models``
_FAMILY_DIRS = {"yolov8": "v8", "yolo11": "11", "yolo26": "26"}
_NAME_RE = re.compile(r"^(yolov8|yolo11|yolo26)([nsmlx])(?:\.(?:ya?ml|pt))?$")

#: Backbone length per family, also readable from the YAML (``len(backbone)``).
BACKBONE_LAYERS = {"yolov8": 10, "yolo11": 11, "yolo26": 11}


@dataclass(frozen=True)
class Layer:
    """One row of a model YAML: its index, module type and whether it is in the backbone."""

    index: int
    module: str
    backbone: bool

    def label(self) -> str:
        part = "backbone" if self.backbone else "head"
        return f"{self.index:>2}  {self.module}  ({part})"

    def plain(self) -> str:
        """What this layer does, in words (``C3k2`` or ``SPPF`` mean nothing to most users)."""
        if self.module == "Conv" and self.backbone:
            return ("first look at the pixels: edges and colours" if self.index < 2
                    else "halves the size, so later layers see more of the image at once")
        if self.module == "Conv":
            return "shrinks fine features to join them with coarser ones"
        return MODULE_WORDS.get(self.module, "")


#: Plain descriptions of the module types in the YOLOv8 / YOLO11 / YOLO26 YAMLs.
_FEATURE_BLOCK = "combines simple patterns into richer ones (textures, shapes, parts)"
MODULE_WORDS = {
    "C2f": _FEATURE_BLOCK, "C3k2": _FEATURE_BLOCK, "C3": _FEATURE_BLOCK, "C3k": _FEATURE_BLOCK,
    "C2": _FEATURE_BLOCK, "A2C2f": _FEATURE_BLOCK, "C3x": _FEATURE_BLOCK,
    "SPPF": "pools at several sizes so each spot also sees its surroundings",
    "SPP": "pools at several sizes so each spot also sees its surroundings",
    "C2PSA": "attention: weighs the parts of the image that matter most",
    "PSA": "attention: weighs the parts of the image that matter most",
    "nn.Upsample": "enlarges coarse features to join them with finer ones",
    "Upsample": "enlarges coarse features to join them with finer ones",
    "Concat": "joins the features of two earlier layers",
    "Detect": "the output: boxes and classes, at three object sizes",
}

#: What the two parts of a detector learn, for the frozen-layers list.
BACKBONE_WORDS = ("turns pixels into features: edges and colours first, then textures, "
                  "shapes and object parts. A pretrained backbone already learned these "
                  "from COCO's 118,000 photos; freezing it keeps that knowledge and trains "
                  "faster on few images.")
HEAD_WORDS = ("combines the features at three sizes and predicts the boxes and classes: "
              "it always learns your classes.")


def describe_parts(arch: dict[str, Any], frozen: int) -> str:
    """One paragraph: which layers are the backbone and the head, what each learns, and
    how many of them are frozen."""
    n_backbone = backbone_size(arch)
    n_all = len(layers(arch))
    text = (f"Backbone, layers 0–{n_backbone - 1}: {BACKBONE_WORDS}\n"
            f"Head, layers {n_backbone}–{n_all - 1}: {HEAD_WORDS}")
    if frozen:
        text += f"\nFrozen here: layers 0–{frozen - 1} (they keep their weights)."
    return text


def ultralytics_dir() -> Path:
    """The installed ultralytics package folder, found without importing it."""
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("ultralytics is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def family(name: str) -> str | None:
    """``yolov8``/``yolo11``/``yolo26`` for names like ``yolo11n.pt`` or ``yolov8s.yaml``."""
    match = _NAME_RE.match(Path(name).name.lower())
    return match.group(1) if match else None


def architecture_yaml(name: str) -> Path | None:
    """The ultralytics YAML that builds ``name`` (scale letter removed), if it is one we know."""
    fam = family(name)
    if fam is None:
        return None
    path = ultralytics_dir() / "cfg" / "models" / _FAMILY_DIRS[fam] / f"{fam}.yaml"
    return path if path.is_file() else None


@lru_cache(maxsize=16)
def _load_yaml(path: str) -> dict[str, Any]:
    """An architecture YAML (ultralytics' own or the user's); a broken one is one UserError."""
    data = read_yaml_file(Path(path), "Model YAML not found", "Cannot read model YAML")
    if not (isinstance(data, dict) and isinstance(data.get("backbone"), list)
            and isinstance(data.get("head"), list)):
        raise UserError(f"{Path(path).name} is not a model architecture: it has no backbone "
                        f"and head layer lists (pick one such as yolov8n.yaml).")
    return data


def model_yaml(name: str) -> dict[str, Any] | None:
    """The architecture dict (``backbone``/``head`` lists) for a named model or YAML file;
    None for a name that is neither. A YAML that cannot be read or is no architecture (a
    data yaml, say) is one :class:`UserError` in plain words."""
    path = architecture_yaml(name)
    if path is None and str(name).endswith((".yaml", ".yml")) and Path(name).is_file():
        path = Path(name)
    return _load_yaml(str(path)) if path is not None else None


def layers(arch: dict[str, Any]) -> list[Layer]:
    """Every layer of an architecture dict, numbered as ultralytics numbers ``model.N``."""
    backbone = list(arch.get("backbone") or [])
    head = list(arch.get("head") or [])
    rows = [(row, True) for row in backbone] + [(row, False) for row in head]
    return [Layer(i, str(row[2]) if len(row) > 2 else "?", is_bb)
            for i, (row, is_bb) in enumerate(rows)]


def backbone_size(arch: dict[str, Any]) -> int:
    """How many leading layers form the backbone (what feature extraction freezes)."""
    return len(arch.get("backbone") or [])


def default_freeze(name: str) -> int | None:
    """Backbone size for a named model/YAML (YOLOv8: 10, YOLO11/26: 11), None if unknown."""
    try:
        arch = model_yaml(name)
    except UserError:  # an unreadable YAML: whoever reads it for its layers says why
        arch = None
    if arch is not None:
        return backbone_size(arch)
    fam = family(name)
    return BACKBONE_LAYERS.get(fam) if fam else None
