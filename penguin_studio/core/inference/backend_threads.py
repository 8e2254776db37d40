"""How many threads a frame's inference uses, for each backend, set before each predict.

Measured on the 2-core development CPU while other work kept it busy (load 8-10, yolov5nu
at 416 px, ms per frame, median of 15 frames, ultralytics' ``result.speed``): an OpenVINO
export spent 2-3 ms in ultralytics' torch pre- and post-processing with one torch thread and
**110-130 ms each** with two, because those tiny tensor ops then wait on an OpenMP barrier
with a thread the scheduler keeps descheduling. OpenVINO's own inference took 92-139 ms
with one thread and 128-175 ms with two. So:

* with an exported model torch only does the small pre/post-processing ops: one thread,
  always (they take about a millisecond);
* the count the :class:`~penguin_studio.core.inference.thread_chooser.ThreadChooser`
  measures goes to the backend that does the work: torch for a ``.pt``, OpenVINO's
  ``INFERENCE_NUM_THREADS`` for an OpenVINO export. OpenVINO fixes that count when a model
  is compiled, so one compiled model per count is kept and swapped in (compiling takes
  0.1-0.5 s; :meth:`Detector.warm_up` compiles each count the chooser will try).

ONNX Runtime also fixes its threads per session; it keeps its own default here (it is
never the fastest on the machines measured, so Automatic does not pick it).
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import Any

#: YOLO objects of OpenVINO exports → their per-thread-count compiled models.
_OPENVINO: weakref.WeakKeyDictionary[Any, OpenVinoThreads] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


class OpenVinoThreads:
    """The compiled models of one OpenVINO export, one per thread count, and the count the
    next prediction should use (0: leave ultralytics' own compiled model alone)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.count = 0
        self._compiled: dict[int, Any] = {}

    def compiled(self, count: int) -> Any:
        """The model compiled for ``count`` threads, in float32 (as the pinned one is)."""
        if count not in self._compiled:
            import openvino as ov

            xml = next(self.folder.glob("*.xml"))
            core = ov.Core()
            config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": ov.Type.f32,
                      "INFERENCE_NUM_THREADS": int(count)}
            model = core.read_model(str(xml), str(xml.with_suffix(".bin")))
            self._compiled[count] = core.compile_model(model, "CPU", config)
        return self._compiled[count]

    def apply(self, autobackend: Any) -> None:
        """``on_predict_start`` (after the precision pin): swap in the model for ``count``."""
        backend = getattr(autobackend, "backend", None)
        current = getattr(backend, "ov_compiled_model", None)
        if not self.count or current is None or current is self._compiled.get(self.count):
            return
        if list(current.get_property("EXECUTION_DEVICES")) != ["CPU"]:
            return  # a GPU/NPU picked by AUTO: its threads are OpenVINO's business
        backend.ov_compiled_model = self.compiled(self.count)


def register_openvino(model: Any, folder: Path) -> OpenVinoThreads:
    """Let :func:`set_threads` choose the thread count of this OpenVINO export."""
    state = OpenVinoThreads(folder)
    with _GUARD:
        _OPENVINO[model] = state
    model.add_callback("on_predict_start", lambda predictor: state.apply(predictor.model))
    return state


def set_threads(model: Any, backend: str, count: int) -> None:
    """Before a prediction of ``model`` (running on ``backend``): ``count`` threads for the
    inference itself, one torch thread when torch only pre- and post-processes."""
    import torch

    torch_threads = count if backend == "torch" else 1
    if torch.get_num_threads() != torch_threads:
        torch.set_num_threads(torch_threads)  # process-wide; other panels change it too
    with _GUARD:
        state = _OPENVINO.get(model)
    if state is not None:
        state.count = count
