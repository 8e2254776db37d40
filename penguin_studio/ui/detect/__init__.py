"""The Detect panel (``panel.py``: ``DetectPanel``) and its parts: the run session, counts,
output folder and video tracking.

Widgets Detect shares with Evaluate or Live (the box canvas, weights picker, sliders, class
filter, backend combo, job control) are in ``ui/widgets``."""
