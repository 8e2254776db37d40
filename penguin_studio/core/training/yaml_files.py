"""The one reader of the YAML files a user hands to training: hyperparameters, search
spaces, architecture YAMLs, run and tuning configs.

Every failure is one :class:`UserError` line; YAML mistakes are told in plain words with
their line (``datayaml.yaml_error_message``, the words the data yaml uses too). Kept apart
from ``config`` so that ``architectures``, which ``config`` imports, can use it as well.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from penguin_studio.core.dataset.datayaml import load_yaml_text
from penguin_studio.core.errors import UserError, unreadable_reason


def read_yaml_file(path: Path, missing: str, unreadable: str) -> Any:
    """The parsed YAML of ``path``, or a one-line UserError: "``missing``: path" when it is
    absent, "``unreadable`` name: why" when it cannot be read, the YAML error with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{missing}: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{unreadable} {path.name}: {unreadable_reason(exc)}. Pick a YAML "
                        f"file (plain text, 'key: value' lines).") from exc
    return load_yaml_text(text, path.name)
