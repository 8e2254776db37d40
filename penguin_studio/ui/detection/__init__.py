"""Widgets of the Detect panel (and the image-with-boxes view Evaluate reuses)."""
