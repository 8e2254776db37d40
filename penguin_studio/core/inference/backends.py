"""Run a ``.pt`` through torch, or its export through OpenVINO or ONNX Runtime.

Measured on the 2-core development CPU (issue 11), OpenVINO ran a yolov5nu model 2.3-2.5x
faster than torch and ONNX Runtime about 1.5x. The app therefore runs every model through
one of three backends:

* ``torch``: the checkpoint itself (``YOLO(best.pt)``); also the only one for CUDA, for
  test-time augmentation and for end-to-end (YOLO26) heads.
* ``openvino`` / ``onnxruntime``: ultralytics' own export of the checkpoint, run by
  ultralytics' AutoBackend with the very pre- and post-processing of the ``.pt``. The export
  is dynamic-shaped without NMS in the graph, so the letterbox is the ``.pt``'s and the raw
  candidates (``conf=0.001, iou=1.0``) are the same boxes up to float rounding; the app's
  own filter then applies the sliders exactly as for torch.

Exports are made on first use (in the caller's worker thread, with progress) and cached in
the app's cache folder, keyed by the weights' *content* hash, the image size, the backend and
the library versions; a changed ``.pt`` gets a new export, and nothing is ever written beside
the user's weights. A cached export that fails to load is deleted and rebuilt once (said
once); a backend that still fails falls back to torch with one status line.

``auto`` ("Automatic (fastest measured here)") times the available backends once per
(model, image size, machine) on a few frames and remembers the winner in the cache folder.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from penguin_studio.core import appdirs
from penguin_studio.core.jobs import JobContext

AUTO, TORCH, OPENVINO, ONNXRUNTIME = "auto", "torch", "openvino", "onnxruntime"
BACKENDS = (AUTO, TORCH, OPENVINO, ONNXRUNTIME)
LABELS = {
    AUTO: "Automatic (fastest measured here)",
    TORCH: "PyTorch",
    OPENVINO: "OpenVINO",
    ONNXRUNTIME: "ONNX Runtime",
}
#: ultralytics' export format and the Python module each exported backend needs.
_FORMAT = {OPENVINO: "openvino", ONNXRUNTIME: "onnx"}
_MODULE = {OPENVINO: "openvino", ONNXRUNTIME: "onnxruntime"}
_PACKAGE = {OPENVINO: "openvino", ONNXRUNTIME: "onnxruntime"}

#: Frames timed per candidate by ``auto`` (after two that warm it up).
MEASURE_FRAMES = 5
#: The raw-candidate prediction (the same as the Detect panel's and Live's caches).
RAW_KWARGS = {"conf": 0.001, "iou": 1.0, "max_det": 10000, "verbose": False}

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def default_backend() -> str:
    """Automatic, unless ``PENGUIN_STUDIO_BACKEND`` names another (tests pin torch there)."""
    value = os.environ.get("PENGUIN_STUDIO_BACKEND", AUTO)
    return value if value in BACKENDS else AUTO


# ----- what is available -------------------------------------------------------------------
def unavailable_reason(backend: str) -> str:
    """Why ``backend`` cannot run on this computer ("" when it can). Cheap: no import."""
    if backend in (AUTO, TORCH):
        return ""
    if importlib.util.find_spec(_MODULE[backend]) is None:
        return (f"{LABELS[backend]} is not installed for this platform "
                f"({platform.system()} {platform.machine()}, Python "
                f"{platform.python_version()}): models run on PyTorch.")
    return ""


def available_backends() -> list[str]:
    """The concrete backends that can run here, torch first."""
    return [b for b in (TORCH, OPENVINO, ONNXRUNTIME) if not unavailable_reason(b)]


def settings_explanation() -> str:
    """One paragraph for the Settings page: what Automatic does here, and what is missing."""
    missing = [unavailable_reason(b) for b in (OPENVINO, ONNXRUNTIME)]
    missing = [m for m in missing if m]
    text = ("Automatic times each backend once per model and image size on this computer "
            "and keeps the fastest. OpenVINO and ONNX Runtime run an export of the model, made "
            "on first use and kept in the cache folder; GPUs always use PyTorch.")
    return " ".join([text, *missing])


# ----- cache keys ----------------------------------------------------------------------------
_digests: dict[tuple[str, int, int], str] = {}


def weights_digest(path: str | Path) -> str:
    """SHA-256 of the weights' bytes (remembered per path, size and mtime)."""
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        _digests[key] = digest.hexdigest()
    return _digests[key]


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def library_versions(backend: str) -> str:
    """The versions an export depends on (a new ultralytics or runtime makes a new export)."""
    parts = [f"ultralytics-{_version('ultralytics')}", f"torch-{_version('torch')}"]
    if backend in _PACKAGE:
        parts.append(f"{_PACKAGE[backend]}-{_version(_PACKAGE[backend])}")
    return "_".join(parts)


