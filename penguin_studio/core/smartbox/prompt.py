"""What a user gives the smart box (points, a rough box) and what comes back."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Point = tuple[float, float]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Prompt:
    """Image-pixel prompts: points on the object, points on the background, a rough box."""

    positive: tuple[Point, ...] = ()
    negative: tuple[Point, ...] = ()
    box: Box | None = None

    def is_empty(self) -> bool:
        return not self.positive and self.box is None

    def inside(self, width: int, height: int) -> Prompt:
        """The prompt without points outside the image and with the box clipped to it."""
        def keep(points: tuple[Point, ...]) -> tuple[Point, ...]:
            return tuple(p for p in points if 0 <= p[0] < width and 0 <= p[1] < height)

        box = None if self.box is None else clip_box(self.box, width, height)
        if box is not None and (box[2] - box[0] < 2 or box[3] - box[1] < 2):
            box = None
        return Prompt(keep(self.positive), keep(self.negative), box)


@dataclass
class SmartBoxResult:
    """A proposed box (image pixels, xyxy, inside the image) or, with ``box`` None, a hint.

    ``outline`` holds the mask's contours (image pixels, N×2 each), drawn faintly under the
    box so the user sees what the engine found; ``engine`` names what produced it.
    """

    box: Box | None
    engine: str
    outline: list[np.ndarray] = field(default_factory=list)
    hint: str | None = None
    score: float | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        box = None if self.box is None else [round(float(v), 1) for v in self.box]
        return {"box": box, "engine": self.engine, "hint": self.hint,
                "score": None if self.score is None else round(float(self.score), 3),
                "seconds": round(self.seconds, 4)}


def clip_box(box: Box, width: int, height: int) -> Box:
    """``box`` with its limits inside the image (0..width, 0..height)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    w, h = float(width), float(height)
    return (min(max(x0, 0.0), w), min(max(y0, 0.0), h), min(max(x1, 0.0), w),
            min(max(y1, 0.0), h))


def mask_to_result(mask: np.ndarray, engine: str, scale: float = 1.0,
                   offset: tuple[float, float] = (0.0, 0.0),
                   size: tuple[int, int] | None = None) -> SmartBoxResult | None:
    """Bounding box and outline of a boolean mask, mapped to image pixels.

    ``mask`` pixel (x, y) is image pixel ``offset + (x, y) / scale``; ``size`` (w, h) clips.
    Returns None for an empty mask.
    """

    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    ox, oy = offset
    box = (ox + xs.min() / scale, oy + ys.min() / scale,
           ox + (xs.max() + 1) / scale, oy + (ys.max() + 1) / scale)
    if size is not None:
        box = clip_box(box, size[0], size[1])
    outline = [c.reshape(-1, 2).astype(np.float32) / scale + np.float32([ox, oy])
               for c in _main_contours(mask)]
    return SmartBoxResult(box, engine, outline)


OUTLINE_PIECES = 12     # contours drawn at most: the largest ones
OUTLINE_SHARE = 0.005   # ... each at least this share of the largest one's area
OUTLINE_SIDE = 256      # contours are traced on the mask scaled down to this side at most
OUTLINE_EPSILON = 0.75  # polygon simplification, in (scaled) mask pixels, at least
OUTLINE_POINTS = 400    # points per polygon at most (simplified further until it fits)


def _main_contours(mask: np.ndarray) -> list[np.ndarray]:
    """The mask's outline as a few simplified polygons, in mask pixels. A ragged mask (SAM
    with poor weights, GrabCut on noise) has thousands of specks and jagged borders: drawn
    antialiased on every repaint they held the GUI thread for 100-600 ms, and tell the user
    nothing. Traced on the mask scaled down (a blur of the jags), the largest few only."""
    import cv2

    small, factor = mask.astype(np.uint8), 1.0
    if max(mask.shape) > OUTLINE_SIDE:
        factor = max(mask.shape) / OUTLINE_SIDE
        size = (max(1, round(mask.shape[1] / factor)), max(1, round(mask.shape[0] / factor)))
        small = (cv2.resize(small * 255, size, interpolation=cv2.INTER_AREA) >= 128)
        small = small.astype(np.uint8)
    contours, _ = cv2.findContours(small, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return []
    areas = np.array([cv2.contourArea(c) for c in contours])
    order = np.argsort(-areas)[:OUTLINE_PIECES]
    floor = OUTLINE_SHARE * areas[order[0]]
    kept = [_simplified(contours[i]) for i in order if areas[i] >= floor]
    return [(c.astype(np.float32) + 0.5) * factor - 0.5 for c in kept if len(c) >= 3]


def _simplified(contour: np.ndarray) -> np.ndarray:
    """``contour`` with at most ``OUTLINE_POINTS`` points."""
    import cv2

    epsilon = OUTLINE_EPSILON
    simple = cv2.approxPolyDP(contour, epsilon, True)
    while len(simple) > OUTLINE_POINTS:
        epsilon *= 2
        simple = cv2.approxPolyDP(contour, epsilon, True)
    return simple
