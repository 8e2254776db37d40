"""The "label next" queue: which image teaching the model the most should be labelled next.

**Uncertainty** comes from the current proposal model's cached predictions of each image,
once as it is and once mirrored left-right (boxes mapped back):

* *band*: a candidate whose confidence sits near 0.5 is one the model cannot decide on.
  Each candidate (confidence ≥ ``MIN_CONF``) scores ``1 - |conf - 0.5| / 0.5``; the image's
  band score is the mean of its ``TOP_K`` highest.
* *disagreement*: the confident boxes (≥ ``CONF``) of the plain and the mirrored prediction,
  matched greedily (same class, IoU ≥ ``MATCH_IOU``): ``1 - 2·matched / (n_plain + n_flip)``.
  A model that changes its mind when the picture is mirrored has not learned that object.

``uncertainty = BAND_WEIGHT·band + (1 - BAND_WEIGHT)·disagreement``; an image on which the
model finds nothing at all gets ``NOTHING_FOUND`` (it may hold objects the model misses).
For a labelled image (an option), disagreement is measured against its labels instead.

**Worth**: the queue saves annotator seconds, so an image is worth what labelling it would
teach *per expected second of fixing it* (cost-sensitive active learning: Settles, Craven and
Friedland, "Active learning with real annotation costs", NIPS workshop 2008).

* *gain*, what it would teach: the band scores of all its plain candidates summed (a sum, not
  a mean: an image with three undecided objects teaches more than one with one; Brust,
  Käding and Denzler, "Active learning for deep object detection", VISAPP 2019, compare the
  sum, mean and maximum), plus, for a labelled image, one per box the model and the labels
  disagree on; ``NOTHING_FOUND`` when the model finds nothing.
* *expected seconds*, from the same candidates and the published per-action costs of
  ``core/labelling/effort``: each candidate shown as a proposal (confidence above the
  model's calibrated threshold, ``core/labelling/fixing``; ``SHOWN_CONF`` for a model without
  one) costs one verification (accept or reject); each one below it is an object the user
  must draw with the probability its confidence says, ``conf · HAND_BOX_S``; each shown
  proposal also brings the model's calibrated ``unseen_per_shown`` objects that no candidate
  found (true objects missed per proposal shown, counted on its validation images), each
  a hand-drawn box: a weak model that sees three penguins of a crowd of ten is priced for
  the seven it will leave to the user, where before such a crowded image looked cheap; and
  every image costs ``IMAGE_S`` more (looking at it).

``worth = gain · IMAGE_S / expected_seconds``. Measured on the sample project
(``benchmarks/bench_labelling.py --steps 60 --rounds 4``: the same first 5
images, then rounds of 5): the seconds to 90 % of the best mAP50 were 888 s in random order,
1,682 s by uncertainty alone (it picks the crowded images the model gets wrong, the dearest to
fix; and a different first 5), 964 s by the mean uncertainty per second, 744 s by this rule.
One seed, and an easy sample: with seed 1 the first model already passed 90 % after one round
in either order, and this rule's first round (25 boxes) cost 350 s where the random one
(11 boxes) cost 121 s. The default, time-budgeted run (README) missed the issue's goals the
same way: its first round in queue order cost 430 s against 121 s in random order.

With each model's calibrated threshold and misses (``core/labelling/fixing``; the random
curves get the calibrated proposals too), the same command, queue / manual and queue /
random seconds to 90 %, over seeds 0, 1, 2: before 0.44 / 0.84, 0.97 / 1.24, 0.68 / 1.07;
the threshold alone 0.52 / 0.99, 1.01 / 1.28, 0.67 / 1.09; threshold and misses 0.50 / 0.95,
0.81 / 1.03, 0.74 / 1.19 (means 0.70 / 1.05 before, 0.68 / 1.06 after): no goal met. Priced
misses beat the threshold alone on seeds 0 and 1, not on 2. The estimate is now right on
average (first model, seed 0: 39 s expected per unlabelled image against 47 s to fix, 17 s
before) but still ranks images poorly (correlation with the seconds to fix 0.47, 0.52
before): from a weak model's candidates, which images are crowded stays hard to tell, and
one round of 5 images still decides every ratio. The default, time-budgeted run (README)
went from 0.76 / 1.57 to 0.57 / 1.16: the queue's first round taught more (mAP50 0.948
against 0.899 in random order) but cost 218 s against 131 s.

**Diversity**: each image's 64-bit difference hash (dHash of a 9×8 grey thumbnail). The
queue is picked greedily, farthest-first: the next image maximises
``(EPSILON + worth) · d`` where ``d`` is its Hamming distance (0–1) to the nearest image
already picked, so the second of two identical frames scores 0 and sinks. Before any model
exists every gain is 1 and no cost is known: a diversity-only order, which keeps
near-duplicate frames of one video apart (it is no better than a random order at covering the
generated sample project, whose images all differ: measured as the mean hash distance to the
nearest pick).
Ties go to the earlier path: the order is deterministic for a fixed model.

Predictions and hashes are cached per image (path, size, modification time) and model
(path, size, modification time) in the dataset's ``.penguin-studio/label_queue/``; a new model
re-scores. A read-only dataset keeps them in memory and says so in ``QueueResult.note``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from penguin_studio.core.boxes import box_iou
from penguin_studio.core.dataset.labels import Box, atomic_write_text, read_labels
from penguin_studio.core.dataset.project import STATE_DIR, Dataset, label_path_for
from penguin_studio.core.dataset.proposals import proposal_class_mapping
from penguin_studio.core.errors import UserError
from penguin_studio.core.jobs import JobContext
from penguin_studio.core.labelling.autotrain import PROPOSAL_CONF
from penguin_studio.core.labelling.effort import HAND_BOX_S, VERIFY_S
from penguin_studio.core.labelling.fixing import (
    MIN_CONF,
    NORMALISED_EPS,
    Calibration,
    load_calibration,
    xyxy,
)

QUEUE_DIR = Path(STATE_DIR) / "label_queue"
CONF, MATCH_IOU, TOP_K = 0.25, 0.5, 3
BAND_WEIGHT, NOTHING_FOUND, EPSILON = 0.6, 0.3, 0.05
IMAGE_S = 10.0  # expected seconds every image costs besides its candidates (see above)
SHOWN_CONF = PROPOSAL_CONF  # candidates at or above it are shown as proposals
GREEDY_LIMIT = 3000  # farthest-first for this many picks; the rest by their score then
MAX_CANDIDATES = 50  # per image and prediction, in the cache

#: a prediction: (class, confidence, x1, y1, x2, y2) with coordinates 0–1
Candidate = tuple[int, float, float, float, float, float]


@dataclass(frozen=True)
class CachedPrediction:
    """One image's candidates from one model: as it is and mirrored (mapped back)."""

    plain: list[Candidate]
    flipped: list[Candidate]


