"""Which weights the editor's Smart box uses, remembered in the settings file.

Two panels share the choice: the Models… dialog (Train) sets it and the annotation editor
(Dataset) reads it, so it lives here rather than in either panel's folder.
"""

from __future__ import annotations

from penguin_studio.core.smartbox.weights import GRABCUT
from penguin_studio.ui.settings import app_settings

WEIGHTS_KEY = "smart_box/weights"


def chosen_weights() -> str:
    """The SAM weights chosen in Models… ("grabcut" when none)."""
    return str(app_settings().value(WEIGHTS_KEY, GRABCUT) or GRABCUT)


def choose_weights(value: str) -> None:
    """Remember ``value`` (a weights path or "grabcut") for the next Smart box session."""
    settings = app_settings()
    settings.setValue(WEIGHTS_KEY, value)
    settings.sync()
