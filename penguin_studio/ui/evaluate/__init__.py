"""The Evaluate panel (``panel.py``: ``EvaluatePanel``) and its widgets: class table, curves,
confusion matrix, mistakes."""