@dataclass(frozen=True)
class QueueItem:
    """One image's place in the queue."""

    path: Path
    rank: int  # 0 = label this one next
    score: float  # when picked: (ε + worth) · distance, over the first pick's value: 0–1
    uncertainty: float  # 0–1 (1 for every image before any model exists)
    expected_s: float = 0.0  # expected annotator seconds to fix it (0: no model yet)
    labelled: bool = False


@dataclass
class QueueResult:
    items: list[QueueItem]
    model: str = ""  # the weights that scored it ("" = diversity only)
    note: str = ""  # one line for the user (read-only cache, skipped images)

    def scores(self) -> dict[str, float]:
        """Image path (text) → score, for the browser's thumbnails."""
        return {str(item.path): item.score for item in self.items}


# ----- uncertainty ------------------------------------------------------------------------
def band_score(candidates: Sequence[Candidate]) -> float:
    values = sorted((1.0 - abs(c[1] - 0.5) / 0.5 for c in candidates if c[1] >= MIN_CONF),
                    reverse=True)[:TOP_K]
    return float(np.mean(values)) if values else 0.0


def disagreement(first: Sequence[tuple[int, Sequence[float]]],
                 second: Sequence[tuple[int, Sequence[float]]]) -> float:
    """``1 - 2·matched / (n1 + n2)`` of two box sets (class, xyxy); 0 when both are empty."""
    if not first and not second:
        return 0.0
    ious = box_iou([b for _, b in first], [b for _, b in second], eps=NORMALISED_EPS)
    used: set[int] = set()
    matched = 0
    for i, (cls, _box) in enumerate(first):
        best, best_j = MATCH_IOU, -1
        for j, (cls2, _box2) in enumerate(second):
            if j not in used and cls2 == cls and ious[i, j] >= best:
                best, best_j = float(ious[i, j]), j
        if best_j >= 0:
            used.add(best_j)
            matched += 1
    return 1.0 - 2.0 * matched / (len(first) + len(second))


