"""Penguin Studio: from a folder of photos to a working object detector and back."""

__version__ = "0.1.0"
APP_NAME = "Penguin Studio"
