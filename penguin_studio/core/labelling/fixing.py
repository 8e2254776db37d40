"""What fixing a model's proposals costs, and a proposal model's calibration (Qt-free).

**Fixing** turns proposals into the true boxes the way a careful annotator would: greedy
matching, best IoU first, same class only. IoU ≥ ``ACCEPT_IOU``: accepted unchanged;
``MATCH_IOU``–``ACCEPT_IOU``: adjusted; a true box left unmatched is drawn by hand; a proposal
left unmatched is rejected. Each action costs the published seconds of
``core/labelling/effort``. ``benchmarks/bench_labelling.py`` costs its simulated annotator
with it, and auto-train calibrates each new proposal model with it.

**Calibration**: a proposal model's validation images have known labels, so the seconds its
proposals would cost to fix there can be counted for each candidate confidence threshold
(``THRESHOLDS``); the model's proposals then use the cheapest one. A weak model misses many
objects, and each miss costs a hand-drawn box (35 s) where a wrong proposal costs a rejection
(1.6 s): its cheapest threshold is often low. Measured (``benchmarks/bench_labelling.py
--steps 60 --rounds 4``, the first model, trained on 5 images, on its 48 validation images):
seed 0 chose 0.05 (2,034 fixing seconds against 2,461 at 0.25: -17 %), seed 1 0.15 (-2 %),
seed 2, a weaker model (mAP50 0.47), 0.4 (-2 %; its seconds barely change with the
threshold). The later models chose 0.05-0.15. The same pass counts the true objects no
candidate of the model found at all (not even at ``MIN_CONF``), per proposal shown: the
label-next queue prices those misses (``core/labelling/queue.expected_seconds``).

The calibration is stored beside the weights (``best.pt`` → ``best.calibration.json``), keyed
by the weights' size and modification time; none (no labelled validation image, an unreadable
or stale file) means the default threshold and no calibrated misses.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from penguin_studio.core.boxes import box_iou
from penguin_studio.core.dataset.labels import Box, atomic_write_text
from penguin_studio.core.labelling import effort as ef

ACCEPT_IOU, MATCH_IOU = 0.7, 0.5
MIN_CONF = 0.05  # the lowest candidate kept (the queue's too)
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
MAX_IMAGES = 200  # validation images predicted at most (the first, in path order)
SUFFIX = ".calibration.json"
NORMALISED_EPS = 1e-12  # box_iou's guard for boxes of 0-1 coordinates (see its docstring)

Xyxy = Sequence[float]
#: a scored proposal: (class, confidence, (x1, y1, x2, y2)), coordinates 0–1
Scored = tuple[int, float, Xyxy]


def xyxy(box: Box) -> tuple[float, float, float, float]:
    return (box.cx - box.w / 2, box.cy - box.h / 2, box.cx + box.w / 2, box.cy + box.h / 2)


def fix_actions(proposals: Sequence[tuple[int, Xyxy]], truth: Sequence[Box]) -> dict[str, int]:
    """The actions that turn ``proposals`` ((class, xyxy)) into ``truth`` (see above)."""
    ious = box_iou([p[1] for p in proposals], [xyxy(t) for t in truth], eps=NORMALISED_EPS)
    pairs = sorted(((float(ious[i, j]), i, j) for i, p in enumerate(proposals)
                    for j, t in enumerate(truth) if p[0] == t.cls), reverse=True)
    used_p: set[int] = set()
    used_t: set[int] = set()
    actions = dict.fromkeys(ef.ACTIONS, 0)
    for value, i, j in pairs:
        if value < MATCH_IOU or i in used_p or j in used_t:
            continue
        used_p.add(i)
        used_t.add(j)
        actions[ef.ACCEPTED if value >= ACCEPT_IOU else ef.ADJUSTED] += 1
    actions[ef.DRAWN] += len(truth) - len(used_t)
    actions[ef.REJECTED] += len(proposals) - len(used_p)
    return actions


def fix_cost(proposals: Sequence[tuple[int, Xyxy]],
             truth: Sequence[Box]) -> tuple[float, dict[str, int]]:
    """Published seconds and actions to turn ``proposals`` into ``truth``."""
    actions = fix_actions(proposals, truth)
    return sum(n * ef.PUBLISHED_S[a] for a, n in actions.items()), actions


@dataclass(frozen=True)
class Calibration:
    """A proposal model's cheapest threshold on its validation images, and what it misses."""

    conf: float  # proposals are shown above it
    recall: float  # true objects matched by a shown proposal, of all (0–1)
    unseen_per_shown: float  # true objects no candidate found, per proposal shown
    seconds: dict[str, float]  # fixing seconds on the validation images, per threshold
    images: int
    objects: int
    key: str = ""  # the weights' size and modification time when measured


