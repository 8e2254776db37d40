"""Widgets of the Live panel: the video view, the pipeline bridge and the side controls.

The panel itself (``ui/panels/live.py``) only assembles these; all detection work happens in
the Qt-free ``core.inference.live`` pipeline.
"""
