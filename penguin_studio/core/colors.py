"""Class colours: one palette for the editor, Detect, Live, saved images and recordings.

A class is one colour everywhere the app shows it, so a penguin boxed in the editor is the
same colour in Detect's viewer, a live frame and an annotated copy on disk. The palette is
chosen to read on the dark canvas and on light thumbnails; ids beyond it cycle, each turn a
little darker so class 0 and class 16 still differ. Views: :func:`class_rgb` (Qt, Pillow,
plots), :func:`class_bgr` (OpenCV frames), :func:`class_hex`; the QColor view is
``ui.dataset.colors.class_color``.
"""

from __future__ import annotations

_HEX = (
    "#ff6b6b", "#4dabf7", "#ffd43b", "#51cf66", "#cc5de8", "#ff922b", "#20c997", "#f06595",
    "#94d82d", "#748ffc", "#fcc419", "#22b8cf", "#e64980", "#82c91e", "#7950f2", "#fd7e14",
)
#: The base colours (RGB), class 0 first.
PALETTE: tuple[tuple[int, int, int], ...] = tuple(
    (int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)) for h in _HEX)


def class_rgb(class_id: int) -> tuple[int, int, int]:
    """The (r, g, b) colour of a class id."""
    class_id = int(class_id)
    r, g, b = PALETTE[class_id % len(PALETTE)]
    turn = class_id // len(PALETTE)
    if turn <= 0:
        return r, g, b
    # darker by 100 + 25·turn percent, as QColor.darker does (same hue and saturation)
    factor = 100 / (100 + 25 * turn)
    return round(r * factor), round(g * factor), round(b * factor)


def class_bgr(class_id: int) -> tuple[int, int, int]:
    """The same colour in OpenCV's (b, g, r) order."""
    r, g, b = class_rgb(class_id)
    return b, g, r


def ink_on(color: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white text for a label filled with ``color`` (either channel order): dark
    ink on the palette's yellows and light greens, where white would not read."""
    return (0, 0, 0) if sum(color) > 450 else (255, 255, 255)


def class_hex(class_id: int) -> str:
    """The same colour as ``#rrggbb``."""
    return "#{:02x}{:02x}{:02x}".format(*class_rgb(class_id))
