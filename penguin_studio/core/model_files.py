"""What a file picked as a model is, said in one line before anything tries to load it.

Every place a model is chosen (Detect, Evaluate, Live, pre-labelling, the CLI) asks
:func:`describe_weights_problem` first. Without it a ``.txt`` reached ultralytics, which
accepted it and failed at the first prediction with a ``TypeError`` listing 23 export
formats, and a segmentation ``.pt`` failed deep inside a job. The check reads no weights
and imports neither torch nor ultralytics: a ``.pt`` is a zip written by torch whose
``data.pkl`` names the model's classes, and those names are read with :mod:`pickletools`
(which only parses, never runs, the pickle), so the picker can say what a file is as soon
as it is chosen.
"""

from __future__ import annotations

import pickletools
import zipfile
from pathlib import Path

import yaml

from penguin_studio.core import appdirs
from penguin_studio.core.dataset.datayaml import yaml_error_message

#: Named COCO models users ask for; any of these missing on disk means "needs a download".
NAMED_MODELS = (
    "yolo11n.pt", "yolo11s.pt", "yolo11m.pt", "yolo11l.pt", "yolo11x.pt",
    "yolov8n.pt", "yolov8s.pt", "yolov8m.pt", "yolov8l.pt", "yolov8x.pt",
    "yolo26n.pt", "yolo26s.pt", "yolo26m.pt",
)
#: What to pick instead, said at the end of every message.
PICK = "pick a trained .pt file, such as a training run's weights/best.pt"
#: Exported models ultralytics runs itself (files and ``*_model`` folders): not judged here.
EXPORT_SUFFIXES = (".onnx", ".torchscript", ".engine", ".tflite", ".mlmodel", ".pb",
                   ".mlpackage")
EXPORT_FOLDERS = ("_openvino_model", "_saved_model", "_ncnn_model", "_paddle_model",
                  "_mnn_model", "_imx_model", "_rknn_model", "_executorch_model")
#: ultralytics' model classes (``ultralytics.nn.tasks``) that predict plain boxes.
DETECTION_CLASSES = frozenset({"DetectionModel", "WorldModel", "YOLOEModel",
                               "RTDETRDetectionModel"})
OTHER_TASKS = {"SegmentationModel": "a segmentation model", "PoseModel": "a pose model",
               "ClassificationModel": "a classification model",
               "OBBModel": "an oriented-box (OBB) model",
               "YOLOESegModel": "a segmentation model"}
_KINDS = {
    ".txt": "a text file", ".csv": "a table (CSV)", ".json": "a JSON file",
    ".zip": "a zip archive", ".md": "a text file", ".log": "a log file",
    ".py": "a Python script", ".pdf": "a PDF document", ".html": "a web page",
    ".pth": "a PyTorch file of another program", ".pkl": "a pickle file",
    ".safetensors": "a weights file of another program", ".bin": "a binary file",
    ".h5": "a Keras file", ".ckpt": "a checkpoint of another program",
}
_IMAGES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".heic", ".gif")
_VIDEOS = (".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv")


def resolve_weights_path(text: str) -> Path:
    """The file ``text`` names: as given, or a bare name found in the app's weights folder."""
    candidate = Path(text).expanduser()
    if candidate.exists() or candidate.parent != Path("."):
        return candidate
    stored = appdirs.weights_dir() / candidate.name
    return stored if stored.exists() else candidate


def describe_weights_problem(path: str | Path, trained: bool = True) -> str | None:
    """Why ``path`` cannot be used as a model, in one line saying what to pick; None if it
    looks usable.

    ``trained`` (Detect, Evaluate, Live): an architecture yaml such as ``yolov8n.yaml``
    builds an untrained model, which is a problem there but a fine start for training.
    """
    text = str(path).strip()
    if not text:
        return "Pick a model first: a training run's weights/best.pt (Browse…)."
    file = resolve_weights_path(text)
    if not file.exists():
        return _missing(file, text, trained)
    if file.is_dir():
        if file.name.endswith(EXPORT_FOLDERS) or file.suffix == ".mlpackage":
            return None
        return f"{file.name} is a folder, not a model: {PICK} inside it."
    suffix = file.suffix.lower()
    if suffix == ".pt":
        return _checkpoint_problem(file)
    if suffix in (".yaml", ".yml"):
        return _yaml_problem(file, trained)
    if suffix in EXPORT_SUFFIXES:
        return None
    return f"{file.name} is {_kind(file)}, not a model: {PICK}."


def _missing(file: Path, text: str, trained: bool) -> str | None:
    if text.endswith((".yaml", ".yml")) and file.parent == Path("."):
        # an architecture name ultralytics builds without a file (yolov8n.yaml)
        return (f"{file.name} names an untrained architecture: {PICK}."
                if trained else None)
    if file.name in NAMED_MODELS and file.parent == Path("."):
        return (f"{file.name} is not on this computer. Download it once on a connected "
                f"machine (Train > Models, or 'penguin-studio models download {file.name}'), "
                f"copy the file into {appdirs.weights_dir()}, or pick a .pt file you have.")
    return f"Weights file not found: {text}. Pick a file that exists: {PICK[5:]}."


