"""The one door to ultralytics: configure it for offline use, then import it.

Ultralytics reaches for the network in several places (connectivity probe at import, version
check on every ``train()``, font download on every train/val, analytics, pip auto-install,
named weights). Users of this app are often offline, behind a firewall or in the field, so
everything must be switched off *before the first* ``import ultralytics``. Every code path that
needs the engine calls :func:`ultralytics_module` or :func:`load_model` from here; nothing else
imports ultralytics directly.

Torch and ultralytics are slow to import (about 4 s together), so this module imports them
lazily: importing ``penguin_studio.core.engine`` itself costs nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

from penguin_studio.core import appdirs
from penguin_studio.core.errors import NotACheckpointError, UserError, unreadable_reason
from penguin_studio.core.model_files import (  # noqa: F401 - NAMED_MODELS: public here too
    NAMED_MODELS,
    describe_weights_problem,
    resolve_weights_path,
)

#: ultralytics looks for these fonts on every train/val and downloads them when missing.
_FONTS = ("Arial.ttf", "Arial.Unicode.ttf")


_lock = threading.Lock()
_configured = False


def ultralytics_config_dir() -> Path:
    """The folder handed to ultralytics as ``YOLO_CONFIG_DIR`` (inside our own config)."""
    return appdirs.config_dir() / "ultralytics"


def configure() -> None:
    """Set the environment so that ultralytics never waits on the network.

    Safe to call many times and from any thread; only the first call does work. Must run
    before ultralytics is imported anywhere in the process.
    """
    global _configured
    with _lock:
        if _configured:
            return
        cfg = ultralytics_config_dir()
        os.environ["YOLO_OFFLINE"] = "1"
        os.environ["YOLO_AUTOINSTALL"] = "0"
        os.environ["YOLO_CONFIG_DIR"] = str(cfg)
        os.environ.setdefault("YOLO_VERBOSE", "True")
        _install_fonts(cfg / "Ultralytics")
        _block_openvino_telemetry()
        _configured = True


def _block_openvino_telemetry() -> None:
    """OpenVINO's model converter sends usage events to Google Analytics unless the user ran
    its opt-out script; with ``openvino_telemetry`` unimportable it uses its built-in no-op
    stub instead, so an export to OpenVINO makes no network call."""
    import sys

    if "openvino_telemetry" not in sys.modules:
        sys.modules["openvino_telemetry"] = None  # type: ignore[assignment]


def _install_fonts(folder: Path) -> None:
    """Put the fonts ultralytics plots with where it looks, so it never downloads them."""
    folder.mkdir(parents=True, exist_ok=True)
    missing = [name for name in _FONTS if not (folder / name).exists()]
    if not missing:
        return
    import matplotlib

    source = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    for name in missing:
        tmp = folder / f".{name}.tmp"
        shutil.copyfile(source, tmp)
        os.replace(tmp, folder / name)


def ultralytics_module() -> ModuleType:
    """Import ultralytics after :func:`configure`, and finish its offline settings."""
    configure()
    import ultralytics
    from ultralytics.utils import SETTINGS

    wanted = {"sync": False, "hub": False, "clearml": False, "comet": False, "dvc": False,
              "mlflow": False, "neptune": False, "raytune": False, "tensorboard": False,
              "wandb": False}
    wanted.update(
        weights_dir=str(appdirs.weights_dir()),
        runs_dir=str(appdirs.data_dir() / "runs"),
        datasets_dir=str(appdirs.data_dir() / "datasets"),
    )
    present = {k: v for k, v in wanted.items() if k in SETTINGS and SETTINGS[k] != v}
    if present:
        SETTINGS.update(present)
    _undo_cv2_qt_plugin_path()
    _keep_gc_state_when_loading_caches()
    return ultralytics


def _keep_gc_state_when_loading_caches() -> None:
    """ultralytics' ``load_dataset_cache_file`` switches the garbage collector off and then
    *on* again, whatever it was. The app keeps automatic collection off (it collects on the
    GUI thread: penguin_studio/ui/gui_gc.py), so every validation would turn it back on in a
    worker thread. The wrapper restores the state the collector had before."""
    import gc
    import sys

    from ultralytics.data import dataset, utils

    original = utils.load_dataset_cache_file
    if getattr(original, "keeps_gc_state", False):
        return

    def load_dataset_cache_file(path):  # same name and signature as ultralytics'
        was_enabled = gc.isenabled()
        try:
            return original(path)
        finally:
            if not was_enabled:
                gc.disable()

    load_dataset_cache_file.keeps_gc_state = True  # type: ignore[attr-defined]
    for module in (utils, dataset, sys.modules.get("ultralytics.data.build")):
        if module is not None and getattr(module, "load_dataset_cache_file", None) is original:
            module.load_dataset_cache_file = load_dataset_cache_file


def _undo_cv2_qt_plugin_path() -> None:
    """opencv-python points Qt at its own Qt5 plugins on import; Qt 6 must not use them."""
    path = os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "")
    if "cv2" in path:
        os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)


def use_all_cores() -> None:
    """Give torch every core: ultralytics leaves one idle (``cores - 1``, and 1 of 2 here)."""
    import torch

    torch.set_num_threads(max(1, os.cpu_count() or 1))


def check_weights_file(path: str | Path) -> Path:
    """Resolve a weights argument to a local file, or fail fast with what to do.

    A bare name like ``yolo11n.pt`` is looked up in the app's weights folder; it is never
    downloaded here (that would hang for minutes offline). Model YAMLs (``yolov8n.yaml``)
    are returned unchanged since ultralytics builds them without a download.
    """
    text = str(path).strip()
    problem = describe_weights_problem(text, trained=False)
    if problem is not None:
        raise NotACheckpointError(problem)
    candidate = resolve_weights_path(text)
    return candidate.resolve() if candidate.exists() else candidate


def check_trained_weights(path: str | Path) -> Path:
    """:func:`check_weights_file` for what uses a model's learned boxes (detect, evaluate,
    count, export, propose): an architecture YAML builds an untrained model there, and its
    empty results would pass for a model that learned nothing."""
    problem = describe_weights_problem(str(path).strip(), trained=True)
    if problem is not None:
        raise NotACheckpointError(problem)
    return check_weights_file(path)


def load_model(weights: str | Path, task: str = "detect") -> Any:
    """Load a YOLO model from a checkpoint or model YAML, with a clear error for bad files."""
    path = check_weights_file(weights)
    if path.suffix == ".pt":
        check_checkpoint(path)
    elif path.suffix in (".yaml", ".yml") and path.is_file():
        _check_model_yaml(path)
    ul = ultralytics_module()
    try:
        return ul.YOLO(str(path), task=task)
    except UserError:
        raise
    except Exception as exc:  # ultralytics raises many kinds for bad files
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise NotACheckpointError(f"Cannot load {path.name} as a YOLO model ({first}): pick "
                                  f"a trained .pt file, such as a training run's "
                                  f"weights/best.pt.") from exc


def load_exported(path: str | Path, task: str = "detect") -> Any:
    """Load a model exported by ultralytics (``.onnx`` file, ``*_openvino_model`` folder).

    ultralytics runs it through its AutoBackend, with the same pre- and post-processing as
    the ``.pt``; loading is lazy there, so a damaged file only fails on the first predict.
    """
    ul = ultralytics_module()
    try:
        return ul.YOLO(str(path), task=task)
    except Exception as exc:  # ultralytics raises many kinds for bad files
        raise NotACheckpointError(f"Cannot load the exported model {Path(path).name}: "
                                  f"{exc}") from exc


def pin_openvino_full_precision(autobackend: Any, folder: str | Path) -> None:
    """Recompile the OpenVINO model (exported to ``folder``) of a predictor in float32.

    OpenVINO's CPU plugin runs in bfloat16 by default on CPUs that have it (AVX512-BF16, AMX:
    recent Xeons and EPYCs), which moves scores by a few hundredths and changes which boxes
    survive NMS; ultralytics pins f32 only on Windows. Called from ``on_predict_start`` with
    the predictor's AutoBackend (each new predictor builds its own); raises when ultralytics'
    internals are not as expected, so the caller falls back to torch rather than run
    approximately.
    """
    import functools

    import openvino as ov

    backend = getattr(autobackend, "backend", None)
    compiled = getattr(backend, "ov_compiled_model", None)
    if compiled is None or not hasattr(backend, "compile_model"):
        raise RuntimeError("this ultralytics version's OpenVINO backend cannot be pinned to f32")
    if list(compiled.get_property("EXECUTION_DEVICES")) != ["CPU"]:
        return  # a GPU/NPU picked by AUTO: its precision is OpenVINO's business
    if str(compiled.get_property("INFERENCE_PRECISION_HINT")) == str(ov.Type.f32):
        return
    xml = next(Path(folder).glob("*.xml"))
    core = ov.Core()
    config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": ov.Type.f32}
    backend.compile_model = functools.partial(core.compile_model, device_name="CPU",
                                              config=config)
    backend.ov_compiled_model = backend.compile_model(
        core.read_model(str(xml), str(xml.with_suffix(".bin"))))


def _check_model_yaml(path: Path) -> None:
    """A data yaml given where a model is expected is a common slip: say so plainly."""
    import yaml

    from penguin_studio.core.dataset.datayaml import yaml_error_message

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UserError(yaml_error_message(exc, path.name)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Cannot read {path.name}: {unreadable_reason(exc)}. Pick a .pt "
                        f"checkpoint or a model architecture such as yolov8n.yaml.") from exc
    if not isinstance(data, dict) or "backbone" not in data:
        raise NotACheckpointError(
            f"{path.name} is not a model: pick a .pt checkpoint (a run's weights/best.pt) "
            f"or a model architecture such as yolov8n.yaml.")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_NO_VALID = re.compile(r"No valid images found in (?P<cache>\S+?)\.?\n(?P<issues>.*)", re.S)
_CORRUPT = re.compile(r"(?P<file>[^\s:][^:\n]*): ignoring corrupt image/label: (?P<why>[^\n]*)")
_NO_LABELS = re.compile(r"No labels found in (?P<cache>\S+?)\.? See ")


def explain_ultralytics_error(exc: BaseException) -> UserError | None:
    """A :class:`UserError` for what ultralytics raises on a dataset the user can fix, deep
    in building its dataloader (a RuntimeError/ValueError with a traceback); None for the
    rest. The split is named from the label cache ultralytics names (``labels/val.cache``)."""
    text = _ANSI.sub("", str(exc))
    found = _NO_VALID.search(text)
    if found:
        split = _split_of_cache(found["cache"])
        first = _CORRUPT.search(found["issues"])
        example = f" (first: {Path(first['file']).name}: {first['why'].strip()})" if first \
            else ""
        return UserError(f"No image of the {split} split can be used: ultralytics skipped "
                         f"every one as a corrupt image or label{example}. Run 'penguin-studio "
                         f"doctor' on the dataset (or the Dataset panel's Doctor) to see them "
                         f"all.")
    found = _NO_LABELS.search(text)
    if found:
        split = _split_of_cache(found["cache"])
        return UserError(f"No image of the {split} split has a label file: ultralytics trains "
                         f"only on labelled images. Label some in the Dataset panel (or "
                         f"propose boxes with 'penguin-studio prelabel'), then train.")
    return None


def _split_of_cache(cache: str) -> str:
    """``labels/val.cache`` → ``val``; Roboflow's ``valid/labels.cache`` → ``valid``."""
    path = Path(cache)
    return path.parent.name if path.stem == "labels" else path.stem


def check_checkpoint(path: Path) -> None:
    """Refuse files that are not torch checkpoints before torch tries to unpickle them."""
    import zipfile

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UserError(f"Cannot read {path}: {exc.strerror}") from exc
    if size == 0:
        raise NotACheckpointError(f"{path.name} is empty (0 bytes): it is not a checkpoint.")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            head = fh.read(2)
        if head != b"\x80\x02":  # legacy (pre-1.6) torch pickle format
            raise NotACheckpointError(
                f"{path.name} is not a PyTorch checkpoint (.pt files are zip archives "
                f"saved by torch). Pick a best.pt or last.pt from a training run."
            )
