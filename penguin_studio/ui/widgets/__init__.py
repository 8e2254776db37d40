"""Widgets two or more panels share: the box canvas, the weights picker, 0–1 sliders, the class
filter, the backend combo, the job control, counting lines and zones, the elided label.

A widget used by one panel only lives in that panel's folder (``ui/<panel>/``)."""
