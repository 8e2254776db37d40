"""Read images exactly as ultralytics reads them for training, and their sizes cheaply.

Ultralytics (``ultralytics/utils/patches.py`` ``imread``) decodes with
``cv2.imdecode(bytes, cv2.IMREAD_COLOR)``, which applies the EXIF orientation tag; TIFFs go
through ``cv2.imdecodemulti`` (first page) and AVIF/HEIC through Pillow with
``ImageOps.exif_transpose``; 16-bit data keeps its high byte. :func:`load_image_rgb` repeats
those exact calls (without importing ultralytics), so the pixels shown in the editor are the
pixels trained on and a box drawn is the box trained.

:func:`image_size` reads only the header (Pillow opens lazily) and swaps width/height for
EXIF orientations 5-8 the way ultralytics' ``exif_size`` does, so a 10,000-image index never
decodes a pixel. Every failure becomes an :class:`ImageReadError` (a :class:`UserError`)
whose ``reason`` is short enough for a thumbnail placeholder.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from penguin_studio.core.errors import UserError

#: Suffixes ultralytics decodes with Pillow instead of OpenCV.
PIL_SUFFIXES = (".avif", ".heic", ".heif")
TIFF_SUFFIXES = (".tif", ".tiff")
#: Pillow format names whose EXIF orientation ultralytics handles by swapping the header size.
_SWAP_FORMATS = frozenset({"JPEG", "MPO", "PNG", "AVIF"})
EXIF_ORIENTATION = 274


class ImageReadError(UserError):
    """An image that cannot be read; ``reason`` is a short phrase for a placeholder."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path, self.reason = Path(path), reason
        super().__init__(f"{Path(path).name}: {reason}")


@dataclass(frozen=True)
class ImageHeader:
    """What an image's header says, read without decoding pixels."""

    path: Path
    format: str  # Pillow's name: JPEG, PNG, MPO, WEBP, TIFF, BMP…
    width: int  # as displayed and trained, EXIF orientation applied
    height: int
    orientation: int  # EXIF tag 274, 1 when absent
    mode: str  # Pillow mode: RGB, L, CMYK, I;16…
    n_bytes: int

    @property
    def rotated(self) -> bool:
        """True when EXIF asks for a rotation or flip (orientation 2-8)."""
        return self.orientation not in (0, 1)


# --------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------


def load_image_rgb(path: str | Path) -> np.ndarray:
    """Decode ``path`` as an ``H×W×3`` uint8 RGB array, oriented as ultralytics trains it.

    Grayscale, 16-bit, CMYK and palette images all come back as 8-bit RGB. Raises
    :class:`ImageReadError` for missing, empty, corrupt or undecodable files.
    """
    bgr = load_image_bgr(path)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load_image_bgr(path: str | Path) -> np.ndarray:
    """Like :func:`load_image_rgb` but in OpenCV's BGR channel order (what ultralytics gets)."""
    path = Path(path)
    data = _read_bytes(path)
    image = _decode(path, data)
    if image is None:
        raise ImageReadError(path, _why_undecodable(path))
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    elif image.shape[2] == 1:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return np.ascontiguousarray(image)


def load_thumbnail_rgb(path: str | Path, max_side: int = 256) -> np.ndarray:
    """A small RGB preview, oriented as in training, decoded at reduced scale when possible.

    JPEGs decode at 1/2, 1/4 or 1/8 scale straight from the DCT (``IMREAD_REDUCED_COLOR_*``,
    which also applies EXIF orientation), several times faster than a full decode.
    """
    path = Path(path)
    data = _read_bytes(path)
    image = None
    if path.suffix.lower() in (".jpg", ".jpeg"):
        factor = _reduction_for(path, max_side)
        flag = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2,
                4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}[factor]
        image = cv2.imdecode(data, flag)
        if image is not None:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if image is None:
        image = load_image_rgb(path)
    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image)


def _reduction_for(path: Path, max_side: int) -> int:
    try:
        with Image.open(path) as im:
            longest = max(im.size)
    except Exception:
        return 1
    for factor in (8, 4, 2):
        if longest / factor >= max_side:
            return factor
    return 1


