"""Datasets: the Ultralytics data yaml, YOLO labels, importers, exporters, checks."""

from penguin_studio.core.dataset.project import Dataset, open_dataset

__all__ = ["Dataset", "open_dataset"]
