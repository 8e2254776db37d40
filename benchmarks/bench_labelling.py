"""Benchmark: annotator seconds to a good detector, by hand versus assisted (random / queue).

A simulated annotator labels a fully labelled dataset (the generated sample project by
default, ``--data`` for any other, e.g. ../shared/data/aquarium-test) whose train labels
are hidden (in a copy: the input is never written). It labels ``--k`` images first, then in
rounds of ``--b`` images; after the first ``k`` and after each round a proposal model is
trained with the recipe auto-train uses (``core/labelling/autotrain.proposal_config``,
time-budgeted, through the app's training child) and its validation mAP50 recorded. Three
curves:

- ``manual``: random order, every box drawn by hand;
- ``assisted_random``: random order, each image pre-labelled by the current model and fixed;
- ``assisted_queue``: the label-next queue's order (``core/labelling/queue``), pre-labelled.

All three start from the same random first ``k`` and the same first model, as the issue's
protocol has it ("label K images, train, and in rounds of B images choose the next images");
``--queue-first`` starts the queue curve from the queue's own order before any model exists
(diversity only), as the app shows it, with its own first model.

Fixing against the hidden ground truth is ``core/labelling/fixing.fix_cost`` (greedy
matching, same class): IoU >= 0.7 accept, 0.5-0.7 adjust, unmatched ground truth drawn,
unmatched proposal rejected; each action costs the published seconds of
``core/labelling/effort`` (35 s hand box, 7 s adjust as an extreme click, 1.6 s accept /
reject as a verification). The proposals are those above the model's own threshold, which
auto-train chose with the same function on the model's validation images (``autotrain.adopt``;
what it changed is measured in ``core/labelling/queue``'s docstring).
Manual and assisted-random label the same images in the same order, so they share their
models and differ only in cost.

Each round's model continues the previous proposal model (auto-train's rule: the same frozen
COCO backbone, ``--weights``, with the head trained so far) and replaces it only if its mAP50
is better; a curve point is the mAP50 of the model in use (``trained_map50`` in the JSON
lists each round's own). Training budgets are wall-clock seconds, as in the app: on a loaded
machine fewer steps fit and every mAP50 is lower. ``--steps N`` trains about N optimizer
steps instead (epochs from the labelled count), for comparing variants under load; it is
not the app's recipe and the default never uses it.

Why these defaults (5 first, 8 rounds of 5, where auto-train itself starts at 10 and then
trains every 20): the ratios are read where a curve first reaches 90% of the best mAP50, and
on the sample project that happens within the first 20 or so images. With rounds of 10 every
curve crossed it at its first point after the first model, so the ratio was the cost of the
first ``k`` hand-drawn images plus one round, quantised to a round of 10; rounds of 5 resolve
it. The first ``k`` are drawn by hand in every curve (``first_k_seconds`` in the JSON), and
shared because before any model the queue knows nothing the ratio could credit it with: on
the sample project a hash carries little of what is in a picture (the diversity order covers
it no better than a random one), so its first ``k`` are another draw, whose cost is luck: the
first five of the diversity order held 1.6 to 5.2 boxes an image over seeds 0-6, against
3.3-3.9 on average (seed 0: 26 boxes, 910 s, where the random first five cost 420 s).

Reported per curve: the annotator seconds needed to reach 90% of the best mAP50 any curve
reached, and the ratios (goal: queue <= 0.5x manual, <= 0.85x random); where the queue got
there and another curve never did, ``ratio_upper_bounds`` holds queue seconds / that curve's
total. The last line is one JSON object (``settings`` holds the run's settings,
``boxes_per_round`` the ground-truth boxes each curve labelled in its first ``k`` and in each
round: how crowded the images it chose were).

Run::

    .venv/bin/python benchmarks/bench_labelling.py --quick   # 5 trainings of 25 s: ~3 min
    .venv/bin/python benchmarks/bench_labelling.py           # 17 trainings of 60 s: ~25 min

on an otherwise idle 2-core machine (``--quick``: 60 sample images, 4 first, 2 rounds of 4,
256 px; default: 160 images (112 to label), 5 first, 8 rounds of 5, 320 px).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHARED_BACKBONE = Path(__file__).resolve().parents[2] / "shared" / "data" / "weights" / \
    "yolov5nu-coco-backbone.pt"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, help="a fully labelled data yaml (default: sample)")
    p.add_argument("--images", type=int, default=160, help="sample images when no --data")
    p.add_argument("--k", type=int, default=5, help="images labelled before the first model")
    p.add_argument("--b", type=int, default=5, help="images per round")
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--budget", type=float, default=60.0, help="seconds per training")
    p.add_argument("--steps", type=int, default=0,
                   help="exploration only: about this many optimizer steps a training instead "
                        "of --budget seconds (the same on a loaded machine; not the app's)")
    p.add_argument("--imgsz", type=int, default=320)
    p.add_argument("--weights", type=Path, default=SHARED_BACKBONE,
                   help="pretrained start (feature extraction); none: auto-train's own choice")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--queue-first", action="store_true",
                   help="the queue curve labels the queue's diversity-only order first, as the "
                        "app shows it, and trains its own first model (default: the same "
                        "random first k and first model for every curve)")
    p.add_argument("--quick", action="store_true", help="small settings: about 4 minutes")
    p.add_argument("--keep", type=Path, help="work here and keep the files (default: temp)")
    args = p.parse_args(argv)
    if args.quick:
        args.images, args.k, args.b, args.rounds = 60, 4, 4, 2
        args.budget, args.imgsz = 25.0, 256
    return args


# ----- the simulated annotator -------------------------------------------------------------------
def manual_cost(truth: list) -> float:
    from penguin_studio.core.labelling import effort as ef

    return len(truth) * ef.PUBLISHED_S[ef.DRAWN]


# ----- data ------------------------------------------------------------------------------------
def prepare(args: argparse.Namespace, work: Path) -> tuple[Path, dict[str, list]]:
    """A private copy of the dataset with the train split's labels hidden (returned)."""
    from penguin_studio.core.dataset.labels import read_labels
    from penguin_studio.core.dataset.project import label_path_for, open_dataset
    from penguin_studio.core.sample import generate_sample

    root = work / "data"
    if args.data is None:
        generate_sample(root, images=args.images, seed=args.seed)
    else:
        copy_dataset(open_dataset(args.data), root, args.seed)
    ds = open_dataset(root / "data.yaml")
    if not ds.images("val"):
        raise SystemExit("The dataset needs a labelled val split to measure mAP50.")
    hidden = {}
    for image in ds.images("train"):
        label = label_path_for(image)
        hidden[str(image)] = read_labels(label) if label.exists() else []
        if label.exists():
            label.unlink()
    return root / "data.yaml", hidden