def _confident(candidates: Sequence[Candidate]) -> list[tuple[int, tuple[float, ...]]]:
    return [(int(c[0]), tuple(c[2:6])) for c in candidates if c[1] >= CONF]


def uncertainty(pred: CachedPrediction, labels: Sequence[Box] | None = None) -> float:
    """The documented uncertainty of one image (see the module docstring), 0–1."""
    if not any(c[1] >= MIN_CONF for c in pred.plain + pred.flipped) and not labels:
        return NOTHING_FOUND
    band = band_score(pred.plain + pred.flipped)
    if labels is not None:
        truth = [(b.cls, xyxy(b)) for b in labels]
        dis = disagreement(_confident(pred.plain), truth)
    else:
        dis = disagreement(_confident(pred.plain), _confident(pred.flipped))
    return BAND_WEIGHT * band + (1.0 - BAND_WEIGHT) * dis


def expected_seconds(pred: CachedPrediction, calibration: Calibration | None = None) -> float:
    """Expected annotator seconds to fix the image's proposals (see the module docstring);
    ``calibration``: the model's threshold and its calibrated misses (none: ``SHOWN_CONF``,
    no misses beyond its candidates)."""
    conf = calibration.conf if calibration is not None else SHOWN_CONF
    shown = sum(1 for c in pred.plain if c[1] > conf)  # as ``filter_detections`` keeps them
    missed = sum(c[1] for c in pred.plain if MIN_CONF <= c[1] <= conf)
    if calibration is not None:
        missed += shown * calibration.unseen_per_shown
    return IMAGE_S + VERIFY_S * shown + HAND_BOX_S * missed


def gain(pred: CachedPrediction, labels: Sequence[Box] | None = None) -> float:
    """What labelling the image would teach: the band scores of all its plain candidates
    summed, plus, for a labelled image, one per box the model and the labels disagree on;
    ``NOTHING_FOUND`` when the model finds nothing (see the module docstring)."""
    found = [c for c in pred.plain if c[1] >= MIN_CONF]
    if not found and not labels:
        return NOTHING_FOUND
    total = sum(1.0 - abs(c[1] - 0.5) / 0.5 for c in found)
    if labels is not None:
        truth = [(b.cls, xyxy(b)) for b in labels]
        mine = _confident(pred.plain)
        total += disagreement(mine, truth) * (len(mine) + len(truth))
    return total


def worth(value: float, seconds: float) -> float:
    """A gain per expected second, scaled so an image costing only ``IMAGE_S`` keeps it."""
    return value * IMAGE_S / max(IMAGE_S, seconds)


