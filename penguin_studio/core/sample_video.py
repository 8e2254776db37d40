"""A sample video of walking penguins, with the ground truth to measure tracking against.

:mod:`penguin_studio.core.sample` draws still photos; this module makes them walk. One
scene is a fixed script (jittered a little by the seed) that exercises what counting on
video must get right:

1. a penguin enters on the left, slows, then speeds up 2.6× and leaves on the right;
2. a near (large) penguin walks right to left across the whole frame;
3. a farther penguin walks left to right behind it and is **hidden for a few frames** where
   they pass (its ground truth skips the frames where less than 40% of it shows);
4. a penguin comes in from the right, stops short of the middle, **turns back** and leaves:
   it never crosses the counting line;
5. a small, distant penguin crosses late, left to right;

and two rocks sit still. The counting line is vertical through the middle, drawn top to
bottom, so *in* is left → right: the truth is 3 in, 1 out, 5 unique penguins, 2 rocks.

:func:`write_walk_video` writes ``NAME.mp4`` and beside it ``NAME_gt.txt`` (MOTChallenge
ground truth: ``frame,id,left,top,width,height,1,class,visibility``, frames from 1, class
ids from 1 as MOT does) and ``NAME_truth.json`` (size, fps, the line, unique counts per
class, crossings). :func:`write_walk_dataset` writes still frames of other scenes as a YOLO
dataset, to train a model for the video in tests. :func:`write_sample_video` writes the
simpler panning video the Live panel's "Sample video" source plays. Deterministic for a
seed; Qt-free and torch-free, like the photo sample.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from penguin_studio.core.errors import UserError
from penguin_studio.core.inference.recording import FOURCCS
from penguin_studio.core.sample import (
    CLASS_NAMES,
    MIN_VISIBLE_FRACTION,
    PENGUIN,
    ROCK,
    _clip,
    _draw_side,
    _ice,
    _paste,
    _Pen,
    _penguin_palette,
    _rock,
    _rock_ground,
    _rotate,
    _shade,
    _snow,
    _Sprite,
    _trim,
    render_image,
)

_SALT = 0x7A1C
#: (start s, x as a fraction of the width) keyframes, feet height and body height as
#: fractions of the frame height: the script described in the module docstring.
SCRIPT = (
    ((0.2, -0.12), (2.7, 0.42), (4.0, 1.15)), 0.58, 0.26,
    ((1.0, 1.15), (5.5, -0.15)), 0.90, 0.36,
    ((1.2, -0.12), (8.1, 1.15)), 0.80, 0.24,
    ((4.5, 1.12), (6.3, 0.68), (7.2, 0.68), (8.7, 1.12)), 0.48, 0.22,
    ((5.0, -0.10), (9.5, 1.12)), 0.40, 0.18,
)
ROCKS = ((0.10, 0.99, 0.11), (0.93, 0.22, 0.10))  # x centre, feet, height (fractions)
DEFAULT_SIZE, DEFAULT_FPS, DEFAULT_SECONDS = (320, 240), 15.0, 10.0
WADDLE_DEG = (-4.0, 0.0, 4.0, 0.0)


@dataclass
class _Walker:
    track_id: int
    keys: list[tuple[float, float]]
    foot: float  # pixels
    poses: list[tuple[np.ndarray, np.ndarray]]  # facing right, one per waddle step

    def x(self, t: float) -> float | None:
        """Centre x in pixels at ``t`` seconds, or None before it starts / after it ends."""
        keys = self.keys
        if t < keys[0][0] or t > keys[-1][0]:
            return None
        for (t0, x0), (t1, x1) in zip(keys, keys[1:], strict=False):
            if t0 <= t <= t1:
                return x0 + (x1 - x0) * (t - t0) / max(t1 - t0, 1e-9)
        return keys[-1][1]


@dataclass
class WalkScene:
    """Everything needed to render any frame of one scene."""

    size: tuple[int, int]
    fps: float
    frames: int
    background: np.ndarray  # float32 BGR
    walkers: list[_Walker]
    rocks: list[_Sprite]
    noise_seed: int

    @property
    def line(self) -> tuple[float, float, float, float]:
        w, h = self.size
        return (w / 2, 0.0, w / 2, float(h))


@dataclass
class WalkTruth:
    """What :func:`write_walk_video` wrote and the counts a perfect tracker would give."""

    video: Path
    gt: Path
    truth: Path
    size: tuple[int, int]
    fps: float
    frames: int
    line: tuple[float, float, float, float]
    unique: dict[str, int] = field(default_factory=dict)
    crossings: dict[str, int] = field(default_factory=dict)  # "in", "out"
    hidden_frames: dict[int, int] = field(default_factory=dict)  # id → frames mostly hidden


def make_walk_scene(seed: int = 0, size: tuple[int, int] = DEFAULT_SIZE,
                    fps: float = DEFAULT_FPS, seconds: float = DEFAULT_SECONDS) -> WalkScene:
    """The scripted scene for ``seed`` (appearance, ground and small timing jitter vary)."""
    if size[0] < 64 or size[1] < 48:
        raise UserError("The walking video needs at least 64×48 pixels.")
    rng = np.random.default_rng([_SALT, seed])
    w, h = size
    ground = (_ice, _snow, _rock_ground)[int(rng.integers(0, 3))]
    background = ground(rng, h, w).astype(np.float32)
    walkers = []
    for i in range(0, len(SCRIPT), 3):
        keys, foot, height = SCRIPT[i:i + 3]
        shift = float(rng.uniform(-0.15, 0.15))
        keys = [(t + shift, x * w) for t, x in keys]
        walkers.append(_Walker(i // 3 + 1, keys, (foot + rng.uniform(-0.01, 0.01)) * h,
                               _walking_poses(rng, height * h)))
    rocks = []
    for x, foot, height in ROCKS:
        bgr, alpha = _trim(*_rock(rng, height * h))
        sh, sw = alpha.shape
        rocks.append(_Sprite(ROCK, bgr, alpha, int(x * w - sw / 2), int(foot * h - sh),
                             depth=foot * h))
    return WalkScene(size, fps, max(1, round(seconds * fps)), background, walkers, rocks,
                     int(rng.integers(0, 2**31)))


def _walking_poses(rng: np.random.Generator, height: float) -> list[tuple]:
    """An upright side-view penguin facing right, tilted a little for each waddle step."""
    pen = _Pen((int(height) + 4, int(height) + 4), height * 0.96)
    _draw_side(pen, _penguin_palette(rng), int(rng.integers(0, 3)))
    bgr, alpha = _shade(pen.bgr, pen.mask, float(rng.uniform(-0.6, 0.6)), strength=0.35)
    return [_trim(*_rotate(bgr, alpha, angle)) for angle in WADDLE_DEG]


def _sprites_at(scene: WalkScene, index: int) -> list[tuple[int, _Sprite]]:
    """(track id, sprite) of everything in frame ``index``, back to front."""
    t = index / scene.fps
    out: list[tuple[int, _Sprite]] = []
    for walker in scene.walkers:
        x = walker.x(t)
        if x is None:
            continue
        facing_left = _facing_left(walker, t)
        step = int(abs(x - walker.keys[0][1]) / 6) % len(walker.poses)
        bgr, alpha = walker.poses[step]
        if facing_left:
            bgr, alpha = bgr[:, ::-1], alpha[:, ::-1]
        sh, sw = alpha.shape
        bob = 1.5 * math.sin(x / 5.0)
        out.append((walker.track_id, _Sprite(PENGUIN, bgr, alpha, int(round(x - sw / 2)),
                                             int(round(walker.foot - sh + bob)),
                                             depth=walker.foot)))
    rock_ids = len(scene.walkers) + 1
    out += [(rock_ids + i, rock) for i, rock in enumerate(scene.rocks)]
    out.sort(key=lambda item: item[1].depth)
    return out


def _facing_left(walker: _Walker, t: float) -> bool:
    """The way the walker moves at ``t``; standing still, the way it walked last."""
    way = False
    for (t0, x0), (_t1, x1) in zip(walker.keys, walker.keys[1:], strict=False):
        if t0 > t + 1e-9:
            break
        if abs(x1 - x0) > 0.5:
            way = x1 < x0
    return way


def render_walk_frame(scene: WalkScene, index: int) -> tuple[np.ndarray, list[tuple]]:
    """Frame ``index`` (BGR uint8) and its ground truth rows
    ``(track id, class, x0, y0, x1, y1, visibility)`` for objects at least 40% visible."""
    w, h = scene.size
    canvas = scene.background.copy()
    sprites = _sprites_at(scene, index)
    for _tid, sprite in sprites:
        _contact_shadow(canvas, sprite)
    for _tid, sprite in sprites:
        _paste(canvas, sprite)
    rng = np.random.default_rng([scene.noise_seed, index])
    canvas += rng.normal(0.0, 3.0, canvas.shape).astype(np.float32)
    image = np.clip(canvas + 0.5, 0, 255).astype(np.uint8)
    return image, _visible_boxes(sprites, w, h)


def _contact_shadow(canvas: np.ndarray, sprite: _Sprite) -> None:
    h, w = sprite.alpha.shape
    cx, cy = sprite.x + w // 2, sprite.y + h - 1
    shadow = np.zeros(canvas.shape[:2], np.float32)
    cv2.ellipse(shadow, (cx + w // 10, cy), (max(2, int(w * 0.55)), max(1, int(h * 0.08))),
                0, 0, 360, 0.35, -1, cv2.LINE_AA)
    canvas *= (1.0 - shadow)[..., None]


def _visible_boxes(sprites: list[tuple[int, _Sprite]], w: int, h: int) -> list[tuple]:
    """Tight boxes around what shows of each object, front to back (nearer ones cover)."""
    covered = np.zeros((h, w), bool)
    rows = []
    for tid, sprite in reversed(sprites):
        region = _clip(sprite, w, h)
        solid = sprite.alpha > 0.5
        if region is None or not solid.any():
            continue
        cy, cx, sy, sx = region
        visible = solid[sy, sx] & ~covered[cy, cx]
        covered[cy, cx] |= solid[sy, sx]
        fraction = float(visible.sum()) / float(solid.sum())
        if fraction < MIN_VISIBLE_FRACTION:
            continue
        ys, xs = np.nonzero(visible)
        rows.append((tid, sprite.cls, int(cx.start + xs.min()), int(cy.start + ys.min()),
                     int(cx.start + xs.max() + 1), int(cy.start + ys.max() + 1),
                     round(fraction, 3)))
    rows.reverse()
    return rows


def _true_crossings(scene: WalkScene) -> dict[str, int]:
    """Crossings of the vertical middle line by the walkers' centres (left → right is in)."""
    middle = scene.size[0] / 2
    counts = {"in": 0, "out": 0}
    for walker in scene.walkers:
        xs = [walker.x(i / scene.fps) for i in range(scene.frames)]
        sides = [x > middle for x in xs if x is not None]
        for before, after in zip(sides, sides[1:], strict=False):
            if before != after:
                counts["in" if after else "out"] += 1
    return counts