def _read_bytes(path: Path) -> np.ndarray:
    try:
        data = np.fromfile(os.fspath(path), np.uint8)
    except FileNotFoundError:
        raise ImageReadError(path, "file not found") from None
    except IsADirectoryError:
        raise ImageReadError(path, "is a folder, not an image") from None
    except OSError as exc:
        raise ImageReadError(path, f"cannot be read ({exc.strerror or exc})") from None
    if data.size == 0:
        raise ImageReadError(path, "empty file (0 bytes)")
    return data


def _decode(path: Path, data: np.ndarray) -> np.ndarray | None:
    """The same decoder choice as ultralytics' ``imread`` with ``IMREAD_COLOR``."""
    suffix = path.suffix.lower()
    if suffix in TIFF_SUFFIXES:
        ok, frames = cv2.imdecodemulti(data, cv2.IMREAD_UNCHANGED)
        if ok and frames and frames[0].ndim == 3:
            return frames[0][..., :3]
    if suffix in PIL_SUFFIXES:
        try:
            with ImageOps.exif_transpose(Image.open(path)) as img:
                return cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2BGR)
        except Exception:
            return None
    try:
        return cv2.imdecode(data, cv2.IMREAD_COLOR)
    except cv2.error:
        return None


def _why_undecodable(path: Path) -> str:
    """Name the problem as precisely as Pillow can tell without decoding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                fmt = im.format or "unknown"
                im.verify()
    except (UnidentifiedImageError, ImportError):  # ultralytics' Image.open patch: pi_heif
        return "not an image, or a format that cannot be read"
    except Image.DecompressionBombError:
        return "too large to decode safely"
    except Exception as exc:
        return f"corrupt image ({_short(exc)})"
    return f"corrupt or unsupported {fmt} image"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:80]


# --------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------


def read_header(path: str | Path) -> ImageHeader:
    """Format, oriented size, EXIF orientation and mode from the header alone."""
    path = Path(path)
    try:
        n_bytes = path.stat().st_size
    except FileNotFoundError:
        raise ImageReadError(path, "file not found") from None
    except OSError as exc:
        raise ImageReadError(path, f"cannot be read ({exc.strerror or exc})") from None
    if n_bytes == 0:
        raise ImageReadError(path, "empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                fmt, (w, h), mode = im.format or "", im.size, im.mode
                orientation = _orientation(im)
    except (UnidentifiedImageError, ImportError):  # ultralytics' Image.open patch: pi_heif
        raise ImageReadError(path, "not an image, or a format that cannot be read") from None
    except Image.DecompressionBombError:
        raise ImageReadError(path, "too large to decode safely") from None
    except IsADirectoryError:
        raise ImageReadError(path, "is a folder, not an image") from None
    except Exception as exc:
        raise ImageReadError(path, f"unreadable header ({_short(exc)})") from None
    if orientation in (5, 6, 7, 8):
        if fmt in _SWAP_FORMATS:
            w, h = h, w
        else:  # WebP/TIFF: ultralytics decodes to learn the truth; so do we
            h, w = load_image_bgr(path).shape[:2]
    return ImageHeader(path, fmt, w, h, orientation, mode, n_bytes)


def image_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` as displayed and trained (EXIF applied), from the header only."""
    header = read_header(path)
    return header.width, header.height


def _orientation(im: Image.Image) -> int:
    try:
        exif = im.tag_v2 if im.format == "TIFF" else im.getexif()
        value = int(exif.get(EXIF_ORIENTATION, 1) or 1)
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1


def file_is_complete(path: str | Path, fmt: str) -> bool | None:
    """Whether a JPEG ends with its EOI marker / a PNG with its IEND chunk (None: other).

    Reads 12 bytes at the end of the file: the cheap test for a truncated download or copy.
    Ultralytics 8.4 (Pillow) and OpenCV 5 both refuse a JPEG without EOI, so it matters.
    """
    fmt = fmt.upper()
    if fmt not in ("JPEG", "MPO", "PNG"):
        return None
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 12))
            tail = fh.read()
    except OSError:
        return False
    if fmt == "PNG":
        return tail.endswith(b"IEND\xaeB`\x82")
    return tail.endswith(b"\xff\xd9")
