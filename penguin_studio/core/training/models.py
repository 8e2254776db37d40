"""The model manager: named COCO models, which are on disk, download and import.

Transfer learning needs pretrained weights, and no package ships them: they come from
ultralytics' GitHub releases (one download on a connected machine) or from a file the user
brings. Nothing here touches the network unless the user asks for a download. Downloads
resume where they stopped (HTTP Range), are checked against the announced size (and a
SHA-256 when one is known) and only then appear under their name in the weights folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

from penguin_studio.core import appdirs, engine
from penguin_studio.core.errors import Cancelled, UserError
from penguin_studio.core.filemodes import give_mode
from penguin_studio.core.jobs import JobContext
from penguin_studio.core.model_files import describe_weights_problem
from penguin_studio.core.smartbox import weights as smartbox_weights

BASE_URL_ENV = "PENGUIN_STUDIO_WEIGHTS_URL"
RELEASES = "https://github.com/ultralytics/assets/releases/download"
RELEASE_SAM = smartbox_weights.RELEASE
CHUNK = 256 * 1024
TIMEOUT_S = 30
TRUST_FLAG = "weights-trust-acknowledged"
TRUST_WARNING = (
    "A .pt checkpoint is a Python pickle: opening it can run code. Import only files from a "
    "source you trust (your own training runs, ultralytics' official releases, a colleague)."
)


@dataclass(frozen=True)
class NamedModel:
    """A COCO-pretrained model ultralytics publishes (sizes approximate, for display)."""

    name: str
    release: str
    size_mb: float
    sha256: str | None = None

    def url(self) -> str:
        base = os.environ.get(BASE_URL_ENV)
        if base:
            return f"{base.rstrip('/')}/{self.name}"
        return f"{RELEASES}/{self.release}/{self.name}"


NAMED_MODELS: tuple[NamedModel, ...] = (
    NamedModel("yolo11n.pt", "v8.3.0", 5.4), NamedModel("yolo11s.pt", "v8.3.0", 18.4),
    NamedModel("yolo11m.pt", "v8.3.0", 38.8), NamedModel("yolo11l.pt", "v8.3.0", 49.0),
    NamedModel("yolo11x.pt", "v8.3.0", 109.3),
    NamedModel("yolov8n.pt", "v8.3.0", 6.2), NamedModel("yolov8s.pt", "v8.3.0", 21.5),
    NamedModel("yolov8m.pt", "v8.3.0", 49.7), NamedModel("yolov8l.pt", "v8.3.0", 83.7),
    NamedModel("yolov8x.pt", "v8.3.0", 130.5),
    NamedModel("yolo26n.pt", "v8.4.0", 5.3), NamedModel("yolo26s.pt", "v8.4.0", 19.5),
    NamedModel("yolo26m.pt", "v8.4.0", 42.2),
)
#: Segment Anything weights for the editor's Smart box (not detectors: listed apart).
SAM_MODELS: tuple[NamedModel, ...] = tuple(
    NamedModel(m.name, RELEASE_SAM, m.size_mb, m.sha256) for m in smartbox_weights.SAM_MODELS)


@dataclass
class ModelStatus:
    name: str
    path: Path
    on_disk: bool
    size: int  # bytes on disk (or downloaded so far, for a partial download)
    partial: bool
    named: bool  # one of the official COCO models (else imported by the user)


def named_model(name: str) -> NamedModel:
    for model in NAMED_MODELS + SAM_MODELS:
        if model.name == name:
            return model
    known = ", ".join(m.name for m in NAMED_MODELS + SAM_MODELS)
    raise UserError(f"Unknown model '{name}'. Named models: {known}.")


def _part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def list_models() -> list[ModelStatus]:
    """Named models (on disk or not) and every other checkpoint in the weights folder
    (Segment Anything weights excepted: they are no detectors, see :func:`list_sam_models`)."""
    return _statuses(NAMED_MODELS, others=True)


def list_sam_models() -> list[ModelStatus]:
    """The Segment Anything weights the Smart box can use, on disk or not."""
    return _statuses(SAM_MODELS, others=False)


def _statuses(catalogue: tuple[NamedModel, ...], others: bool) -> list[ModelStatus]:
    folder = appdirs.weights_dir()
    out = []
    for model in catalogue:
        path = folder / model.name
        part = _part_path(path)
        on_disk = path.is_file()
        size = path.stat().st_size if on_disk else (part.stat().st_size if part.is_file() else 0)
        out.append(ModelStatus(model.name, path, on_disk, size, not on_disk and part.is_file(),
                               True))
    if not others:
        return out
    named = {m.name for m in NAMED_MODELS + SAM_MODELS}
    for path in sorted(folder.glob("*.pt")):
        if path.name not in named:
            out.append(ModelStatus(path.name, path, True, path.stat().st_size, False, False))
    return out


# ----- download ---------------------------------------------------------------------------------
def download_model(name: str, ctx: JobContext | None = None, sha256: str | None = None,
                   retries: int = 3) -> Path:
    """Download a named model into the weights folder; resumes a partial download.

    ``sha256`` overrides the table's checksum (tests). A dropped connection is retried from
    where it stopped; Cancel keeps the partial file so the next download continues it.
    """
    model = named_model(name)
    ctx = ctx or JobContext()
    dest = appdirs.weights_dir() / model.name
    if dest.is_file():
        return dest
    part = _part_path(dest)
    expected = sha256 or model.sha256
    for attempt in range(retries + 1):
        try:
            total = _fetch(model.url(), part, ctx, model.name)
            break
        except Cancelled:
            raise
        except (urllib.error.URLError, HTTPException, OSError) as exc:
            if isinstance(exc, urllib.error.HTTPError) and exc.code not in (408, 429, 500, 502,
                                                                             503, 504):
                raise UserError(f"Download of {model.name} failed: HTTP {exc.code} {exc.reason} "
                                f"({model.url()}).") from exc
            if attempt == retries:
                have = part.stat().st_size / 1e6 if part.exists() else 0.0
                raise UserError(f"Download of {model.name} failed ({_reason(exc)}). Check the "
                                f"connection and download again: it continues from "
                                f"{have:.1f} MB.") from exc
            ctx.progress(part.stat().st_size if part.exists() else 0, 0,
                         f"Connection lost ({_reason(exc)}); resuming {model.name}…")
    _verify(part, total, expected, model.name)
    os.replace(part, dest)
    return dest


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason or exc) or type(exc).__name__


_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _fetch(url: str, part: Path, ctx: JobContext, label: str) -> int:
    """Bring ``part`` to the full file; returns the total size the server announced."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "penguin-studio"}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)  # noqa: S310 - https/http
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing left to send: the partial file is complete
            match = _RANGE.search(exc.headers.get("Content-Range", "") or "")
            if match and match.group(3) == str(have):
                return have
        raise
    with response:
        start, total = _span(response, have)
        mode = "ab" if start else "wb"
        done = start
        with open(part, mode) as fh:
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                fh.write(chunk)
                done += len(chunk)
                ctx.step(done, total, f"Downloading {label}")
    if total and done < total:
        raise ConnectionError(f"connection closed after {done} of {total} bytes")
    return total or done