def write_walk_video(path: str | Path, seed: int = 0, size: tuple[int, int] = DEFAULT_SIZE,
                     fps: float = DEFAULT_FPS, seconds: float = DEFAULT_SECONDS) -> WalkTruth:
    """Write the walking video, its MOT ground truth and its true counts (see the module
    docstring). The video appears atomically."""
    path = Path(path).expanduser()
    fourcc = FOURCCS.get(path.suffix.lower())
    if fourcc is None:
        raise UserError(f"Cannot write {path.name}: use .mp4 or .avi.")
    path.parent.mkdir(parents=True, exist_ok=True)
    scene = make_walk_scene(seed, size, fps, seconds)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    if not writer.isOpened():
        raise UserError(f"Cannot write a video in {path.parent}.")
    gt_lines, seen, hidden = [], {}, {}
    try:
        for index in range(scene.frames):
            image, rows = render_walk_frame(scene, index)
            writer.write(image)
            present = {tid for tid, *_ in rows}
            for tid, cls, x0, y0, x1, y1, vis in rows:
                seen[tid] = cls
                gt_lines.append(f"{index + 1},{tid},{x0},{y0},{x1 - x0},{y1 - y0},1,"
                                f"{cls + 1},{vis}")
            for tid, _sprite in _sprites_at(scene, index):
                if tid in seen and tid not in present and _in_frame(_sprite, size):
                    hidden[tid] = hidden.get(tid, 0) + 1
    finally:
        writer.release()
    tmp.replace(path)
    truth = WalkTruth(path, path.with_name(f"{path.stem}_gt.txt"),
                      path.with_name(f"{path.stem}_truth.json"), size, fps, scene.frames,
                      scene.line, crossings=_true_crossings(scene), hidden_frames=hidden)
    truth.unique = {name: sum(1 for c in seen.values() if c == k)
                    for k, name in enumerate(CLASS_NAMES)}
    truth.gt.write_text("\n".join(gt_lines) + "\n", encoding="ascii")
    truth.truth.write_text(json.dumps(_truth_json(truth), indent=1), encoding="utf-8")
    return truth


