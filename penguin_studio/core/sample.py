"""Deterministic synthetic sample dataset: procedurally drawn penguins and rocks.

The sample lets a new user try the whole Penguin Studio workflow (label review, training,
evaluation, inference) without hunting for data first. It is drawn with numpy and OpenCV
only, so it stays importable without Qt, torch or ultralytics, and it is byte-for-byte
reproducible: every image gets its own generator seeded from ``(seed, index)``, so the
result does not depend on the order or number of images drawn before it.

Layout (Ultralytics YOLO)::

    root/images/{train,val,test}/sample_00000.jpg
    root/labels/{train,val,test}/sample_00000.txt   # "cls cx cy w h", normalized
    root/data.yaml
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

__all__ = [
    "CLASS_NAMES",
    "DEFAULT_IMAGES",
    "SPLITS",
    "SampleDirNotEmpty",
    "SampleReport",
    "generate_sample",
]

#: Chosen by measurement (benchmarks/bench_sample_training.py): with this many images,
#: yolov8n trained from scratch for 5 minutes on 2 CPU cores reaches mAP50 >= 0.5 on test.
DEFAULT_IMAGES = 300
CLASS_NAMES = ("penguin", "rock")
SPLITS = ("train", "val", "test")
SPLIT_RATIOS = (0.7, 0.2, 0.1)

PENGUIN, ROCK = 0, 1
JPEG_QUALITY = 90
#: An object whose visible part (inside the frame, not covered) is below this is not drawn.
MIN_VISIBLE_FRACTION = 0.4
MIN_BOX_PX = 4
MAX_PENGUINS = 6
MAX_ROCKS = 3
_SEED_SALT = 0x50E6  # keeps sample seeds apart from other uses of the same user seed

Color = tuple[float, float, float]  # BGR, as OpenCV wants it
Rng = np.random.Generator


class SampleDirNotEmpty(Exception):  # noqa: N818 - a public name callers catch; kept
    """Raised instead of mixing the sample into a folder that already holds files."""

    def __init__(self, root: Path) -> None:
        super().__init__(
            f"{root} is not empty: pick an empty folder, or pass --force to replace the "
            "sample files (images/, labels/, data.yaml) that are there"
        )
        self.root = root


@dataclass
class SampleReport:
    """What ``generate_sample`` wrote, so callers can show it without rescanning disk."""

    root: Path
    data_yaml: Path
    images: dict[str, int] = field(default_factory=dict)  # per split
    instances: dict[str, int] = field(default_factory=dict)  # per class name


@dataclass
class _Sprite:
    """A drawn object: colour patch, soft alpha and where its top-left corner lands."""

    cls: int
    bgr: np.ndarray  # float32 HxWx3
    alpha: np.ndarray  # float32 HxW in [0, 1]
    x: int
    y: int
    depth: float  # larger = nearer the camera = drawn later


# --------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------


def generate_sample(
    root: Path | str,
    images: int = DEFAULT_IMAGES,
    seed: int = 0,
    force: bool = False,
    imgsz: int = 320,
    progress: Callable[[int, int], None] | None = None,
) -> SampleReport:
    """Write the synthetic dataset under ``root`` and return counts of what was written.

    Refuses a non-empty ``root`` unless ``force``; with ``force`` only the generator's own
    outputs are removed first, so unrelated user files in the folder survive.
    """
    if images < len(SPLITS):
        raise ValueError(f"need at least {len(SPLITS)} images (one per split), got {images}")
    if imgsz < 64:
        raise ValueError(f"imgsz must be at least 64, got {imgsz}")
    if seed < 0:
        raise ValueError(f"seed must be zero or positive, got {seed}")
    root = Path(root).expanduser().resolve()
    _prepare_root(root, force)

    counts = _split_counts(images)
    report = SampleReport(root=root, data_yaml=root / "data.yaml")
    report.instances = dict.fromkeys(CLASS_NAMES, 0)
    index = 0
    for split, count in zip(SPLITS, counts, strict=True):
        img_dir, lbl_dir = root / "images" / split, root / "labels" / split
        img_dir.mkdir(parents=True, exist_ok=True)
        lbl_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(count):
            image, labels = render_image(seed, index, imgsz)
            stem = f"sample_{index:05d}"
            _write_jpeg(img_dir / f"{stem}.jpg", image)
            text = _format_labels(labels, image.shape)
            (lbl_dir / f"{stem}.txt").write_text(text, encoding="ascii", newline="\n")
            for cls, *_ in labels:
                report.instances[CLASS_NAMES[cls]] += 1
            index += 1
            if progress is not None:
                progress(index, images)
        report.images[split] = count
    report.data_yaml.write_text(_data_yaml(seed, images), encoding="utf-8", newline="\n")
    return report


def render_image(seed: int, index: int, imgsz: int = 320) -> tuple[np.ndarray, list[tuple]]:
    """Draw image ``index`` of the sample for ``seed``: (BGR uint8 image, pixel boxes).

    Boxes are ``(cls, x0, y0, x1, y1)`` with exclusive ``x1``/``y1``, tight around the
    visible pixels of each object. Exposed for previews and tests.
    """
    rng = np.random.default_rng([_SEED_SALT, seed, index])
    w = round(imgsz * rng.uniform(0.8, 1.2) / 2) * 2
    h = round(w * rng.choice([0.75, 0.75, 0.667, 0.5625, 1.0]) / 2) * 2
    canvas, ground = _background(rng, w, h)
    kept = _resolve_occlusion(_place_objects(rng, w, h, ground), w, h)
    for sprite, _box in kept:
        _cast_shadow(canvas, sprite)
    for sprite, _box in kept:
        _paste(canvas, sprite)
    image = _finish(rng, canvas)
    return image, [box for _sprite, box in kept]


# --------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------


def _prepare_root(root: Path, force: bool) -> None:
    """Create ``root``; refuse or clean a non-empty one (only our own outputs)."""
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f"{root} exists and is not a folder")
    if root.is_dir() and any(root.iterdir()):
        if not force:
            raise SampleDirNotEmpty(root)
        for name in ("images", "labels"):
            target = root / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
        (root / "data.yaml").unlink(missing_ok=True)
    root.mkdir(parents=True, exist_ok=True)


def _split_counts(n: int) -> tuple[int, int, int]:
    """About 70/20/10, but never an empty split: val and test must exist for evaluation."""
    val = max(1, round(n * SPLIT_RATIOS[1]))
    test = max(1, round(n * SPLIT_RATIOS[2]))
    return n - val - test, val, test


def _write_jpeg(path: Path, image: np.ndarray) -> None:
    """Encode in memory at a fixed quality so the bytes depend only on the pixels."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise OSError(f"could not encode {path.name}")
    path.write_bytes(buf.tobytes())