def _shown(scored: Sequence[Scored], conf: float) -> list[tuple[int, Xyxy]]:
    """The proposals above ``conf`` (strictly, as ``filter_detections`` keeps them)."""
    return [(c, box) for c, s, box in scored if s > conf]


def choose(predictions: Sequence[Sequence[Scored]], truths: Sequence[Sequence[Box]],
           thresholds: Sequence[float] = THRESHOLDS) -> Calibration | None:
    """The threshold whose proposals cost the fewest fixing seconds on these images (ties:
    the higher, fewer proposals to look at); None without any true object."""
    objects = sum(len(t) for t in truths)
    if objects == 0:
        return None
    seconds = {f"{t:g}": sum(fix_cost(_shown(p, t), truth)[0]
                             for p, truth in zip(predictions, truths, strict=True))
               for t in thresholds}
    conf = min(thresholds, key=lambda t: (seconds[f"{t:g}"], -t))
    found = shown = unseen = 0
    for p, truth in zip(predictions, truths, strict=True):
        proposals = _shown(p, conf)
        shown += len(proposals)
        found += len(truth) - fix_actions(proposals, truth)[ef.DRAWN]
        unseen += fix_actions(_shown(p, 0.0), truth)[ef.DRAWN]
    return Calibration(conf, round(found / objects, 4), round(unseen / max(1, shown), 4),
                       {k: round(v, 1) for k, v in seconds.items()}, len(truths), objects)


# ----- stored beside the weights -----------------------------------------------------------
def calibration_path(weights: str | Path) -> Path:
    weights = Path(weights)
    return weights.with_name(weights.stem + SUFFIX)


def _weights_key(weights: Path) -> str:
    try:
        st = weights.stat()
    except OSError:
        return ""
    return f"{st.st_size}:{st.st_mtime_ns}"


def save_calibration(weights: str | Path, calibration: Calibration) -> Calibration:
    """Write it beside ``weights`` (atomically; a read-only folder: not kept, returned)."""
    stored = Calibration(**{**asdict(calibration), "key": _weights_key(Path(weights))})
    with contextlib.suppress(OSError):  # read-only: the default threshold is used then
        atomic_write_text(calibration_path(weights), json.dumps(asdict(stored), indent=1))
    return stored


def load_calibration(weights: str | Path | None) -> Calibration | None:
    """The stored calibration of ``weights``; None if none, unreadable or stale."""
    if not weights:
        return None
    try:
        data = json.loads(calibration_path(weights).read_text(encoding="utf-8"))
        found = Calibration(**data)
    except (OSError, ValueError, TypeError):
        return None
    return found if found.key and found.key == _weights_key(Path(weights)) else None


def calibrate(weights: str | Path, images: Sequence[Path],
              read_truth: Callable[[Path], list[Box]],
              step: Callable[[int, int, str], None] | None = None) -> Calibration | None:
    """Predict the first ``MAX_IMAGES`` labelled ``images`` with ``weights``, choose the
    threshold (:func:`choose`) and store it beside the weights; None without true objects."""
    from penguin_studio.core.dataset.images import load_image_bgr
    from penguin_studio.core.inference.filtering import filter_detections
    from penguin_studio.core.inference.predict import Predictor

    todo = sorted(images)[:MAX_IMAGES]
    if not todo:
        return None
    predictor = Predictor(weights)
    predictions, truths = [], []
    for done, image in enumerate(todo):
        if step is not None:
            step(done, len(todo), f"Calibrating proposals on {image.name}")
        pixels = load_image_bgr(image)
        h, w = pixels.shape[:2]
        raw, _ms = predictor.raw(pixels)
        dets = filter_detections(raw, MIN_CONF, 0.7, nms=not predictor.info.end2end)
        predictions.append([(int(c), float(s), (x1 / w, y1 / h, x2 / w, y2 / h))
                            for (x1, y1, x2, y2), s, c in
                            zip(dets.xyxy.tolist(), dets.conf.tolist(), dets.cls.tolist(),
                                strict=True)])
        truths.append(read_truth(image))
    found = choose(predictions, truths)
    return save_calibration(weights, found) if found is not None else None
