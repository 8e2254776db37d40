"""The label status of an image, in its own tiny module.

Kept apart from :mod:`~penguin_studio.core.dataset.index` (which pulls numpy in) so the
window can use the same values at start-up without paying for numpy.
"""

from __future__ import annotations

from enum import Enum


class LabelStatus(str, Enum):
    """What an image's label file says about it."""

    LABELLED = "labelled"  # a label file with at least one box
    BACKGROUND = "background"  # an empty label file: "nothing to find here", on purpose
    UNLABELLED = "unlabelled"  # no label file: not annotated yet
    ERROR = "error"  # a label file that cannot be parsed (left untouched)
