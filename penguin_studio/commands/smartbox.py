"""``penguin-studio smartbox``: the box one click (or a rough box) gives on an image.

    penguin-studio smartbox photo.jpg --point 410,220
    penguin-studio smartbox photo.jpg --point 410,220 --point 380,300:neg --weights mobile_sam.pt
    penguin-studio smartbox photo.jpg --box 350,180,470,330 --json

For checking what the editor's Smart box tool (S) does, from a terminal. Without
``--weights`` it uses MobileSAM when ``mobile_sam.pt`` is in the weights folder, else GrabCut.
"""

from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("smartbox", help="the box a click or a rough box gives (Smart box)",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("image", help="the image file")
    p.add_argument("--point", action="append", default=[], metavar="X,Y[:neg]",
                   help="a point on the object in pixels (repeatable); ':neg' marks "
                        "background to leave out")
    p.add_argument("--box", metavar="X1,Y1,X2,Y2", help="a rough box around the object")
    p.add_argument("--weights", default=None,
                   help="SAM weights (mobile_sam.pt, sam2.1_t.pt, sam2.1_s.pt, FastSAM-s.pt) "
                        "or 'grabcut'")
    p.add_argument("--json", action="store_true", help="print one JSON document")


def _numbers(text: str, count: int, what: str) -> list[float]:
    from penguin_studio.core.errors import UserError

    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != count:
        raise UserError(f"{what} '{text}' must be {count} numbers separated by commas.")
    return values


def _prompt(args: argparse.Namespace):
    from penguin_studio.core.errors import UserError
    from penguin_studio.core.smartbox.prompt import Prompt

    positive, negative = [], []
    for text in args.point:
        body, _, flag = text.partition(":")
        if flag not in ("", "neg", "pos"):
            raise UserError(f"--point '{text}': write X,Y or X,Y:neg.")
        (negative if flag == "neg" else positive).append(tuple(_numbers(body, 2, "--point")))
    box = tuple(_numbers(args.box, 4, "--box")) if args.box else None
    if not positive and box is None:
        raise UserError("Give --point X,Y on the object, or --box X1,Y1,X2,Y2 around it.")
    return Prompt(tuple(positive), tuple(negative), box)


def default_weights() -> str:
    from penguin_studio.core import appdirs
    from penguin_studio.core.smartbox.weights import GRABCUT

    path = appdirs.weights_dir() / "mobile_sam.pt"
    return str(path) if path.is_file() else GRABCUT


def run(args: argparse.Namespace) -> int:
    import sys

    from penguin_studio.core.smartbox.choice import load_for_smart_box, open_engine

    prompt = _prompt(args)
    image = load_for_smart_box(args.image)
    opened = open_engine(args.weights or default_weights())
    if opened.note:
        print(f"warning: {opened.note}", file=sys.stderr)
    result = opened.engine.propose(str(args.image), image, prompt)
    if args.json:
        doc = result.as_dict()
        doc.update(image=str(args.image), width=image.shape[1], height=image.shape[0],
                   note=opened.note)
        print(json.dumps(doc))
    elif result.box is None:
        print(f"no box ({result.engine}): {result.hint}")
    else:
        x0, y0, x1, y1 = result.box
        print(f"box {x0:.0f},{y0:.0f},{x1:.0f},{y1:.0f}  (engine: {result.engine}, "
              f"{result.seconds * 1000:.0f} ms)")
    return 0 if result.box is not None else 1