def _in_frame(sprite: _Sprite, size: tuple[int, int]) -> bool:
    sh, sw = sprite.alpha.shape
    return sprite.x >= 0 and sprite.x + sw <= size[0]


def _truth_json(truth: WalkTruth) -> dict:
    return {"video": truth.video.name, "gt": truth.gt.name, "size": list(truth.size),
            "fps": truth.fps, "frames": truth.frames, "line": list(truth.line),
            "line_direction": "in = left to right (line drawn top to bottom)",
            "unique": truth.unique, "crossings": truth.crossings,
            "hidden_frames": {str(k): v for k, v in truth.hidden_frames.items()},
            "classes": list(CLASS_NAMES)}


def write_walk_dataset(root: str | Path, scenes: int = 3, every: int = 3, seed: int = 100,
                       size: tuple[int, int] = DEFAULT_SIZE) -> Path:
    """Frames of ``scenes`` other walking scenes as a YOLO dataset (train/val); its yaml."""
    root = Path(root).expanduser().resolve()
    count = 0
    for s in range(scenes):
        scene = make_walk_scene(seed + s, size)
        for index in range(0, scene.frames, every):
            image, rows = render_walk_frame(scene, index)
            split = "val" if count % 5 == 4 else "train"
            stem = f"walk_{seed + s}_{index:04d}"
            (root / "images" / split).mkdir(parents=True, exist_ok=True)
            (root / "labels" / split).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / "images" / split / f"{stem}.jpg"), image)
            w, h = size
            text = "".join(f"{cls} {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} "
                           f"{(x1 - x0) / w:.6f} {(y1 - y0) / h:.6f}\n"
                           for _tid, cls, x0, y0, x1, y1, _v in rows)
            (root / "labels" / split / f"{stem}.txt").write_text(text, encoding="ascii")
            count += 1
    yaml_path = root / "data.yaml"
    names = "".join(f"  {i}: {n}\n" for i, n in enumerate(CLASS_NAMES))
    yaml_path.write_text(f"path: {root}\ntrain: images/train\nval: images/val\n"
                         f"names:\n{names}", encoding="utf-8")
    return yaml_path


