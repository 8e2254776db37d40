"""Evaluation: ultralytics' validation figures, curves, and where the model is wrong."""

from penguin_studio.core.evaluation.matching import (
    DEFAULT_CONF,
    DEFAULT_MATCH_IOU,
    ImageErrors,
    confusion_matrix,
    image_errors,
    match_image,
)
from penguin_studio.core.evaluation.results import ClassMetrics, Curve, EvaluatedImage, Evaluation
from penguin_studio.core.evaluation.validate import evaluate, ultralytics_data_yaml

__all__ = [
    "DEFAULT_CONF", "DEFAULT_MATCH_IOU", "ClassMetrics", "Curve", "Evaluation", "ImageErrors",
    "EvaluatedImage", "confusion_matrix", "evaluate", "image_errors", "match_image",
    "ultralytics_data_yaml",
]
