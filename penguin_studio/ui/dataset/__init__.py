"""The Dataset panel (``panel.py``: ``DatasetPanel``) and its parts: thumbnail browser,
annotation editor, classes, splits, doctor.

Everything here is Qt; the data work (labels, classes, splits, checks, import/export) is done
by ``penguin_studio.core.dataset`` and only called from here.
"""