def _format_labels(boxes: list[tuple], shape: tuple[int, ...]) -> str:
    """YOLO text: one ``cls cx cy w h`` line per box, normalized, 6 decimals."""
    h, w = shape[:2]
    lines = []
    for cls, x0, y0, x1, y1 in boxes:
        cx, cy = (x0 + x1) / 2 / w, (y0 + y1) / 2 / h
        lines.append(f"{cls} {cx:.6f} {cy:.6f} {(x1 - x0) / w:.6f} {(y1 - y0) / h:.6f}")
    return "".join(f"{line}\n" for line in lines)


def _data_yaml(seed: int, images: int) -> str:
    """Ultralytics data yaml without ``path:``: splits resolve against the yaml's own folder
    (in ultralytics too), so a copy of the project folder shows and edits its own images."""
    names = "".join(f"  {i}: {name}\n" for i, name in enumerate(CLASS_NAMES))
    return (
        f"# Penguin Studio synthetic sample ({images} images, seed {seed})\n"
        "train: images/train\n"
        "val: images/val\n"
        "test: images/test\n"
        f"nc: {len(CLASS_NAMES)}\n"
        f"names:\n{names}"
    )


# --------------------------------------------------------------------------------------
# Backgrounds
# --------------------------------------------------------------------------------------


def _noise(rng: Rng, h: int, w: int, cell: float) -> np.ndarray:
    """Smooth value noise in [0, 1]: a coarse random grid upsampled with cubic filtering."""
    gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
    grid = rng.random((gh, gw), dtype=np.float32)
    return np.clip(cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)