def exports_root() -> Path:
    path = appdirs.cache_dir() / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_folder(weights: str | Path, imgsz: int, backend: str) -> Path:
    """Where the export of ``weights`` at ``imgsz`` for ``backend`` is cached."""
    versions = hashlib.sha256(library_versions(backend).encode()).hexdigest()[:10]
    name = f"{Path(weights).stem}-{weights_digest(weights)[:16]}-{imgsz}-{backend}-{versions}"
    return exports_root() / name


def _model_path(folder: Path, backend: str) -> Path:
    return folder / ("model_openvino_model" if backend == OPENVINO else "model.onnx")


def cached_export(weights: str | Path, imgsz: int, backend: str) -> Path | None:
    """The cached, complete export, or None."""
    folder = export_folder(weights, imgsz, backend)
    done = folder / "export.json"
    return _model_path(folder, backend) if done.is_file() else None


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


# ----- exporting -----------------------------------------------------------------------------
@dataclass
class ExportResult:
    path: Path
    seconds: float  # 0.0 when it came from the cache
    cached: bool


def ensure_export(weights: str | Path, imgsz: int, backend: str,
                  ctx: JobContext | None = None) -> ExportResult:
    """The export of ``weights`` for ``backend``: from the cache, or made now and cached.

    The checkpoint is copied into a private folder first, since ultralytics writes its export
    beside the ``.pt``; the finished export is moved into place in one rename, so a crash
    half way leaves no half export behind.
    """
    ctx = ctx or JobContext()
    folder = export_folder(weights, imgsz, backend)
    with _lock_for(str(folder)):
        hit = cached_export(weights, imgsz, backend)
        if hit is not None:
            return ExportResult(hit, 0.0, True)
        ctx.step(0, 0, f"Preparing the {LABELS[backend]} model (first use only, "
                       "it takes a few seconds)…")
        t0 = time.perf_counter()
        _export_into(Path(weights), imgsz, backend, folder)
        return ExportResult(_model_path(folder, backend), time.perf_counter() - t0, False)