def copy_dataset(source, root: Path, seed: int) -> None:
    """The labelled images of ``source`` copied into a plain train / val layout at ``root``.

    Its own train split stays train and val + test become val; a dataset with no train or no
    val split (aquarium-test holds only a test split) is split here, a third to val, in a
    fixed random order.
    """
    import yaml

    from penguin_studio.core.dataset.project import label_path_for

    labelled = {s: [p for p in source.images(s) if label_path_for(p).exists()]
                for s in ("train", "val", "test")}
    train, val = labelled["train"], labelled["val"] + labelled["test"]
    if not train or not val:
        every = sorted(set(train + val))
        random.Random(seed).shuffle(every)
        cut = max(1, len(every) // 3)
        train, val = every[cut:], every[:cut]
    for split, images in (("train", train), ("val", val)):
        for i, image in enumerate(images):
            name = f"{i:05d}_{image.stem}"
            (root / "images" / split).mkdir(parents=True, exist_ok=True)
            (root / "labels" / split).mkdir(parents=True, exist_ok=True)
            shutil.copy(image, root / "images" / split / f"{name}{image.suffix}")
            shutil.copy(label_path_for(image), root / "labels" / split / f"{name}.txt")
    data = {"path": str(root.resolve()), "train": "images/train", "val": "images/val",
            "names": dict(enumerate(source.names))}
    (root / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def reveal(image: str, truth: list) -> None:
    from penguin_studio.core.dataset.labels import write_labels
    from penguin_studio.core.dataset.project import label_path_for

    write_labels(label_path_for(Path(image)), truth)


def hide(images: list[str]) -> None:
    from penguin_studio.core.dataset.project import label_path_for

    for image in images:
        label = label_path_for(Path(image))
        if label.exists():
            label.unlink()


# ----- one curve -------------------------------------------------------------------------------
def train(data: Path, args: argparse.Namespace, name: str, state) -> float:
    """Train one proposal model on the labelled images with auto-train's own recipe and
    bookkeeping (``state``: an ``AutoTrainState``, updated as the app updates it: the model
    becomes the proposal model only if its mAP50 beats the last one); its val mAP50."""
    from penguin_studio.core.dataset.project import open_dataset
    from penguin_studio.core.jobs import JobContext
    from penguin_studio.core.labelling import autotrain as at
    from penguin_studio.core.training.job import run_training

    pretrained = args.weights if args.weights and Path(args.weights).is_file() else None
    fixed = {"epochs": fixed_epochs(data, args.steps), "time": None} if args.steps else {}
    config = at.proposal_config(open_dataset(data), state, args.budget, pretrained=pretrained,
                                imgsz=args.imgsz, name=name, cache="none", **fixed)
    outcome = run_training(config, ctx=JobContext())
    if outcome.status != "completed":
        raise SystemExit(f"Training {name} {outcome.status}: {outcome.message}")
    result = at.adopt(open_dataset(data), state, outcome.run_dir)
    return float(result.map50) if result.map50 is not None and result.map50 == result.map50 \
        else 0.0


def fixed_epochs(data: Path, steps: int) -> int:
    """Epochs that make about ``steps`` optimizer steps on the labelled train images."""
    from penguin_studio.core.dataset.project import label_path_for, open_dataset
    from penguin_studio.core.labelling.autotrain import PROPOSAL_BATCH

    n = sum(1 for p in open_dataset(data).images("train") if label_path_for(p).exists())
    return max(1, round(steps / max(1, -(-n // PROPOSAL_BATCH))))


def proposals_for(weights: Path, images: list[str]) -> dict[str, list]:
    from penguin_studio.core.dataset.images import load_image_bgr
    from penguin_studio.core.inference.filtering import filter_detections
    from penguin_studio.core.inference.predict import Predictor
    from penguin_studio.core.labelling.autotrain import proposal_conf

    predictor, conf = Predictor(weights), proposal_conf(weights)
    out = {}
    for image in images:
        pixels = load_image_bgr(image)
        h, w = pixels.shape[:2]
        raw, _ms = predictor.raw(pixels)
        dets = filter_detections(raw, conf, 0.7, nms=not predictor.info.end2end)
        out[image] = [(int(c), (x1 / w, y1 / h, x2 / w, y2 / h)) for (x1, y1, x2, y2), c in
                      zip(dets.xyxy.tolist(), dets.cls.tolist(), strict=True)]
    return out


def queue_order(data: Path, weights: Path | None, images: list[str]) -> list[str]:
    from penguin_studio.core.dataset.project import open_dataset
    from penguin_studio.core.labelling.queue import build_queue

    result = build_queue(open_dataset(data), weights, images=[Path(p) for p in images])
    return [str(item.path) for item in result.items]


def run_curve(kind: str, data: Path, hidden: dict[str, list], first: list[str],
              args: argparse.Namespace, log, start=None) -> dict[str, list]:
    """The first ``first`` images by hand, a first model, then rounds of ``args.b`` images.

    ``start``: the ``AutoTrainState`` of a first model already trained on ``first`` (shared
    by the curves); none: train one here. A curve point is (annotator seconds so far, mAP50
    of the proposal model in use): the best model so far, as auto-train keeps it.
    ``<curve>_trained`` lists each round's own.
    """
    from penguin_studio.core.labelling.fixing import fix_cost

    rng = random.Random(args.seed + 1)
    rest = [p for p in hidden if p not in set(first)]
    rng.shuffle(rest)
    labelled = list(first)
    for image in labelled:
        reveal(image, hidden[image])
    names = ("manual", "assisted_random") if kind == "random" else ("assisted_queue",)
    seconds = dict.fromkeys(names, sum(manual_cost(hidden[p]) for p in first))
    state = replace(start) if start is not None else first_model(data, args, f"{kind}-first")
    trained = [round(state.best_map50 or 0.0, 4)]
    boxes = [sum(len(hidden[p]) for p in first)]  # ground-truth boxes labelled per round
    log(f"  {kind}: {len(first)} labelled by hand first ({seconds[names[0]]:.0f} s), "
        f"mAP50 {trained[0]:.3f}")
    curves: dict[str, list] = {n: [[round(seconds[n], 1), round(state.best_map50 or 0.0, 4)]]
                               for n in names}
    for r in range(1, args.rounds + 1):
        if not rest:
            break
        weights = Path(state.model) if state.model else None
        order = queue_order(data, weights, rest) if kind == "queue" else rest
        batch = order[:args.b]
        rest = [p for p in rest if p not in set(batch)]
        boxes.append(sum(len(hidden[p]) for p in batch))
        props = proposals_for(weights, batch) if weights is not None else {p: [] for p in batch}
        for image in batch:
            truth = hidden[image]
            cost, _actions = fix_cost(props[image], truth)
            if kind == "random":
                seconds["manual"] += manual_cost(truth)
                seconds["assisted_random"] += cost
            else:
                seconds["assisted_queue"] += cost
            reveal(image, truth)
            labelled.append(image)
        trained.append(round(train(data, args, f"{kind}-round-{r}", state), 4))
        for name in names:
            curves[name].append([round(seconds[name], 1), round(state.best_map50 or 0.0, 4)])
        log(f"  {kind} round {r}: {len(labelled)} labelled, mAP50 {trained[-1]:.3f} (in use "
            f"{state.best_map50 or 0.0:.3f}), "
            + ", ".join(f"{n} {seconds[n]:.0f} s" for n in names))
    hide(labelled)
    for name in names:
        curves[f"{name}_trained"] = trained
        curves[f"{name}_boxes"] = boxes
    return curves


def first_model(data: Path, args: argparse.Namespace, name: str):
    """The proposal model of the labelled first images (an ``AutoTrainState``)."""
    from penguin_studio.core.labelling.autotrain import AutoTrainState

    state = AutoTrainState()
    train(data, args, name, state)
    return state


def first_images(kind: str, data: Path, hidden: dict[str, list], k: int, seed: int) -> list[str]:
    """The images labelled before any model: a random ``k`` for the random-order curves,
    the queue's own diversity-only order (no model yet) for the queue's curve."""
    if kind == "queue":
        return queue_order(data, None, sorted(hidden))[:k]
    order = sorted(hidden)
    random.Random(seed).shuffle(order)
    return order[:k]


def seconds_to(curve: list, target: float) -> float | None:
    return next((s for s, m in curve if m >= target), None)


def summarise(curves: dict[str, list]) -> dict:
    """Best mAP50, seconds each curve needed to reach 90% of it, and the queue's ratios.

    Where the queue got there and another curve never did, that curve needs more than all
    it spent: ``ratio_upper_bounds`` holds queue seconds / that curve's total.
    """
    best = max(m for c in curves.values() for _s, m in c)
    reach = {name: seconds_to(c, 0.9 * best) for name, c in curves.items()}
    pairs = {"queue_vs_manual": ("assisted_queue", "manual"),
             "queue_vs_random": ("assisted_queue", "assisted_random")}
    ratios, bounds = {}, {}
    for key, (a, b) in pairs.items():
        ratios[key] = round(reach[a] / reach[b], 3) if reach[a] and reach[b] else None
        if reach[a] and not reach[b]:
            bounds[key] = round(reach[a] / curves[b][-1][0], 3)
    return {"best_map50": best, "target_map50": round(0.9 * best, 4),
            "seconds_to_90pct": reach, "ratios": ratios, "ratio_upper_bounds": bounds}


def describe(args: argparse.Namespace, train_images: int) -> dict:
    """The settings of this run, for the JSON and in words for the first printed line."""
    training = (f"about {args.steps} optimizer steps a training (exploration, not the app's "
                f"time budget)" if args.steps else f"{args.budget:.0f} s a training")
    first = ("random for manual and assisted-random, the queue's diversity-only order for "
             "assisted-queue" if args.queue_first else "the same random ones for every curve")
    text = (f"{train_images} train images; {args.k} labelled by hand first ({first}), then "
            f"{args.rounds} rounds of {args.b}; {training} at {args.imgsz} px, auto-train's "
            f"recipe")
    return {"train_images": train_images, "k": args.k, "b": args.b, "rounds": args.rounds,
            "budget_s": None if args.steps else args.budget, "steps": args.steps or None,
            "imgsz": args.imgsz, "seed": args.seed, "weights": str(args.weights or ""),
            "queue_first": args.queue_first,
            "text": text}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-labelling-"))
    os.environ.setdefault("PENGUIN_STUDIO_HOME", str(work / "home"))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    def log(text: str) -> None:
        print(text, flush=True)

    try:
        data, hidden = prepare(args, work)
        settings = describe(args, len(hidden))
        log(settings["text"])
        found: dict[str, list] = {}
        shared = None
        if not args.queue_first:  # the protocol: the same k first, one first model
            first = first_images("random", data, hidden, args.k, args.seed)
            for image in first:
                reveal(image, hidden[image])
            shared = first_model(data, args, "first")
        for kind in ("random", "queue"):
            if args.queue_first:
                first = first_images(kind, data, hidden, args.k, args.seed)
            found.update(run_curve(kind, data, hidden, first, args, log, shared))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    curves = {k: v for k, v in found.items() if not k.endswith(("_trained", "_boxes"))}
    summary = summarise(curves)
    log(f"best mAP50 {summary['best_map50']:.3f}; annotator seconds to reach 90% of it:")
    for name, value in summary["seconds_to_90pct"].items():
        log(f"  {name:16s} {value if value is not None else 'not reached'}")
    ratios, bounds = summary["ratios"], summary["ratio_upper_bounds"]
    shown = {k: ratios[k] if ratios[k] is not None else
             (f"< {bounds[k]}" if k in bounds else None) for k in ratios}
    log(f"  ratios: queue/manual {shown['queue_vs_manual']} (goal <= 0.5), "
        f"queue/random {shown['queue_vs_random']} (goal <= 0.85)")
    print(json.dumps({"benchmark": "labelling", "quick": args.quick, "settings": settings,
                      "curves": curves,
                      "first_k_seconds": {n: c[0][0] for n, c in curves.items()},
                      "trained_map50": {k[:-8]: v for k, v in found.items()
                                        if k.endswith("_trained")},
                      "boxes_per_round": {k[:-6]: v for k, v in found.items()
                                          if k.endswith("_boxes")}, **summary,
                      "goal": {"queue_vs_manual": 0.5, "queue_vs_random": 0.85},
                      "wall_s": round(time.monotonic() - started, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
