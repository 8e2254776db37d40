"""A class is one colour everywhere: the editor, Detect's viewer and list, Live frames and
saved images (they used three palettes: a penguin was red, teal or pink by panel)."""

from __future__ import annotations

import numpy as np
import pytest

from penguin_studio.core.colors import class_bgr, class_rgb
from penguin_studio.core.inference import drawing, live_drawing
from penguin_studio.core.inference.filtering import Detections
from penguin_studio.core.inference.live import draw_detections as live_draw
from penguin_studio.ui.dataset.colors import class_color as editor_color
from penguin_studio.ui.detect import session
from penguin_studio.ui.widgets.class_toggles import ClassToggles

CLASSES = range(0, 40, 3)  # past the palette's length, where colours cycle darker


def _edge_colour_rgb(draw, class_id: int) -> tuple[int, int, int]:
    """The colour of a box's left edge as drawn into a white BGR frame."""
    image = np.full((120, 160, 3), 255, np.uint8)
    out = draw(image, Detections([[20, 40, 120, 110]], [0.9], [class_id]),
               [f"c{i}" for i in range(50)])
    b, g, r = (int(v) for v in out[80, 20])
    return r, g, b


@pytest.mark.parametrize("class_id", CLASSES)
def test_editor_detect_and_live_show_a_class_in_one_colour(qtbot, class_id: int) -> None:
    editor = editor_color(class_id).getRgb()[:3]
    toggles = ClassToggles()
    qtbot.addWidget(toggles)
    toggles.set_classes([f"c{i}" for i in range(class_id + 1)])
    icon = toggles.item(class_id).icon().pixmap(14, 14).toImage().pixelColor(7, 7)
    assert (icon.red(), icon.green(), icon.blue()) == editor  # Detect's class list
    assert session.class_color(class_id) == editor  # Detect's boxes on its canvas
    assert _edge_colour_rgb(live_draw, class_id) == editor  # Live frames and recordings
    assert _edge_colour_rgb(drawing.draw_detections, class_id) == editor  # saved images
    assert class_rgb(class_id) == editor and class_bgr(class_id) == editor[::-1]
    assert live_drawing.class_color(class_id) == editor[::-1]


def test_neighbouring_classes_and_a_second_turn_differ() -> None:
    colours = [class_rgb(k) for k in range(32)]
    assert len(set(colours)) == 32
    assert editor_color(16).getRgb()[:3] == editor_color(0).darker(125).getRgb()[:3]


def test_a_label_on_a_light_class_colour_uses_dark_ink() -> None:
    yellow = next(k for k in range(16) if sum(class_rgb(k)) > 450)
    image = np.full((120, 160, 3), 40, np.uint8)
    out = drawing.draw_detections(image, Detections([[20, 40, 120, 110]], [0.9], [yellow]),
                                  ["penguin"] * 16)
    tag = out[20:40, 20:80].reshape(-1, 3)
    assert (tag.sum(axis=1) < 60).any(), "the text on a yellow tag is dark"


@pytest.mark.parametrize("class_id", [10, 14])  # a yellow and a purple: the rules differed
def test_a_class_tag_uses_the_same_ink_in_the_editor_as_on_saved_images(qtbot, class_id):
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QFont, QImage, QPainter

    from penguin_studio.core.colors import ink_on
    from penguin_studio.ui.dataset.canvas_overlay import paint_tag

    image = QImage(200, 80, QImage.Format.Format_RGB32)
    image.fill(editor_color(class_id))
    painter = QPainter(image)
    paint_tag(painter, QRectF(10, 40, 150, 30), "WWWWWW", editor_color(class_id), QFont())
    painter.end()
    levels = [sum(image.pixelColor(x, y).getRgb()[:3]) for x in range(10, 90)
              for y in range(15, 40)]
    want_dark = ink_on(class_rgb(class_id)) == (0, 0, 0)
    assert (min(levels) < 150) if want_dark else (max(levels) > 700)
