"""Command line: the desktop app by default, and headless subcommands for the same jobs.

``penguin-studio [PATH]`` opens the window; ``penguin-studio train|val|predict|...`` runs the
core job without Qt. Each subcommand lives in ``penguin_studio/commands/<name>.py`` with
``add_parser(subparsers)`` and ``run(args) -> int``; their imports stay light so that
``--help`` is instant and the window starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from penguin_studio import APP_NAME, __version__

#: subcommand name → module under penguin_studio.commands
COMMANDS = ("sample", "train", "tune", "val", "predict", "count", "export", "doctor", "dataset",
            "prelabel", "models", "smartbox", "gui")

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="penguin-studio",
        description=f"{APP_NAME}: train and use object detectors on your own images.",
        epilog="Run 'penguin-studio COMMAND --help' for a command's options. "
        "Without a command, the desktop app opens (on PATH when given).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        _command_module(name).add_parser(sub)
    for command in sub.choices.values():  # module docstrings use ``code`` markup
        command.description = _plain(command.description)
        command.epilog = _plain(command.epilog)
    return parser


def _plain(text: str | None) -> str | None:
    return text.replace("``", "'") if text else text


def _command_module(name: str):
    return importlib.import_module(f"penguin_studio.commands.{name}")


def _route(argv: list[str]) -> list[str]:
    """Make ``penguin-studio [PATH] [--screenshot ...]`` mean ``penguin-studio gui ...``."""
    if not argv:
        return ["gui"]
    first = argv[0]
    if first in COMMANDS or first in ("-h", "--help", "--version"):
        return argv
    if first.startswith("-") or _looks_like_path(first):
        return ["gui", *argv]
    return argv  # an unknown word: argparse reports an invalid choice, exit 2


def _looks_like_path(text: str) -> bool:
    path = Path(text)
    return path.exists() or "/" in text or "\\" in text or bool(path.suffix) or text == "."


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(_route(argv))
    if args.command is None:
        parser.print_usage(sys.stderr)
        return EXIT_USAGE
    return run_command(args)


def run_command(args: argparse.Namespace) -> int:
    """Run a subcommand; a :class:`UserError` becomes one line on stderr and exit 1."""
    from penguin_studio.core.errors import Cancelled, UserError

    if args.command != "gui":  # the window shows dataset notices itself
        _print_dataset_warnings()
    try:
        return int(_command_module(args.command).run(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except Cancelled:
        print("cancelled", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _print_dataset_warnings() -> None:
    """Dataset notices (a yaml whose path: leads elsewhere) as ``warning: …`` on stderr."""
    import logging

    class StderrHandler(logging.StreamHandler):
        """Writes to the sys.stderr of the moment (tests and callers swap it)."""

        @property
        def stream(self):  # type: ignore[override]
            return sys.stderr

        @stream.setter
        def stream(self, _value) -> None:
            pass

    log = logging.getLogger("penguin_studio.dataset")
    if not any(type(h).__name__ == "StderrHandler" for h in log.handlers):
        handler = StderrHandler()
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        seen: set[str] = set()  # a command may open the dataset twice: say it once

        def first_time(record: logging.LogRecord) -> bool:
            text = record.getMessage()
            new = text not in seen
            seen.add(text)
            return new

        handler.addFilter(first_time)
        log.addHandler(handler)


if __name__ == "__main__":
    sys.exit(main())
