"""Smart box: one click (or a rough drag) gives a tight box around the object under it.

Two engines answer the same question, "which box does this prompt mean?":

- :mod:`.grabcut` needs no weights (OpenCV GrabCut), so it works on any computer;
- :mod:`.sam` runs Segment Anything (MobileSAM, SAM 2.1, FastSAM) through ultralytics when
  the user has its weights, with the image embedding cached so each click only costs the
  prompt decoder.

:func:`.choice.open_engine` picks one from a weights setting and falls back to GrabCut
with a message when the weights cannot be used. Qt-free: the editor and the CLI share it.
"""

from penguin_studio.core.smartbox.prompt import Prompt, SmartBoxResult

__all__ = ["Prompt", "SmartBoxResult"]
