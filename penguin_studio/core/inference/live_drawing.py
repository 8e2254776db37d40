"""Live frames are drawn by :func:`.drawing.draw_detections`, the one drawing function.

Kept so existing imports work: ``class_color`` here is the BGR view of the one palette
(:func:`penguin_studio.core.colors.class_bgr`), as Live's OpenCV frames want it.
"""

from __future__ import annotations

from penguin_studio.core.colors import class_bgr as class_color
from penguin_studio.core.inference.drawing import draw_detections

__all__ = ["class_color", "draw_detections"]