# --------------------------------------------------------------------------------------
# A panning sample video, so live detection can be tried without a camera
# --------------------------------------------------------------------------------------

def write_sample_video(path: str | Path, seconds: float = 6.0, fps: float = 15.0,
                       size: tuple[int, int] = (480, 360), seed: int = 0,
                       scene_s: float = 2.0) -> Path:
    """Write a video of the sample project's penguins: slow pans over a few rendered scenes.

    Used by the Live panel's "Sample video" source, by the tests and by the benchmark. The
    file appears atomically (written under a temporary name, then renamed).
    """
    path = Path(path)
    fourcc = FOURCCS.get(path.suffix.lower())
    if fourcc is None:
        raise UserError(f"Cannot write {path.name}: use .mp4 or .avi.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    if not writer.isOpened():
        raise UserError(f"Cannot write a video in {path.parent}.")
    total = max(1, round(seconds * fps))
    per_scene = max(1, round(scene_s * fps))
    try:
        for start in range(0, total, per_scene):
            scene = _pan_scene(render_image(seed, start // per_scene, imgsz=size[0])[0], size)
            for i in range(min(per_scene, total - start)):
                writer.write(_pan_frame(scene, size, i / max(1, per_scene - 1)))
    finally:
        writer.release()
    tmp.replace(path)
    return path


def _pan_scene(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The rendered image scaled to 1.2× the frame, so a frame-sized window can pan over it."""
    return cv2.resize(image, (int(size[0] * 1.2), int(size[1] * 1.2)),
                      interpolation=cv2.INTER_AREA)


def _pan_frame(scene: np.ndarray, size: tuple[int, int], t: float) -> np.ndarray:
    w, h = size
    x = round((scene.shape[1] - w) * t)
    y = round((scene.shape[0] - h) * (1 - t))
    return np.ascontiguousarray(scene[y:y + h, x:x + w])
