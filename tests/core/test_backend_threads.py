"""The chosen thread count goes to the backend that does the work; torch keeps one thread
for an export's pre- and post-processing (see core/inference/backend_threads.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from penguin_studio.core.inference import backends
from penguin_studio.core.inference.backend_threads import _OPENVINO
from penguin_studio.core.inference.detector import load_detector

pytestmark = pytest.mark.slow


@pytest.mark.skipif(backends.unavailable_reason(backends.OPENVINO) != "",
                    reason="OpenVINO is not installed here")
def test_openvino_runs_with_the_count_asked_and_one_torch_thread(tiny_weights: Path) -> None:
    import openvino as ov
    import torch

    detector = load_detector(tiny_weights, backend=backends.OPENVINO)
    assert detector.backend == backends.OPENVINO, detector.backend_note
    frame = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    runs = {}
    for count in (1, 2):
        runs[count] = detector.raw(frame, count)
        compiled = detector.model.predictor.model.backend.ov_compiled_model
        assert int(compiled.get_property("INFERENCE_NUM_THREADS")) == count
        assert str(compiled.get_property("INFERENCE_PRECISION_HINT")) == str(ov.Type.f32)
        assert torch.get_num_threads() == 1
    assert _OPENVINO[detector.model].compiled(1) is not _OPENVINO[detector.model].compiled(2)
    assert len(runs[1]) == len(runs[2]) > 0
    assert np.allclose(runs[1].conf, runs[2].conf, atol=1e-4)
    assert np.allclose(runs[1].xyxy, runs[2].xyxy, atol=1e-2)


def test_torch_takes_the_count_itself(tiny_weights: Path) -> None:
    import torch

    detector = load_detector(tiny_weights)
    frame = np.zeros((120, 160, 3), dtype=np.uint8)
    before = torch.get_num_threads()
    try:
        for count in (1, 2):
            detector.raw(frame, count)
            assert torch.get_num_threads() == count
    finally:
        torch.set_num_threads(before)
