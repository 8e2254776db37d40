"""`penguin-studio train`: not built yet (see the open issues)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("train", help="(coming soon)")


def run(args: argparse.Namespace) -> int:
    from penguin_studio.core.errors import UserError

    raise UserError("'train' is not available in this version yet.")