def _span(response, have: int) -> tuple[int, int]:
    """(offset the body starts at, total size) from a 200 or 206 answer."""
    if response.status == 206:
        match = _RANGE.search(response.headers.get("Content-Range", ""))
        if match and int(match.group(1)) == have:
            total = match.group(3)
            return have, int(total) if total != "*" else 0
        raise ConnectionError("the server answered a different range; starting over")
    length = response.headers.get("Content-Length")
    return 0, int(length) if length and length.isdigit() else 0


def _verify(part: Path, total: int, sha256: str | None, name: str) -> None:
    """Size, checksum and checkpoint format; a file that fails is deleted, never kept."""
    size = part.stat().st_size
    problem = ""
    if total and size != total:
        problem = f"it has {size} bytes instead of the announced {total}"
    elif sha256:
        digest = _sha256(part)
        if digest != sha256.lower():
            problem = f"its SHA-256 is {digest[:12]}…, expected {sha256[:12]}…"
    if not problem:
        try:
            engine.check_checkpoint(part)
        except UserError:
            problem = "it is not a PyTorch checkpoint"
    if not problem:
        problem = smartbox_weights.download_problem(part, name) or ""
    if problem:
        part.unlink(missing_ok=True)
        raise UserError(f"The download of {name} is damaged ({problem}); it was deleted. "
                        f"Download it again.")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ----- import ---------------------------------------------------------------------------------
def trust_warning_needed() -> bool:
    """True until the user has seen the checkpoint trust warning once."""
    return not (appdirs.config_dir() / TRUST_FLAG).exists()


def acknowledge_trust_warning() -> None:
    (appdirs.config_dir() / TRUST_FLAG).write_text("shown\n", encoding="utf-8")


def _check_importable(source: Path) -> None:
    """Only what the app can use goes into the weights folder: a YOLO detection model or
    Segment Anything weights. A state dict or a classification model imported without a
    word failed later, when picked for training or detection."""
    problem = describe_weights_problem(source, trained=False)
    if problem is None:
        return
    try:
        smartbox_weights.identify(source)
    except UserError:
        raise UserError(f"{problem.rstrip('.')}, or Segment Anything weights for Smart "
                        f"box.") from None


def import_weights(source: str | Path) -> Path:
    """Copy a checkpoint into the weights folder (atomically) and return its new path."""
    source = Path(source).expanduser()
    if source.is_dir():
        raise UserError(f"{source} is a folder: pick the .pt file inside it (a run's "
                        f"weights/best.pt).")
    if not source.is_file():
        raise UserError(f"File not found: {source}")
    engine.check_checkpoint(source)
    _check_importable(source)
    folder = appdirs.weights_dir()
    dest = folder / source.name
    if dest.exists():
        if dest.resolve() == source.resolve() or _sha256(dest) == _sha256(source):
            return dest
        n = 2
        while (folder / f"{source.stem}-{n}{source.suffix}").exists():
            n += 1
        dest = folder / f"{source.stem}-{n}{source.suffix}"
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        give_mode(tmp, dest)
        os.replace(tmp, dest)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(f"Cannot copy {source.name} into {folder}: {exc.strerror}") from exc
    return dest
