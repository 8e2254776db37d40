"""The weight-free engine: OpenCV GrabCut seeded from a rough box or a click.

Why GrabCut: it needs no download, runs in tens of milliseconds on a small crop, and
separates an object from a background of different colours, which is most of what a box
needs. A rough box seeds it directly (outside = background). A click seeds it with a box of
default size around the point, grown on every side the object touches until the object's
border lies inside it, then snapped again as a rough box; a find lopsided around the click
(it ran into a touching neighbour) is looked at once more in a box centred on the click.
The work happens on a crop scaled down to at most ``WORK_SIDE`` pixels, so the cost does
not depend on the photo's size (a click costs 4-10 GrabCuts, a drag 1-2).
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from penguin_studio.core.smartbox.click_threads import with_opencv_threads
from penguin_studio.core.smartbox.prompt import Box, Prompt, SmartBoxResult, mask_to_result

NAME = "GrabCut"
WORK_SIDE = 96       # longest side of the crop GrabCut works on
ITERATIONS = 2
MAX_UPSCALE = 4.0   # small objects are enlarged so their border is found to the pixel
START_FRACTION = 0.1  # side of the first box around a click, as a fraction of the image
MAX_GROWTH = 6
STABLE_IOU = 0.9    # two seed sizes agreeing this well: the object is found
GROW_STEP = 0.6
TINY_FRACTION = 0.2
CONTEXT_PAD = 0.5
EXTEND_PAD = 0.6   # the second look around a click's find: this much of its size all round
EXTEND_MIN, EXTEND_MAX = 1.05, 4.0  # how much bigger a second look may make it
NEAR = 0.25  # a piece this close to the main one (fraction of its size) belongs to it
PIECE = 0.03  # ... when at least this fraction of its area (feet, beak, a flipper)
BAND = 0.05   # inner band of a seed box (fraction of its side) that is probably background
TIGHT = 0.8   # a find this close to the dragged box: the box was drawn tight
SMOOTH = (5, 30, 5)  # bilateral filter (diameter, colour and space sigma) before GrabCut
SNAP = 1.4    # a click's find is snapped again as a rough box this much larger
LOPSIDED = 1.8  # a find reaching this many times further on one side of the click than on
                # the other has most likely run into a neighbour (or along a horizon)
SEED = 0      # OpenCV's RNG seed for GrabCut's k-means: the same click, the same box
CENTRE_SEED = 0.2  # half-axes (of the box) of the sure-object seed in a rough box's middle
SHADOW_RANGE = (0.45, 0.92)  # a shadow keeps this fraction of the ground's light
SHADOW_HUE = 0.12
SHADOW_MAX = 0.6     # a 'shadow' covering more of the object is a dark object itself
FEATURELESS_STD = 3.0  # colour spread (0-255) below which a region is "featureless"
HINT_NOTHING = ("Nothing stands out from its surroundings here: drag a rough box around the "
                "object, or draw the box (W).")


class GrabCutEngine:
    """Stateless apart from its settings; safe to share between threads."""

    name = NAME
    needs_embedding = False

    def embed(self, key: str, image: np.ndarray, background: bool = False) -> bool:
        """GrabCut has no per-image embedding: nothing to precompute."""
        return True

    def give_way(self) -> None:
        """Nothing runs in the background to stop."""

    def cached(self, key: str) -> bool:
        return True

    def propose(self, key: str, image: np.ndarray, prompt: Prompt) -> SmartBoxResult:
        """The box for ``prompt`` on ``image`` (BGR uint8), or a hint when none is found."""
        start = time.perf_counter()
        # one OpenCV thread, whatever the process last chose (ultralytics turns them off on
        # import): a second gives nothing on a crop this small (58 vs 58 ms a click, idle)
        # and costs 15 % when other work keeps the cores busy (133 vs 115 ms, load 3.5)
        result = with_opencv_threads(1, _propose, image, prompt)
        result.seconds = time.perf_counter() - start
        return result


def _propose(image: np.ndarray, prompt: Prompt) -> SmartBoxResult:
    h, w = image.shape[:2]
    prompt = prompt.inside(w, h)
    if prompt.is_empty():
        return SmartBoxResult(None, NAME, hint="Click on the object, inside the image.")
    if prompt.box is not None:
        return _from_rect(image, prompt.box, prompt) or _nothing()
    part = _from_click(image, prompt)
    if part is None:
        return _nothing()
    return _centred(image, _snap(image, _extend(image, part, prompt), prompt), prompt)


def _nothing() -> SmartBoxResult:
    return SmartBoxResult(None, NAME, hint=HINT_NOTHING)


def _from_click(image: np.ndarray, prompt: Prompt) -> SmartBoxResult | None:
    """Grow a box around the click until what GrabCut finds inside stops changing.

    A box that cuts through the object makes it touch the box's sides: grow those sides.
    A box that holds only part of a many-coloured object (a penguin's white belly but not
    its black back) finds the part alone, which does not touch the sides either; so the
    box keeps growing until two sizes in a row give the same answer.
    """
    h, w = image.shape[:2]
    xs = [p[0] for p in prompt.positive]
    ys = [p[1] for p in prompt.positive]
    half = max(6.0, START_FRACTION * min(w, h) / 2)
    rect = _clip([min(xs) - half, min(ys) - half, max(xs) + half, max(ys) + half], w, h)
    previous: SmartBoxResult | None = None
    for _ in range(MAX_GROWTH):
        found = _segment(image, rect, prompt)
        if found is None:
            return previous
        result, touching = found
        if _tiny(result.box, rect):
            touching = (True, True, True, True)  # only the clicked speck: look wider
        elif not any(touching):
            if previous is not None and _same(previous.box, result.box):
                return result
            previous = result
        grown = _grow(rect, result.box, touching, w, h)
        if grown == rect:
            return previous
        rect = grown
    return previous


def _extend(image: np.ndarray, part: SmartBoxResult, prompt: Prompt) -> SmartBoxResult:
    """Look again around what was found, holding it as sure object: when a click found one
    part of a many-coloured object (a penguin's belly), the rest of it comes along."""
    x0, y0, x1, y1 = part.box
    pad = EXTEND_PAD * max(x1 - x0, y1 - y0)
    h, w = image.shape[:2]
    rect = _clip([x0 - pad, y0 - pad, x1 + pad, y1 + pad], w, h)
    found = _segment(image, rect, prompt, sure=part.outline)
    if found is None or any(found[1]):
        return part
    grown = _area(found[0].box) / max(1.0, _area(part.box))
    return found[0] if EXTEND_MIN < grown < EXTEND_MAX else part


def _snap(image: np.ndarray, found: SmartBoxResult, prompt: Prompt) -> SmartBoxResult:
    """Treat a click's find as a rough drag 40% larger and snap that: a rough box around
    the whole object is what GrabCut separates best (a box from a click often holds only
    part of it, or a little of the ground), so the second look mends most of those."""
    x0, y0, x1, y1 = found.box  # type: ignore[misc]
    px, py = (x1 - x0) * (SNAP - 1) / 2, (y1 - y0) * (SNAP - 1) / 2
    h, w = image.shape[:2]
    rect = _clip([x0 - px, y0 - py, x1 + px, y1 + py], w, h)
    again = _from_rect(image, rect, Prompt(negative=prompt.negative, box=rect))
    return found if again is None else again


def _centred(image: np.ndarray, found: SmartBoxResult, prompt: Prompt) -> SmartBoxResult:
    """Look again in a box centred on the click when the find is lopsided around it.

    People click on the middle of the object they mean. A find that reaches ``LOPSIDED``
    times further on one side of the click than on the other has usually run into a
    touching neighbour of the same colours (two penguins side by side) or spilled along a
    horizon. The near side is mirrored about the click, enlarged like a rough drag, and
    snapped; that find is taken only when it lies wholly inside the centred box and snaps
    to itself as a rough drag: a click on a penguin's head gives a centred box that cuts
    through its body, which the find then touches or grows back into, and the first find
    (the whole penguin) is kept (measured: clicks a quarter down each penguin of the
    sample, 70% at IoU >= 0.8 before this look, 67% with it; centre clicks 78% -> 83%).
    """
    if found.box is None or len(prompt.positive) != 1:
        return found
    (cx, cy), (x0, y0, x1, y1) = prompt.positive[0], found.box
    if not (x0 <= cx <= x1 and y0 <= cy <= y1):
        return found  # the find lies beside the click (its piece under the click was lost)
    halves = []
    for low, high, centre in ((x0, x1, cx), (y0, y1, cy)):
        near, far = sorted((centre - low, high - centre))
        halves.append((near if far > LOPSIDED * near else (high - low) / 2, far > LOPSIDED * near))
    if not (halves[0][1] or halves[1][1]):
        return found
    hx, hy = SNAP * halves[0][0], SNAP * halves[1][0]
    h, w = image.shape[:2]
    rect = _clip([cx - hx, cy - hy, cx + hx, cy + hy], w, h)
    again = _segment(image, rect, Prompt(negative=prompt.negative, box=rect))
    if again is None or any(again[1]) or _tiny(again[0].box, rect):
        return found
    check = _snap(image, again[0], prompt)
    return check if _same(check.box, again[0].box) else found


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _tiny(found: Box, rect: Box) -> bool:
    """A find far smaller than its seed box is the clicked speck alone, not an object."""
    side = max(found[2] - found[0], found[3] - found[1])
    return side < TINY_FRACTION * max(rect[2] - rect[0], rect[3] - rect[1])


def _same(a: Box, b: Box) -> bool:
    from penguin_studio.core.boxes import box_iou

    return float(box_iou(np.array(a), np.array(b))[0, 0]) >= STABLE_IOU


def _grow(rect: Box, found: Box, touching: tuple[bool, ...], w: int, h: int) -> Box:
    """The next seed box: sides the object touches move out by 60%; otherwise the box
    becomes the found object's box with a margin of half its size all round."""
    if any(touching):
        r = list(rect)
        bw, bh = r[2] - r[0], r[3] - r[1]
        for side, touch in enumerate(touching):
            if touch:
                r[side] += (-1 if side < 2 else 1) * GROW_STEP * (bw if side in (0, 2) else bh)
        return _clip(r, w, h)
    x0, y0, x1, y1 = found
    pad = CONTEXT_PAD * max(x1 - x0, y1 - y0, 0.5 * max(rect[2] - rect[0], rect[3] - rect[1]))
    return _clip([min(rect[0], x0 - pad), min(rect[1], y0 - pad),
                  max(rect[2], x1 + pad), max(rect[3], y1 + pad)], w, h)


def _from_rect(image: np.ndarray, box: Box, prompt: Prompt) -> SmartBoxResult | None:
    """Snap a dragged box. Its rim is first taken as probably ground (a rough drag); when
    the find fills the box anyway, the box was drawn tight and is snapped again without
    that rim, so an exact drag is not eaten into."""
    found = _segment(image, box, prompt)
    if found is None:
        return None
    if _iou(found[0].box, box) >= TIGHT:
        again = _segment(image, box, prompt, band=0.0)
        return found[0] if again is None else again[0]
    return found[0]


def _iou(a: Box, b: Box) -> float:
    from penguin_studio.core.boxes import box_iou

    return float(box_iou(np.array(a), np.array(b))[0, 0])


def _clip(rect: list[float] | Box, w: int, h: int) -> Box:
    return (max(0.0, rect[0]), max(0.0, rect[1]), min(float(w), rect[2]), min(float(h), rect[3]))


def _segment(image: np.ndarray, rect: Box, prompt: Prompt, sure: list | None = None,
             band: float = BAND) -> tuple[SmartBoxResult, tuple[bool, bool, bool, bool]] | None:
    """GrabCut inside ``rect`` on a scaled crop with a margin of background around it.

    Returns the result and which sides of ``rect`` (left, top, right, bottom) the object
    touches, or None when the region is featureless or nothing is found.
    """
    h, w = image.shape[:2]
    rw, rh = rect[2] - rect[0], rect[3] - rect[1]
    if rw < 1 or rh < 1:
        return None  # no area left inside the image
    margin = max(4.0, 0.25 * max(rw, rh))
    crop = _clip([rect[0] - margin, rect[1] - margin, rect[2] + margin, rect[3] + margin], w, h)
    x0, y0 = int(crop[0]), int(crop[1])
    x1, y1 = int(np.ceil(crop[2])), int(np.ceil(crop[3]))
    scale = min(MAX_UPSCALE, WORK_SIDE / max(x1 - x0, y1 - y0))
    patch = image[y0:y1, x0:x1]
    if scale != 1.0:
        patch = cv2.resize(patch, (max(1, round((x1 - x0) * scale)),
                                   max(1, round((y1 - y0) * scale))),
                           interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    # sensor noise and the ground's specks otherwise enter both colour models: a penguin's
    # black back then looks like the speckled rock it stands on
    patch = cv2.bilateralFilter(patch, *SMOOTH)
    ph, pw = patch.shape[:2]

    def to_patch(x: float, y: float) -> tuple[int, int]:
        return (min(pw - 1, max(0, int((x - x0) * scale))),
                min(ph - 1, max(0, int((y - y0) * scale))))

    r0, r1 = to_patch(rect[0], rect[1]), to_patch(rect[2], rect[3])
    inner = patch[r0[1]:r1[1] + 1, r0[0]:r1[0] + 1]
    if inner.size == 0 or float(inner.reshape(-1, 3).std(axis=0).max()) < FEATURELESS_STD:
        return None
    mask = np.full((ph, pw), cv2.GC_BGD, np.uint8)
    mask[r0[1]:r1[1] + 1, r0[0]:r1[0] + 1] = cv2.GC_PR_BGD  # a rough box's rim: ground
    bx, by = round(band * (r1[0] - r0[0])), round(band * (r1[1] - r0[1]))
    mask[r0[1] + by:r1[1] + 1 - by, r0[0] + bx:r1[0] + 1 - bx] = cv2.GC_PR_FGD
    radius = max(1, round(min(pw, ph) * 0.02))
    for x, y in prompt.positive:
        cv2.circle(mask, to_patch(x, y), radius, cv2.GC_FGD, -1)
    if not prompt.positive and prompt.box is not None:
        # a rough box is drawn around an object: its middle is on it. Without this seed
        # GrabCut can give everything to the background in a crowded scene.
        centre = ((r0[0] + r1[0]) // 2, (r0[1] + r1[1]) // 2)
        axes = (max(1, round((r1[0] - r0[0]) * CENTRE_SEED)),
                max(1, round((r1[1] - r0[1]) * CENTRE_SEED)))
        cv2.ellipse(mask, centre, axes, 0, 0, 360, cv2.GC_FGD, -1)
    if sure:
        polygons = [np.round((p - np.float32([x0, y0])) * scale).astype(np.int32) for p in sure]
        cv2.fillPoly(mask, polygons, cv2.GC_FGD)
    for x, y in prompt.negative:
        cv2.circle(mask, to_patch(x, y), radius, cv2.GC_BGD, -1)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(SEED)
    try:
        cv2.grabCut(patch, mask, None, bgd, fgd, ITERATIONS, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return None  # e.g. no background sample at all: the rect covers the whole image
    fg = (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)
    shadow = _shadow(patch, mask == cv2.GC_BGD) & fg & (mask != cv2.GC_FGD)
    if shadow.sum() < SHADOW_MAX * fg.sum():  # more is a dark object, not its shadow
        fg &= ~shadow
    fg = _object_part(fg, [to_patch(*p) for p in prompt.positive])
    if fg is None:
        return None
    result = mask_to_result(fg, NAME, scale, (x0, y0), (w, h))
    if result is None:
        return None
    touch = 1
    ys, xs = np.nonzero(fg)
    touching = (xs.min() <= r0[0] + touch and r0[0] > 0, ys.min() <= r0[1] + touch and r0[1] > 0,
                xs.max() >= r1[0] - touch and r1[0] < pw - 1,
                ys.max() >= r1[1] - touch and r1[1] < ph - 1)
    return result, touching


def _shadow(patch: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Pixels that look like the background in shade: darker, same hue.

    A cast shadow darkens the ground by the same factor in every channel; GrabCut often
    takes it for part of a dark object, and a box that includes the shadow is too tall.
    """
    if background.sum() < 10:
        return np.zeros(patch.shape[:2], bool)
    ground = np.median(patch[background].astype(np.float32), axis=0) + 1.0
    ratio = (patch.astype(np.float32) + 1.0) / ground
    low, high = ratio.min(axis=2), ratio.max(axis=2)
    return (low > SHADOW_RANGE[0]) & (high < SHADOW_RANGE[1]) & (high - low < SHADOW_HUE)


def _near(stats: np.ndarray, main: np.ndarray, frac: float) -> np.ndarray:
    """Which components' boxes lie within ``frac`` of the main component's size from it."""
    x, y, bw, bh = (main[i] for i in range(4))
    gap = frac * max(bw, bh)
    return ((stats[:, 0] <= x + bw + gap) & (stats[:, 0] + stats[:, 2] >= x - gap)
            & (stats[:, 1] <= y + bh + gap) & (stats[:, 1] + stats[:, 3] >= y - gap))


def _object_part(fg: np.ndarray, seeds: list[tuple[int, int]]) -> np.ndarray | None:
    """The connected foreground holding the seeds (or the largest), plus pieces near it.

    Penguins come apart into body, beak and feet under GrabCut; pieces near the main one
    and at least ``PIECE`` of its size are kept so the box reaches the feet; specks of
    noise (smaller, once the patch is smoothed) are not.
    """
    fg = cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    if count <= 1:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    main = None
    for x, y in seeds:
        if labels[y, x] > 0:
            main = int(labels[y, x])
            break
    if main is None:
        main = int(np.argmax(areas)) + 1
    keep = (areas >= PIECE * areas[main - 1]) & _near(stats[1:], stats[main], NEAR)
    keep[main - 1] = True
    return np.isin(labels, np.nonzero(keep)[0] + 1)