def _export_into(weights: Path, imgsz: int, backend: str, folder: Path) -> None:
    from penguin_studio.core import engine
    from penguin_studio.core.errors import UserError

    work = Path(tempfile.mkdtemp(prefix=".export-", dir=exports_root()))
    try:
        copy = work / "model.pt"
        shutil.copyfile(weights, copy)
        model = engine.load_model(copy)
        try:
            out = Path(model.export(format=_FORMAT[backend], imgsz=imgsz, dynamic=True,
                                    half=False, int8=False, nms=False, simplify=True,
                                    device="cpu", verbose=False))
        except Exception as exc:  # the exporters raise many kinds; say which one failed
            raise UserError(f"{LABELS[backend]} export of {weights.name} failed: {exc}") from exc
        staged = work / "final"
        staged.mkdir()
        os.replace(out, _model_path(staged, backend))
        meta = {"weights": str(weights), "sha256": weights_digest(weights), "imgsz": imgsz,
                "backend": backend, "versions": library_versions(backend)}
        (staged / "export.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(staged, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def discard_export(weights: str | Path, imgsz: int, backend: str) -> None:
    shutil.rmtree(export_folder(weights, imgsz, backend), ignore_errors=True)


# ----- loading with fallback -----------------------------------------------------------------
@dataclass
class LoadedBackend:
    """A model ready to ``predict``, the backend it really runs on, and what to tell people."""

    backend: str
    model: Any  # an ultralytics YOLO object (the .pt, or its export)
    note: str = ""  # one status line when something went other than asked ("" otherwise)
    export_s: float = 0.0


def probe(model: Any, imgsz: int) -> None:
    """One prediction on a blank frame: exported models load lazily, and a damaged file
    must fail here, in the worker, rather than on the first real frame."""
    model.predict(np.zeros((imgsz, imgsz, 3), dtype=np.uint8), imgsz=imgsz, **RAW_KWARGS)


def load_backend(weights: str | Path, imgsz: int, backend: str, torch_model: Any,
                 ctx: JobContext | None = None) -> LoadedBackend:
    """Load ``weights`` for a concrete ``backend``, falling back to torch when it fails.

    ``torch_model`` is the already loaded ``.pt`` (returned as is for torch and fallbacks).
    """
    if backend == TORCH or Path(weights).suffix != ".pt":
        return LoadedBackend(TORCH, torch_model)
    reason = _cannot_export(backend, torch_model)
    if reason:
        return LoadedBackend(TORCH, torch_model, reason)
    note = ""
    for attempt in range(2):
        try:
            result = ensure_export(weights, imgsz, backend, ctx)
            model = _load_export(result.path)
            if backend == OPENVINO:
                _pin_full_precision(model, result.path)
            probe(model, imgsz)
            return LoadedBackend(backend, model, note, result.seconds)
        except Exception as exc:  # noqa: BLE001 - any failure means "use torch"
            from penguin_studio.core.errors import Cancelled

            if isinstance(exc, Cancelled):
                raise
            if attempt == 0 and result_was_cached(weights, imgsz, backend):
                discard_export(weights, imgsz, backend)
                note = (f"The cached {LABELS[backend]} model was damaged; it was deleted "
                        "and rebuilt.")
                continue
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return LoadedBackend(TORCH, torch_model,
                                 f"{LABELS[backend]} could not be used ({detail[:160]}); "
                                 "running on PyTorch.")
    raise AssertionError("unreachable")


def _pin_full_precision(model: Any, folder: Path) -> None:
    """float32, not the bfloat16 OpenVINO picks on CPUs that have it: same boxes as torch."""
    from penguin_studio.core import engine
    from penguin_studio.core.inference.backend_threads import register_openvino

    def pin(predictor: Any) -> None:  # once per predictor: three property reads a frame
        if getattr(predictor, "_penguin_pinned", False):
            return
        engine.pin_openvino_full_precision(predictor.model, folder)
        predictor._penguin_pinned = True

    model.add_callback("on_predict_start", pin)
    register_openvino(model, folder)  # after the pin: its thread counts are float32 too


def result_was_cached(weights: str | Path, imgsz: int, backend: str) -> bool:
    return cached_export(weights, imgsz, backend) is not None


def _load_export(path: Path) -> Any:
    from penguin_studio.core import engine

    return engine.load_exported(path)


def _cannot_export(backend: str, torch_model: Any) -> str:
    """Why ``backend`` cannot run this model (""), checked before any export is made."""
    missing = unavailable_reason(backend)
    if missing:
        return missing
    inner = getattr(torch_model, "model", None)
    if bool(getattr(inner, "end2end", False)):
        return (f"End-to-end models (YOLO26) run on PyTorch here, not {LABELS[backend]}.")
    if getattr(torch_model, "task", "detect") != "detect":
        return f"Only detection models run on {LABELS[backend]}; using PyTorch."
    if _on_gpu():
        return f"A GPU is in use: it runs on PyTorch, not {LABELS[backend]}."
    return ""


def _on_gpu() -> bool:
    import torch

    return bool(torch.cuda.is_available())


# ----- Automatic -----------------------------------------------------------------------------
def machine_fingerprint() -> str:
    """What makes timings comparable: the CPU model, its cores, the OS and the libraries."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    text = "|".join([platform.node(), platform.system(), platform.machine(), cpu,
                     str(os.cpu_count()), library_versions(OPENVINO),
                     _version("onnxruntime")])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _choices_file() -> Path:
    return appdirs.cache_dir() / "backend-choice.json"


def _choice_key(weights: str | Path, imgsz: int) -> str:
    return f"{weights_digest(weights)[:16]}-{imgsz}-{machine_fingerprint()}"


def remembered_choice(weights: str | Path, imgsz: int) -> dict[str, Any] | None:
    try:
        table = json.loads(_choices_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entry = table.get(_choice_key(weights, imgsz)) if isinstance(table, dict) else None
    return entry if isinstance(entry, dict) and entry.get("backend") in BACKENDS else None


def _remember_choice(weights: str | Path, imgsz: int, entry: dict[str, Any]) -> None:
    path = _choices_file()
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
        table = table if isinstance(table, dict) else {}
    except (OSError, ValueError):
        table = {}
    table[_choice_key(weights, imgsz)] = entry
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(table, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def time_model(model: Any, frames: list[np.ndarray], imgsz: int, backend: str = TORCH) -> float:
    """Median ms per frame of a raw-candidate predict, after two warm-up frames.

    Every candidate runs on one inference thread: the same count for all, and the one that
    stays fast when other work keeps the cores busy (two torch threads then took 2-4 s a
    frame on the 2-core development CPU, which made measuring take half a minute)."""
    from penguin_studio.core.inference.backend_threads import set_threads

    set_threads(model, backend, 1)
    for frame in frames[:2]:
        model.predict(frame, imgsz=imgsz, **RAW_KWARGS)
    times = []
    for frame in frames[:MEASURE_FRAMES] if len(frames) >= MEASURE_FRAMES else \
            (frames * MEASURE_FRAMES)[:MEASURE_FRAMES]:
        t0 = time.perf_counter()
        model.predict(frame, imgsz=imgsz, **RAW_KWARGS)
        times.append((time.perf_counter() - t0) * 1000.0)
    return float(statistics.median(times))


def default_frames(imgsz: int) -> list[np.ndarray]:
    """ultralytics' two bundled photos (on disk with the wheel), else a grey frame."""
    from penguin_studio.core import engine
    from penguin_studio.core.dataset.images import ImageReadError, load_image_bgr

    engine.ultralytics_module()
    from ultralytics.utils import ASSETS

    frames = []
    for name in ("bus.jpg", "zidane.jpg"):
        try:
            frames.append(load_image_bgr(Path(ASSETS) / name))
        except ImageReadError:
            continue
    return frames or [np.full((imgsz, imgsz, 3), 114, dtype=np.uint8)]


def resolve(weights: str | Path, imgsz: int, choice: str, torch_model: Any,
            ctx: JobContext | None = None,
            frames: list[np.ndarray] | None = None) -> LoadedBackend:
    """Load ``weights`` for the user's ``choice`` (a concrete backend or ``auto``)."""
    if choice != AUTO:
        return load_backend(weights, imgsz, choice, torch_model, ctx)
    if Path(weights).suffix != ".pt" or \
            _cannot_export(OPENVINO, torch_model) and _cannot_export(ONNXRUNTIME, torch_model):
        return LoadedBackend(TORCH, torch_model)  # silently: nothing else can run it here
    entry = remembered_choice(weights, imgsz)
    if entry is not None:
        return load_backend(weights, imgsz, entry["backend"], torch_model, ctx)
    return _measure_and_choose(weights, imgsz, torch_model, ctx or JobContext(), frames)


def _measure_and_choose(weights: str | Path, imgsz: int, torch_model: Any, ctx: JobContext,
                        frames: list[np.ndarray] | None) -> LoadedBackend:
    frames = frames or default_frames(imgsz)
    timings: dict[str, float] = {}
    loaded: dict[str, LoadedBackend] = {}
    notes: list[str] = []
    for backend in (TORCH, OPENVINO, ONNXRUNTIME):
        if backend != TORCH and _cannot_export(backend, torch_model):
            continue
        ctx.step(0, 0, f"Measuring {LABELS[backend]} on this computer (once per model)…")
        candidate = load_backend(weights, imgsz, backend, torch_model, ctx)
        if candidate.backend != backend:  # failed: fell back to torch, already measured
            notes.append(candidate.note)
            continue
        timings[backend] = time_model(candidate.model, frames, imgsz, backend)
        loaded[backend] = candidate
    winner = min(timings, key=timings.__getitem__)
    _remember_choice(weights, imgsz, {"backend": winner, "ms": timings,
                                      "measured": time.strftime("%Y-%m-%d %H:%M:%S")})
    result = loaded[winner]
    result.note = " ".join([*notes, result.note]).strip()
    return result


def describe(loaded: LoadedBackend) -> str:
    """"OpenVINO" etc., for status lines."""
    return LABELS.get(loaded.backend, loaded.backend)
