"""The Train panel (``panel.py``: ``TrainPanel``) and its parts: wizard pages, live monitor,
supervisor thread, history, models.

Each module is one piece of the panel; the training itself is in
``penguin_studio.core.training`` and runs in a child process.
"""