def _fractal(rng: Rng, h: int, w: int, cells: tuple[float, ...]) -> np.ndarray:
    """Sum of noise octaves, centred on 0, for natural-looking texture."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for cell in cells:
        out += amp * (_noise(rng, h, w, cell) - 0.5)
        total += amp
        amp *= 0.55
    return out / total


def _jitter(rng: Rng, color: Color, amount: float) -> Color:
    """Vary a base colour so no two scenes share exactly the same palette."""
    return tuple(float(np.clip(c + rng.normal(0, amount), 0, 255)) for c in color)


def _tint(base: Color, shade: np.ndarray) -> np.ndarray:
    """Colour image from a base colour and a per-pixel brightness offset in ~[-1, 1]."""
    img = np.empty((*shade.shape, 3), np.float32)
    for c in range(3):
        img[..., c] = base[c] * (1.0 + shade)
    return img


def _ice(rng: Rng, h: int, w: int) -> np.ndarray:
    """White-blue ice with a soft mottling and thin cracks."""
    img = _tint(_jitter(rng, (238, 226, 205), 8), 0.25 * _fractal(rng, h, w, (60, 20, 6)))
    crack = _jitter(rng, (190, 165, 140), 10)
    for _ in range(rng.integers(2, 8)):
        pts = _random_walk(rng, w, h, steps=int(rng.integers(4, 12)), step=w / 12)
        cv2.polylines(img, [pts], False, crack, 1, cv2.LINE_AA)
    return img


def _water(rng: Rng, h: int, w: int) -> np.ndarray:
    """Blue water darkening with depth, with light wave crests."""
    top, bottom = _jitter(rng, (150, 95, 30), 15), _jitter(rng, (110, 60, 15), 12)
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    img = (1 - t) * np.array(top, np.float32) + t * np.array(bottom, np.float32)
    img = np.repeat(img, w, axis=1) * (1 + 0.2 * _fractal(rng, h, w, (40, 12)))[..., None]
    crest = _jitter(rng, (225, 200, 160), 10)
    for _ in range(int(w * h / 1500)):
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        ax = int(rng.integers(4, 16))
        cv2.ellipse(img, (cx, cy), (ax, max(1, ax // 4)), 0, 200, 340, crest, 1, cv2.LINE_AA)
    return img


def _rock_ground(rng: Rng, h: int, w: int) -> np.ndarray:
    """Grey-brown gravel: fine, low-contrast noise so that rock objects still stand out."""
    grey = rng.uniform(85, 130)
    base = (grey * 0.9, grey, grey * rng.uniform(1.0, 1.15))
    img = _tint(base, 0.45 * _fractal(rng, h, w, (30, 8, 2.5)))
    dots = rng.random((h, w)) < 0.01
    img[dots] *= 0.6
    return img


def _snow(rng: Rng, h: int, w: int) -> np.ndarray:
    """Bright, slightly blue snow with gentle drifts."""
    return _tint(_jitter(rng, (245, 240, 232), 5), 0.12 * _fractal(rng, h, w, (80, 25)))


def _sky(rng: Rng, h: int, w: int) -> np.ndarray:
    """Blue-to-pale sky gradient with optional soft clouds."""
    top, low = _jitter(rng, (225, 170, 110), 15), _jitter(rng, (245, 225, 200), 8)
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    img = np.repeat((1 - t) * np.array(top, np.float32) + t * np.array(low, np.float32), w, 1)
    clouds = np.clip((_noise(rng, h, w, w / 4) - 0.55) * 3.0, 0.0, 1.0)[..., None]
    return img * (1 - clouds) + 245.0 * clouds


_GROUNDS = {"ice": _ice, "water": _water, "rock": _rock_ground, "snow": _snow}


def _background(rng: Rng, w: int, h: int) -> tuple[np.ndarray, int]:
    """Full-frame ice, water or rock, or a sky over a horizon; returns (image, ground top)."""
    kind = rng.choice(["ice", "water", "rock", "sky", "sky"])
    if kind != "sky":
        return _GROUNDS[kind](rng, h, w), 0
    horizon = int(h * rng.uniform(0.2, 0.5))
    ground = _GROUNDS[rng.choice(list(_GROUNDS))](rng, h - horizon, w)
    img = np.concatenate([_sky(rng, horizon, w), ground], axis=0)
    cv2.line(img, (0, horizon), (w, horizon), _jitter(rng, (170, 160, 150), 10), 1)
    return img, horizon


def _random_walk(rng: Rng, w: int, h: int, steps: int, step: float) -> np.ndarray:
    """Jagged polyline for cracks."""
    pts = [np.array([rng.uniform(0, w), rng.uniform(0, h)])]
    heading = rng.uniform(0, 2 * math.pi)
    for _ in range(steps):
        heading += rng.normal(0, 0.6)
        pts.append(pts[-1] + step * rng.uniform(0.3, 1.0) * np.array([math.cos(heading),
                                                                       math.sin(heading)]))
    return np.round(np.array(pts)).astype(np.int32)


# --------------------------------------------------------------------------------------
# Penguins
# --------------------------------------------------------------------------------------


class _Pen:
    """Draws shapes into a colour canvas and a matching coverage mask at once."""

    def __init__(self, size: tuple[int, int], scale: float) -> None:
        self.bgr = np.zeros((size[1], size[0], 3), np.float32)
        self.mask = np.zeros((size[1], size[0]), np.uint8)
        self.s = scale  # pixels per penguin-height unit

    def _p(self, x: float, y: float) -> tuple[int, int]:
        return round(x * self.s), round(y * self.s)

    def ellipse(self, c: tuple, axes: tuple, angle: float, color: Color) -> None:
        """Filled ellipse; centre and semi-axes in penguin-height units."""
        ax = (max(1, round(axes[0] * self.s)), max(1, round(axes[1] * self.s)))
        cv2.ellipse(self.bgr, self._p(*c), ax, angle, 0, 360, color, -1, cv2.LINE_AA)
        cv2.ellipse(self.mask, self._p(*c), ax, angle, 0, 360, 255, -1, cv2.LINE_8)

    def poly(self, pts: list[tuple[float, float]], color: Color) -> None:
        """Filled polygon (beaks) in penguin units."""
        arr = np.array([self._p(*p) for p in pts], np.int32)
        cv2.fillPoly(self.bgr, [arr], color, cv2.LINE_AA)
        cv2.fillPoly(self.mask, [arr], 255, cv2.LINE_8)

    def inside(self, draw: Callable[[_Pen], None]) -> None:
        """Paint with ``draw`` but keep the paint within the current coverage (belly, eyes)."""
        layer = _Pen((self.bgr.shape[1], self.bgr.shape[0]), self.s)
        draw(layer)
        keep = (layer.mask > 0) & (self.mask > 0)
        self.bgr[keep] = layer.bgr[keep]


def _penguin_palette(rng: Rng) -> dict[str, Color]:
    """Per-penguin colours: near-black back, white belly, orange beak and feet."""
    back = float(rng.uniform(15, 45))
    return {
        "back": (back + rng.uniform(0, 15), back + rng.uniform(-5, 5), back - rng.uniform(0, 8)),
        "belly": tuple(c - rng.uniform(0, 20) for c in (240, 242, 244)),
        "orange": _jitter(rng, (20, 120, 245), 12),
        "patch": _jitter(rng, (40, 190, 250), 10),
    }


def _draw_side(pen: _Pen, col: dict[str, Color], species: int) -> None:
    """Side view facing right: body, belly, head, beak, eye, flipper, feet."""
    for fx in (0.40, 0.52):
        pen.ellipse((fx, 0.95), (0.10, 0.035), 0, col["orange"])
    pen.ellipse((0.40, 0.58), (0.21, 0.36), 8, col["back"])
    pen.ellipse((0.49, 0.21), (0.13, 0.12), 0, col["back"])
    pen.poly([(0.58, 0.17), (0.58, 0.25), (0.76, 0.23)], col["orange"])
    pen.inside(lambda p: p.ellipse((0.50, 0.62), (0.14, 0.31), 8, col["belly"]))
    if species == 1:  # emperor-ish orange ear patch
        pen.inside(lambda p: p.ellipse((0.50, 0.31), (0.05, 0.06), 20, col["patch"]))
    elif species == 2:  # gentoo-ish white head band
        pen.inside(lambda p: p.ellipse((0.47, 0.12), (0.07, 0.03), 10, col["belly"]))
    pen.inside(lambda p: p.ellipse((0.55, 0.18), (0.032, 0.032), 0, (250, 250, 250)))
    pen.inside(lambda p: p.ellipse((0.56, 0.18), (0.016, 0.016), 0, (10, 10, 10)))
    pen.ellipse((0.28, 0.55), (0.05, 0.21), 28, col["back"])


def _draw_front(pen: _Pen, col: dict[str, Color], species: int) -> None:
    """Front view: symmetric belly, two flippers and eyes, beak pointing at the viewer."""
    for fx in (0.38, 0.62):
        pen.ellipse((fx, 0.95), (0.09, 0.035), 0, col["orange"])
    for fx, angle in ((0.26, 25), (0.74, -25)):
        pen.ellipse((fx, 0.55), (0.05, 0.2), angle, col["back"])
    pen.ellipse((0.50, 0.58), (0.23, 0.36), 0, col["back"])
    pen.ellipse((0.50, 0.21), (0.14, 0.12), 0, col["back"])
    pen.inside(lambda p: p.ellipse((0.50, 0.63), (0.17, 0.31), 0, col["belly"]))
    if species == 1:
        for fx in (0.40, 0.60):
            pen.inside(lambda p, fx=fx: p.ellipse((fx, 0.32), (0.05, 0.05), 0, col["patch"]))
    for fx in (0.44, 0.56):
        pen.inside(lambda p, fx=fx: p.ellipse((fx, 0.18), (0.028, 0.028), 0, (250, 250, 250)))
        pen.inside(lambda p, fx=fx: p.ellipse((fx, 0.185), (0.014, 0.014), 0, (10, 10, 10)))
    pen.poly([(0.46, 0.23), (0.54, 0.23), (0.50, 0.31)], col["orange"])


def _penguin(rng: Rng, height: float) -> tuple[np.ndarray, np.ndarray]:
    """One penguin ``height`` px tall before posing, as (BGR patch, alpha)."""
    pen = _Pen((int(height) + 4, int(height) + 4), height * 0.96)
    col, species = _penguin_palette(rng), int(rng.integers(0, 3))
    (_draw_front if rng.random() < 0.3 else _draw_side)(pen, col, species)
    bgr, alpha = _shade(pen.bgr, pen.mask, rng.uniform(-0.6, 0.6), strength=0.35)
    pose = rng.random()
    if pose < 0.15:  # lying on the belly (tobogganing): tip forward, clockwise
        angle = -rng.uniform(65, 100)
    elif pose < 0.45:  # waddling, leaning forward
        angle = rng.uniform(-25, 25)
    else:
        angle = rng.normal(0, 5)
    bgr, alpha = _rotate(bgr, alpha, angle)
    if rng.random() < 0.5:
        bgr, alpha = bgr[:, ::-1].copy(), alpha[:, ::-1].copy()
    return bgr, alpha


# --------------------------------------------------------------------------------------
# Rocks
# --------------------------------------------------------------------------------------


def _rock(rng: Rng, height: float) -> tuple[np.ndarray, np.ndarray]:
    """Irregular grey boulder lit from above, with texture, cracks and a dark rim."""
    rx, ry = height * rng.uniform(0.6, 1.0), height / 2
    n = int(rng.integers(7, 13))
    ang = np.sort(rng.uniform(0, 2 * math.pi, n))
    rad = rng.uniform(0.75, 1.0, n)
    size = (int(2 * rx) + 6, int(2 * ry) + 6)
    pts = np.stack([size[0] / 2 + rx * rad * np.cos(ang), size[1] / 2 + ry * rad * np.sin(ang)])
    pts = np.round(pts.T).astype(np.int32)
    mask = np.zeros((size[1], size[0]), np.uint8)
    cv2.fillPoly(mask, [pts], 255, cv2.LINE_8)
    grey = rng.uniform(70, 165)
    base = tuple(grey * rng.uniform(lo, hi) for lo, hi in ((0.9, 1.0), (0.95, 1.02), (1.0, 1.1)))
    tex = 0.3 * _fractal(rng, size[1], size[0], (max(3.0, height / 4), 2.0))
    bgr = _tint(base, tex)
    dark = tuple(c * 0.45 for c in base)
    for _ in range(rng.integers(0, 3)):
        a, b = rng.integers(0, n, 2)
        mid = (pts[a] + pts[b]) // 2 + rng.integers(-3, 4, 2)
        cv2.polylines(bgr, [np.stack([pts[a], mid, pts[b]])], False, dark, 1, cv2.LINE_AA)
    cv2.polylines(bgr, [pts], True, dark, max(1, int(height / 40)), cv2.LINE_AA)
    return _shade(bgr, mask, rng.uniform(-0.8, 0.8), strength=0.6)


# --------------------------------------------------------------------------------------
# Shared sprite helpers
# --------------------------------------------------------------------------------------


def _shade(bgr: np.ndarray, mask: np.ndarray, light_x: float, strength: float) -> tuple:
    """Light from the top (``light_x`` leans it sideways) so shapes read as 3-D solids."""
    h, w = mask.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    direction = np.array([light_x, -1.0], np.float32)
    direction /= np.linalg.norm(direction)
    proj = ((xx / max(w, 1) - 0.5) * direction[0] + (yy / max(h, 1) - 0.5) * direction[1])
    bgr = bgr * (1.0 + strength * proj)[..., None]
    alpha = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (3, 3), 0.6)
    alpha[mask == 0] = np.minimum(alpha[mask == 0], 0.49)  # soft edge outside never counts
    alpha[mask > 0] = np.maximum(alpha[mask > 0], 0.51)
    return bgr, alpha


def _rotate(bgr: np.ndarray, alpha: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotate a sprite about its centre, enlarging the patch so nothing is cut off."""
    h, w = alpha.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos) + 2, int(h * cos + w * sin) + 2
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    bgr = cv2.warpAffine(bgr, m, (nw, nh), flags=cv2.INTER_LINEAR)
    alpha = cv2.warpAffine(alpha, m, (nw, nh), flags=cv2.INTER_LINEAR)
    return bgr, alpha


