"""Widgets of the Evaluate panel: class table, curves, confusion matrix, mistakes."""
