"""The Live panel (``panel.py``: ``LivePanel``) and its widgets: the video view, the pipeline
bridge and the side controls.

The panel only assembles these (and the shared ones in ``ui/widgets``); all detection work
happens in the Qt-free ``core.inference.live`` pipeline.
"""
