"""Datasets: the Ultralytics data yaml, YOLO labels, importers, exporters, checks.

Modules (import what you need; only the light ones are re-exported here):

* ``project``: open a yaml / folder → :class:`Dataset`; ``label_path_for``; ``create_project``
* ``datayaml``: the data yaml itself: read, resolve splits, write, a new project's yaml,
  the absolute copy ultralytics reads; YAML errors in plain words
* ``labels``: ``Box``, ``read_labels``, ``write_labels`` (atomic)
* ``images``: ``load_image_rgb`` / ``image_size`` exactly as ultralytics orients images
* ``index``: :class:`DatasetIndex` of every label (status, boxes, statistics), no decoding
* ``classes``: add / rename / reorder / delete / merge classes, crash-safe (``journal``)
* ``splits``: assign images to train/val/test, split tool, list files
* ``doctor``: ``run_doctor`` → findings; ``apply_safe_fixes`` (the fixing: ``fixes``)
* ``proposals``: model proposals to review (file format) and the review decisions
* ``coco``, ``voc``, ``yolozip``: importers and exporters
"""

from penguin_studio.core.dataset.project import Dataset, create_project, open_dataset

__all__ = ["Dataset", "create_project", "open_dataset"]