def _trim(bgr: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crop a sprite to its solid pixels so placement maths uses the real extent."""
    ys, xs = np.nonzero(alpha > 0.5)
    if len(ys) == 0:
        return bgr[:1, :1], alpha[:1, :1] * 0
    y0, y1 = max(0, ys.min() - 1), min(alpha.shape[0], ys.max() + 2)
    x0, x1 = max(0, xs.min() - 1), min(alpha.shape[1], xs.max() + 2)
    return bgr[y0:y1, x0:x1], alpha[y0:y1, x0:x1]


def _place_objects(rng: Rng, w: int, h: int, ground: int) -> list[_Sprite]:
    """Choose counts, sizes and positions; return sprites in back-to-front order."""
    n_pen = int(rng.choice(MAX_PENGUINS + 1, p=[0.06, 0.2, 0.2, 0.17, 0.15, 0.12, 0.1]))
    n_rock = int(rng.choice(MAX_ROCKS + 1, p=[0.3, 0.35, 0.22, 0.13]))
    crowd = n_pen >= 3 and rng.random() < 0.4
    anchor = (rng.uniform(0.2, 0.8) * w, rng.uniform(max(ground / h, 0.35), 0.9) * h)
    sprites = []
    for i in range(n_pen + n_rock):
        cls = PENGUIN if i < n_pen else ROCK
        low = 0.05 if rng.random() < 0.15 else 0.08  # a few tiny, distant ones
        frac = math.exp(rng.uniform(math.log(low), math.log(0.42)))
        if cls == ROCK:
            frac *= rng.uniform(0.45, 0.8)
        size = max(8.0, frac * h)
        bgr, alpha = _trim(*(_penguin(rng, size) if cls == PENGUIN else _rock(rng, size)))
        sh, sw = alpha.shape
        if crowd and cls == PENGUIN:
            fx = anchor[0] + rng.normal(0, 0.5) * sw * 1.2
            fy = anchor[1] + rng.normal(0, 0.3) * sh * 0.6
        else:
            fx = rng.uniform(-0.25 * sw, w + 0.25 * sw)
            fy = rng.uniform(ground + 0.15 * sh, h + 0.25 * sh)
        sprites.append(_Sprite(cls, bgr, alpha, int(fx - sw / 2), int(fy - sh), depth=fy))
    sprites.sort(key=lambda s: s.depth)
    return sprites


def _cast_shadow(canvas: np.ndarray, sprite: _Sprite) -> None:
    """Soft contact shadow under the object's footprint, drawn on the background."""
    h, w = sprite.alpha.shape
    cx, cy = sprite.x + w // 2, sprite.y + h - 1
    axes = (max(2, int(w * 0.55)), max(1, int(h * 0.08)))
    shadow = np.zeros(canvas.shape[:2], np.float32)
    cv2.ellipse(shadow, (cx + w // 10, cy), axes, 0, 0, 360, 0.35, -1, cv2.LINE_AA)
    canvas *= (1.0 - shadow)[..., None]


def _clip(sprite: _Sprite, w: int, h: int) -> tuple[slice, slice, slice, slice] | None:
    """Overlap of a sprite with the frame as (canvas ys, canvas xs, sprite ys, sprite xs)."""
    sh, sw = sprite.alpha.shape
    x0, y0 = max(0, sprite.x), max(0, sprite.y)
    x1, y1 = min(w, sprite.x + sw), min(h, sprite.y + sh)
    if x1 <= x0 or y1 <= y0:
        return None
    return (slice(y0, y1), slice(x0, x1),
            slice(y0 - sprite.y, y1 - sprite.y), slice(x0 - sprite.x, x1 - sprite.x))


def _resolve_occlusion(sprites: list[_Sprite], w: int, h: int) -> list[tuple[_Sprite, tuple]]:
    """Keep sprites that stay mostly visible, with tight boxes around their visible pixels.

    Walks front to back so a dropped sprite never changes what is in front of it; a sprite
    that is mostly covered or mostly out of frame is simply not drawn, so every drawn
    object is labelled and every label shows a recognisable object.
    """
    covered = np.zeros((h, w), bool)
    kept = []
    for sprite in reversed(sprites):
        region = _clip(sprite, w, h)
        solid = sprite.alpha > 0.5
        if region is None:
            continue
        cy, cx, sy, sx = region
        visible = solid[sy, sx] & ~covered[cy, cx]
        if visible.sum() < MIN_VISIBLE_FRACTION * solid.sum():
            continue
        ys, xs = np.nonzero(visible)
        box = (sprite.cls, int(cx.start + xs.min()), int(cy.start + ys.min()),
               int(cx.start + xs.max() + 1), int(cy.start + ys.max() + 1))
        if min(box[3] - box[1], box[4] - box[2]) < MIN_BOX_PX:
            continue
        covered[cy, cx] |= solid[sy, sx]
        kept.append((sprite, box))
    kept.reverse()
    return kept


def _paste(canvas: np.ndarray, sprite: _Sprite) -> None:
    """Alpha-blend a sprite into the canvas, clipped to the frame."""
    region = _clip(sprite, canvas.shape[1], canvas.shape[0])
    if region is None:
        return
    cy, cx, sy, sx = region
    a = sprite.alpha[sy, sx][..., None]
    canvas[cy, cx] = canvas[cy, cx] * (1 - a) + sprite.bgr[sy, sx] * a


def _finish(rng: Rng, canvas: np.ndarray) -> np.ndarray:
    """Camera effects: exposure, slight colour cast, optional blur, sensor noise."""
    gain = rng.uniform(0.8, 1.15)
    cast = 1.0 + rng.normal(0, 0.04, 3).astype(np.float32)
    img = canvas * (gain * cast) + rng.uniform(-10, 10)
    if rng.random() < 0.35:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.1))
    img += rng.normal(0, rng.uniform(1.5, 7.0), img.shape).astype(np.float32)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)