# ----- diversity ---------------------------------------------------------------------------
def dhash(path: Path) -> int:
    """64-bit difference hash of an image (near-duplicate frames differ in few bits)."""
    import cv2

    from penguin_studio.core.dataset.images import load_thumbnail_rgb

    grey = cv2.cvtColor(load_thumbnail_rgb(path, 64), cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int(sum(1 << i for i, bit in enumerate(bits) if bit))


def order(paths: Sequence[Path], gains: Sequence[float], hashes: Sequence[int],
          labelled: Sequence[bool] | None = None, seconds: Sequence[float] | None = None,
          shown: Sequence[float] | None = None) -> list[QueueItem]:
    """Greedy farthest-first order weighted by worth: ``gains`` per expected second
    (``seconds``; none: the gains alone). ``shown``: each image's 0–1 uncertainty for the
    items (default: the gains). See the module docstring."""
    n = len(paths)
    if n == 0:
        return []
    cost = list(seconds) if seconds is not None else [0.0] * n
    u = np.asarray([worth(x, s) for x, s in zip(gains, cost, strict=True)])
    codes = np.asarray([h & 0xFFFFFFFFFFFFFFFF for h in hashes], dtype=np.uint64)
    nearest = np.ones(n)  # distance to the nearest picked image (1 before any pick)
    left = np.ones(n, dtype=bool)
    picked: list[tuple[int, float]] = []
    for _ in range(min(n, GREEDY_LIMIT)):
        value = np.where(left, (EPSILON + u) * nearest, -1.0)
        i = int(np.argmax(value))  # the first of equal values: deterministic
        picked.append((i, float(value[i])))
        left[i] = False
        distance = np.bitwise_count(np.bitwise_xor(codes, codes[i])) / 64.0
        nearest = np.minimum(nearest, distance)
    rest = [int(i) for i in np.flatnonzero(left)]
    rest.sort(key=lambda i: (-(EPSILON + u[i]) * nearest[i], i))
    picked += [(i, float((EPSILON + u[i]) * nearest[i])) for i in rest]
    flags = labelled or [False] * n
    label = list(shown) if shown is not None else list(gains)
    top = float(EPSILON + u.max())  # the first pick's value: scores shown 0–1
    return [QueueItem(paths[i], rank, round(score / top, 4), round(float(label[i]), 4),
                      labelled=bool(flags[i]), expected_s=round(float(cost[i]), 1))
            for rank, (i, score) in enumerate(picked)]


# ----- the cache ---------------------------------------------------------------------------
def file_key(path: Path) -> str:
    """What makes a cached value stale: the file's size and modification time."""
    try:
        st = Path(path).stat()
    except OSError:
        return ""
    return f"{st.st_size}:{st.st_mtime_ns}"


def model_key(weights: str | Path | None) -> str:
    if not weights:
        return "diversity"
    path = Path(weights).expanduser().resolve()
    return hashlib.sha1(f"{path}|{file_key(path)}".encode()).hexdigest()[:16]


class QueueCache:
    """Per-image hashes and per-model predictions of one dataset, in memory and on disk."""

    def __init__(self, state_dir: Path, root: Path) -> None:
        self.folder = Path(state_dir) / QUEUE_DIR.name
        self.root = Path(root)
        self.note = ""
        self._files: dict[str, dict[str, Any]] = {}

    def _load(self, name: str) -> dict[str, Any]:
        if name not in self._files:
            try:
                data = json.loads((self.folder / name).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            self._files[name] = data if isinstance(data, dict) else {}
        return self._files[name]

    def _rel(self, image: Path) -> str:
        try:
            return Path(image).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(Path(image).resolve())

    def get(self, name: str, image: Path) -> Any:
        entry = self._load(name).get(self._rel(image))
        if isinstance(entry, dict) and entry.get("key") == file_key(image):
            return entry.get("value")
        return None

    def put(self, name: str, image: Path, value: Any) -> None:
        self._load(name)[self._rel(image)] = {"key": file_key(image), "value": value}

    def save(self) -> None:
        """Write every file changed; a read-only dataset keeps them in memory (``note``)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for name, data in self._files.items():
                atomic_write_text(self.folder / name, json.dumps(data))
        except OSError as exc:
            self.note = (f"The label-next scores stay in memory: {self.folder} cannot be "
                         f"written ({exc.strerror or exc}).")


# ----- predictions -------------------------------------------------------------------------
def predict_for_queue(predictor, image: np.ndarray) -> CachedPrediction:
    """Candidates of a BGR image, plain and mirrored (mapped back), coordinates 0–1."""
    from penguin_studio.core.inference.filtering import filter_detections

    height, width = image.shape[:2]
    out = []
    for flip in (False, True):
        pixels = np.ascontiguousarray(image[:, ::-1]) if flip else image
        raw, _ms = predictor.raw(pixels)
        dets = filter_detections(raw, MIN_CONF, 0.7, max_det=MAX_CANDIDATES,
                                 nms=not predictor.info.end2end)
        cands = []
        for (x1, y1, x2, y2), conf, cls in zip(dets.xyxy.tolist(), dets.conf.tolist(),
                                               dets.cls.tolist(), strict=True):
            if flip:
                x1, x2 = width - x2, width - x1
            cands.append((int(cls), round(float(conf), 4), round(x1 / width, 4),
                          round(y1 / height, 4), round(x2 / width, 4), round(y2 / height, 4)))
        out.append(cands)
    return CachedPrediction(out[0], out[1])


def _as_prediction(value: Any) -> CachedPrediction | None:
    if not isinstance(value, dict):
        return None
    try:
        return CachedPrediction([tuple(c) for c in value["plain"]],  # type: ignore[misc]
                                [tuple(c) for c in value["flipped"]])
    except (KeyError, TypeError):
        return None


# ----- the queue ---------------------------------------------------------------------------
def candidates(dataset: Dataset, include_labelled: bool = False) -> list[tuple[Path, bool]]:
    """(image, labelled) for the images the queue orders: unlabelled ones, optionally all."""
    out = []
    for image in dataset.unique_images():
        labelled = label_path_for(image).exists()
        if include_labelled or not labelled:
            out.append((Path(image), labelled))
    return out


def build_queue(dataset: Dataset, weights: str | Path | None = None,
                ctx: JobContext | None = None, include_labelled: bool = False,
                images: Iterable[Path] | None = None) -> QueueResult:
    """Score and order the images to label next (a job: progress and cancel through ctx)."""
    ctx = ctx or JobContext()
    todo = [(Path(p), label_path_for(Path(p)).exists()) for p in images] if images is not None \
        else candidates(dataset, include_labelled)
    from penguin_studio.core.dataset.images import ImageReadError  # cv2: not at start-up

    cache = QueueCache(dataset.state_dir, dataset.root)
    key = model_key(weights)
    calibration = load_calibration(weights)
    predictor = None
    skipped: list[str] = []
    paths, gains, scores, hashes, flags, seconds = [], [], [], [], [], []
    for done, (image, labelled) in enumerate(todo):
        ctx.step(done, len(todo), f"Scoring {image.name}")
        code = cache.get("hashes.json", image)
        try:
            if code is None:
                code = dhash(image)
                cache.put("hashes.json", image, code)
            score, value, cost = 1.0, 1.0, 0.0
            if weights:
                pred = _as_prediction(cache.get(f"{key}.json", image))
                if pred is None:
                    predictor = predictor or _load_predictor(weights, dataset)
                    pred = predict_for_queue(predictor, _read(image))
                    cache.put(f"{key}.json", image, {"plain": pred.plain,
                                                     "flipped": pred.flipped})
                truth = _labels(image) if labelled else None
                score, value = uncertainty(pred, truth), gain(pred, truth)
                cost = expected_seconds(pred, calibration)
        except ImageReadError as exc:  # an image that cannot be read: left out, named once
            skipped.append(f"{image.name} ({exc})")
            continue
        except UserError:  # the model's problem (its classes, its file): every image's
            raise
        except Exception as exc:  # a broken image: left out, named once
            skipped.append(f"{image.name} ({type(exc).__name__})")
            continue
        paths.append(image)
        gains.append(value)
        scores.append(score)
        hashes.append(int(code))
        flags.append(labelled)
        seconds.append(cost)
    ctx.step(len(todo), len(todo), "Ordering")
    cache.save()
    notes = [cache.note] + ([f"Left out {len(skipped)} unreadable image(s): {skipped[0]}."]
                            if skipped else [])
    return QueueResult(order(paths, gains, hashes, flags, seconds, scores), str(weights or ""),
                       " ".join(n for n in notes if n))


def _load_predictor(weights: str | Path, dataset: Dataset):
    from penguin_studio.core.inference.predict import Predictor

    predictor = Predictor(weights)
    proposal_class_mapping(predictor.info.names, list(dataset.names))  # refuses, naming both
    return predictor


def _read(image: Path) -> np.ndarray:
    from penguin_studio.core.dataset.images import load_image_bgr

    return load_image_bgr(image)


def _labels(image: Path) -> list[Box]:
    try:
        return read_labels(label_path_for(image))
    except Exception:  # an unparsable label file: compare with nothing
        return []