def _kind(file: Path) -> str:
    suffix = file.suffix.lower()
    if suffix in _IMAGES:
        return "an image"
    if suffix in _VIDEOS:
        return "a video"
    if suffix in _KINDS:
        return _KINDS[suffix]
    return f"a {suffix} file" if suffix else "a file without an extension"


def _yaml_problem(file: Path, trained: bool) -> str | None:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        return f"{yaml_error_message(exc, file.name)} (and a model is a .pt file: {PICK})."
    except (OSError, UnicodeDecodeError):
        return f"{file.name} cannot be read as text, so it is no model yaml: {PICK}."
    if isinstance(data, dict) and "backbone" in data:
        return f"{file.name} is an untrained model architecture: {PICK}." if trained else None
    if isinstance(data, dict) and ({"train", "val", "names"} & set(data)):
        return f"{file.name} is not a model but a data yaml (it describes a dataset): {PICK}."
    return f"{file.name} is a YAML file, not a model: {PICK}."


def _checkpoint_problem(file: Path) -> str | None:
    try:
        size = file.stat().st_size
        with open(file, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        return f"Cannot read {file.name}: {exc.strerror}."
    if size == 0:
        return f"{file.name} is empty (0 bytes), not a model: {PICK}."
    if head[:2] == b"\x80\x02":  # torch's legacy (pre-1.6) pickle: nothing to read cheaply
        return None
    if head != b"PK\x03\x04":
        return (f"{file.name} is not a PyTorch checkpoint (its content is not what torch "
                f"saves): {PICK}.")
    try:
        classes = _pickled_classes(file)
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, KeyError):
        return (f"{file.name} is damaged (an incomplete download or copy?): copy it again, "
                f"or {PICK}.")
    return _sam_problem(file, classes) or _task_problem(file, classes)


def _sam_problem(file: Path, classes: set[str]) -> str | None:
    """A Segment Anything checkpoint (SAM, SAM 2, FastSAM) named as such, with where it goes:
    users download ``mobile_sam.pt`` and pick it wherever a model is asked for."""
    from penguin_studio.core.smartbox.catalogue import sam_in, tasks_of

    if tasks_of(classes) and not file.name.lower().startswith("fastsam"):
        return None  # an ultralytics model: a SAM state dict names no model class
    try:
        model = sam_in(file.name, classes, pickled_strings(file))
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, KeyError):
        return None
    if model is None:
        return None
    return (f"{file.name} is a Segment Anything model ({model.label}) for Smart box, not a "
            f"YOLO detection model: import it in Models… → Smart box; here, {PICK}.")


def _task_problem(file: Path, classes: set[str]) -> str | None:
    tasks = {name.rsplit(".", 1)[-1] for name in classes
             if name.startswith("ultralytics.nn.tasks.")}
    if tasks & DETECTION_CLASSES:
        return None
    other = next((OTHER_TASKS[t] for t in sorted(tasks) if t in OTHER_TASKS), None)
    if other:
        return f"{file.name} is {other}, not a detection model (boxes): {PICK}."
    if tasks:  # an ultralytics model class this check does not know: let ultralytics judge
        return None
    if any(name.startswith("models.yolo.") for name in classes):
        return (f"{file.name} is a YOLOv5 checkpoint of the original yolov5 repository, which "
                f"ultralytics cannot load: {PICK} (or a 'yolov5nu' model).")
    return f"{file.name} is a PyTorch file but not a YOLO model: {PICK}."


_TEXT_OPS = frozenset({"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"})


def pickled_strings(file: Path) -> set[str]:
    """The text strings of the checkpoint's pickle (a state dict's parameter names), read
    without running it."""
    with zipfile.ZipFile(file) as archive:
        member = next((n for n in archive.namelist() if n.endswith("data.pkl")), None)
        if member is None:
            return set()
        data = archive.read(member)
    return {str(arg) for op, arg, _ in pickletools.genops(data) if op.name in _TEXT_OPS}


_STRING_OPS = frozenset({"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE",
                         "SHORT_BINSTRING", "BINSTRING", "STRING"})


def _pickled_classes(file: Path) -> set[str]:
    """``module.Class`` names the checkpoint's pickle refers to, read without running it."""
    with zipfile.ZipFile(file) as archive:
        member = next((n for n in archive.namelist() if n.endswith("data.pkl")), None)
        if member is None:
            return set()
        data = archive.read(member)
    found: set[str] = set()
    pushed: list[str | None] = []
    memo: dict[int, str | None] = {}
    for op, arg, _pos in pickletools.genops(data):
        name = op.name
        if name in _STRING_OPS:
            pushed.append(str(arg))
        elif name in ("BINGET", "LONG_BINGET", "GET"):
            pushed.append(memo.get(int(arg)))
        elif name == "MEMOIZE":
            memo[len(memo)] = pushed[-1] if pushed else None
        elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
            memo[int(arg)] = pushed[-1] if pushed else None
        elif name == "GLOBAL":
            found.add(str(arg).replace(" ", "."))
            pushed.append(None)
        elif name == "STACK_GLOBAL":
            module, qualname = (pushed[-2:] + [None, None])[:2] if len(pushed) >= 2 \
                else (None, None)
            if module and qualname:
                found.add(f"{module}.{qualname}")
            pushed.append(None)
        elif op.stack_after:
            pushed.append(None)
        del pushed[:-8]
    return found
