"""The editor's Smart box tool (``S``): a click or a rough drag becomes a tight box.

The engines live in ``core/smartbox``; this module only turns gestures into prompts, runs
the engine off the GUI thread and shows or commits what comes back:

- click on an object: a box of the current class (with *auto-accept*, the default, it is
  committed at once through the undo stack; otherwise it is a preview until ``Enter``, and
  more clicks add points to it); ``Shift``-click adds a background point that shrinks the
  last box (auto-accept) or the preview;
- drag a rough box around an object: it snaps to the object;
- click inside a pending proposal: the proposal is accepted, tightened to the object;
- ``Esc`` discards the preview, or leaves the tool.

The mask's outline is drawn faintly under the box, so the user sees what the engine found.
All engine work (opening SAM weights, embedding an image, decoding a click) runs in a
one-thread pool, queued jobs by priority (opening, then clicks, then the image on screen,
then the next one); the image embedding starts as soon as an image opens (and the next
image of the queue after it), so a click costs only the prompt decoder. The next image's
embedding, when it is running, gives way to a click on this one.
"""

from __future__ import annotations

import inspect
import itertools
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPen, QPolygonF

from penguin_studio.core.smartbox.prompt import Prompt, SmartBoxResult
from penguin_studio.ui.dataset import canvas_geometry as geo
from penguin_studio.ui.dataset import undo_commands
from penguin_studio.ui.settings import app_settings
from penguin_studio.ui.widgets.smart_box_weights import chosen_weights

if TYPE_CHECKING:
    from penguin_studio.ui.dataset.editor import AnnotationEditor

AUTO_ACCEPT_KEY = "smart_box/auto_accept"
DRAG_PX = 5           # a press that moves further than this is a rough drag, not a click
DECODED_IMAGES = 2    # decoded photos kept by the worker (an 8000×6000 one is 144 MB)
# queued jobs run highest first: a click never waits behind queued embeddings, and the
# image on screen is embedded before the next one of the queue; the next image's embedding,
# when it is already running, gives way (stops within one encoder layer and is queued
# again) to a click or to the embedding of another image put on screen; opening the engine
# goes first, as every other job needs it
OPEN, CLICK, CURRENT, PREFETCH = 3, 2, 1, 0
OUTLINE = QColor(255, 255, 255, 110)
RUBBER = QColor("#ffd43b")


class _Signals(QObject):
    opened = Signal(object, object, object)   # engine, name, note
    embedded = Signal(str, float)             # key, seconds
    gave_way = Signal(str)                    # key of a prefetch stopped for a click
    proposed = Signal(int, object)            # request id, SmartBoxResult
    failed = Signal(str, str)                 # key, reason (the image cannot be decoded)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], None]) -> None:
        super().__init__()
        self.fn = fn

    def run(self) -> None:  # noqa: D401 - Qt override
        self.fn()


class SmartBoxWorker(QObject):
    """Runs the engine in one background thread, jobs in order; results come as signals."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.signals = _Signals()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._engine: Any = None
        self._images: OrderedDict[str, Any] = OrderedDict()  # touched only in the worker
        self._closing = False
        self._prefetching: str | None = None  # key of the prefetch running now, if any

    def _submit(self, fn: Callable[[], None], priority: int = CURRENT) -> None:
        if not self._closing:
            self._pool.start(_Job(fn), priority)

    def open(self, weights: str) -> None:
        def job() -> None:
            from penguin_studio.core.smartbox.choice import open_engine

            try:
                opened = open_engine(weights)
            except Exception as exc:  # torch/ultralytics failures of any kind: still a box
                opened = open_engine("grabcut")
                opened.note = (f"{Path(weights).name} could not be opened "
                               f"({type(exc).__name__}: {exc}). Using GrabCut instead.")
            self._engine = opened.engine
            self.signals.opened.emit(opened.engine, opened.engine.name, opened.note)
        self._submit(job, OPEN)

    def embed(self, key: str, priority: int = CURRENT) -> None:
        background = priority == PREFETCH

        def job() -> None:
            engine = self._engine
            if engine is None or not engine.needs_embedding or engine.cached(key):
                return
            image = self._image(key)
            if image is None:
                return
            import time

            start = time.perf_counter()
            self._prefetching = key if background else None
            try:
                done = engine.embed(key, image, background=background)
            finally:
                self._prefetching = None
            if done:
                self.signals.embedded.emit(key, time.perf_counter() - start)
            else:  # it gave way to a click: again once the click is answered
                self.signals.gave_way.emit(key)
                self.embed(key, PREFETCH)
        if not background:
            self._make_way(key)
        self._submit(job, priority)

    def _make_way(self, key: str) -> None:
        """Stop the prefetch of another image that holds the model (GUI thread): what the
        user waits for (a click, the image on screen) comes first. Asked also when no
        prefetch seems to run (one may be starting this instant); the engine forgets the
        request at its next foreground call."""
        engine = self._engine
        if engine is not None and self._prefetching != key:
            engine.give_way()

    def propose(self, request: int, key: str, prompt: Prompt) -> None:
        def job() -> None:
            image = self._image(key)
            if image is None or self._engine is None:
                return
            try:
                result = self._engine.propose(key, image, prompt)
            except Exception as exc:  # keep the editor alive whatever the engine does
                result = SmartBoxResult(None, self._engine.name,
                                        hint=f"Smart box failed: {type(exc).__name__}: {exc}")
            self.signals.proposed.emit(request, result)
        self._make_way(key)
        self._submit(job, CLICK)

    def _image(self, key: str) -> Any:
        from penguin_studio.core.errors import UserError
        from penguin_studio.core.smartbox.choice import load_for_smart_box

        if key in self._images:
            self._images.move_to_end(key)
            return self._images[key]
        try:
            image = load_for_smart_box(Path(key))
        except UserError as exc:
            self.signals.failed.emit(key, str(exc))
            return None
        self._images[key] = image
        while len(self._images) > DECODED_IMAGES:
            self._images.popitem(last=False)
        return image

    @property
    def busy(self) -> bool:
        return self._pool.activeThreadCount() > 0

    def shutdown(self) -> None:
        self._closing = True
        self._pool.clear()
        self._pool.waitForDone(30000)


class SmartBoxTool(QObject):
    """The ``S`` tool of one editor: gestures on its canvas in, boxes out (see module doc)."""

    active_changed = Signal(bool)
    engine_changed = Signal(str)
    result_shown = Signal(object)  # SmartBoxResult of the latest click (tests, status)

    def __init__(self, editor: AnnotationEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.canvas = editor.canvas
        self.worker = SmartBoxWorker(self)
        self.worker.signals.opened.connect(self._opened)
        self.worker.signals.proposed.connect(self._proposed)
        self.worker.signals.failed.connect(self._failed)
        self.active = False
        self.auto_accept = str(app_settings().value(AUTO_ACCEPT_KEY, "true")).lower() == "true"
        self.engine_name = ""
        self.weights: str | None = None
        self.preview: SmartBoxResult | None = None
        self.outline: list = []
        self.disabled: dict[str, str] = {}  # image key → why the tool is off for it
        self._prompt: Prompt | None = None
        self._target: tuple[str, int] | None = None  # ("box"|"proposal", index) to refine
        self._press: QPointF | None = None
        self._rubber: QRectF | None = None
        self._requests = itertools.count(1)
        self._latest = 0
        self._action = None
        self.canvas.viewport().installEventFilter(self)
        self.canvas.installEventFilter(self)
        self.canvas.overlays.append(self.paint)
        editor.image_shown.connect(self._image_shown)
        self.canvas.drawing_armed.connect(self._drawing_armed)

    @property
    def outline(self) -> list:
        """The mask's contours (image pixels) drawn faintly under the box."""
        return self._outline

    @outline.setter
    def outline(self, contours: list) -> None:
        # built once per result: a paint then only maps them (Python loops over the
        # points on every repaint cost 15-35 ms of the GUI thread on the loaded machine)
        self._outline = contours
        self._polygons = [QPolygonF([QPointF(x, y) for x, y in c.tolist()]) for c in contours]

    def _drawing_armed(self, on: bool) -> None:
        if on and self.active:
            self.set_active(False)  # W: drawing by hand replaces the smart box tool

    # ----- actions and state --------------------------------------------------------------
    def add_actions(self, action: Callable[..., Any]) -> None:
        self._action = action("smart", "Smart box", "S", self.toggle,
                              "Smart box: click an object (Shift-click: background), or drag "
                              "roughly around it")
        self._action.setCheckable(True)

    def toggle(self) -> None:
        self.set_active(not self.active)

    def set_active(self, on: bool) -> None:
        if on and self.canvas.refuse_edit():
            on = False
        if on and self.canvas.armed:
            self.canvas.arm_drawing(False)
        self.active = on
        if not on:
            self.discard()
        if self._action is not None:
            self._action.setChecked(on)
        self.canvas.viewport().setCursor(Qt.CursorShape.CrossCursor if on
                                         else Qt.CursorShape.ArrowCursor)
        self.active_changed.emit(on)
        if on:
            self._ensure_engine()
            self._say(self._ready_text(), 4000)

    def _ready_text(self) -> str:
        key = self._key()
        if key in self.disabled:
            return f"Smart box is off for this image: {self.disabled[key]}"
        engine = self.engine_name or "loading…"
        mode = "each click adds a box" if self.auto_accept else "Enter accepts, Esc discards"
        return (f"Smart box ({engine}): click an object, Shift-click background, or drag "
                f"roughly around it; {mode}.")

    def _ensure_engine(self) -> None:
        weights = chosen_weights()
        if weights != self.weights:
            self.weights = weights
            self.engine_name = ""
            self.worker.open(weights)
            key = self._key()
            if key:
                self.worker.embed(key)

    def _opened(self, _engine: object, name: str, note: str | None) -> None:
        self.engine_name = name
        self.engine_changed.emit(name)
        if note:
            self._say(f"Smart box: {note}", 10000)

    def _image_shown(self, path: Path) -> None:
        """Embed the image (and the next one) as soon as it opens, while the user looks."""
        self.discard()
        self.outline = []
        if self.active:
            self.canvas.viewport().setCursor(Qt.CursorShape.CrossCursor)
        if self.weights is None and chosen_weights() != "grabcut":
            self._ensure_engine()
        if self.weights is None:
            return
        self.worker.embed(str(path))
        editor = self.editor
        if 0 <= editor.index + 1 < len(editor.sequence):
            self.worker.embed(str(editor.sequence[editor.index + 1].path), PREFETCH)

    def _key(self) -> str:
        record = self.editor.current_record
        return "" if record is None else str(record.path)

    def _say(self, text: str, ms: int) -> None:
        self.editor.status_message.emit(text, ms)

    # ----- gestures -----------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if not self.active:
            return False
        kind = event.type()
        if watched is self.canvas and kind in (QEvent.Type.ShortcutOverride,
                                               QEvent.Type.KeyPress):
            return self._key_event(event, kind)  # type: ignore[arg-type]
        if watched is not self.canvas.viewport():
            return False
        if kind == QEvent.Type.MouseButtonPress:
            return self._mouse_press(event)  # type: ignore[arg-type]
        if kind == QEvent.Type.MouseMove and self._press is not None:
            self._mouse_move(event)  # type: ignore[arg-type]
            return True
        if kind == QEvent.Type.MouseButtonRelease and self._press is not None:
            self._mouse_release(event)  # type: ignore[arg-type]
            return True
        return False

    def _key_event(self, event: QKeyEvent, kind: QEvent.Type) -> bool:
        key = event.key()
        enter = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.preview is not None
        if not enter and key != Qt.Key.Key_Escape:
            return False
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # these keys are ours while the tool is on
            return True
        if enter:
            self.accept()
        elif self.preview is not None or self._prompt is not None:
            self.discard()
            self._say("Smart box preview discarded.", 2000)
        else:
            self.set_active(False)
        return True

    def _mouse_press(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False  # middle-button pan and the wheel keep working
        self.canvas.setFocus(Qt.FocusReason.MouseFocusReason)
        if self.canvas.image_size is None or not self.canvas.editable:
            return True
        self._press = event.position()
        self._rubber = None
        return True

    def _mouse_move(self, event: QMouseEvent) -> None:
        start, pos = self._press, event.position()
        assert start is not None
        if (pos - start).manhattanLength() > DRAG_PX and self.canvas.image_size is not None:
            w, h = self.canvas.image_size
            self._rubber = QRectF(geo.clamp_point(self.canvas.to_image(start), w, h),
                                  geo.clamp_point(self.canvas.to_image(pos), w, h)).normalized()
        self.canvas.viewport().update()

    def _mouse_release(self, event: QMouseEvent) -> None:
        start, rubber = self._press, self._rubber
        self._press, self._rubber = None, None
        self.canvas.viewport().update()
        if start is None or self.canvas.image_size is None:
            return
        if rubber is not None:
            if geo.big_enough(rubber):
                box = (rubber.left(), rubber.top(), rubber.right(), rubber.bottom())
                self._run(Prompt(box=box), None)
            return
        point = self.canvas.to_image(start)
        w, h = self.canvas.image_size
        if not (0 <= point.x() < w and 0 <= point.y() < h):
            return  # outside the image: nothing to find
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._click((point.x(), point.y()), shift)

    def _click(self, xy: tuple[float, float], background: bool) -> None:
        prompt = self._prompt
        if background:
            if prompt is None:
                self._say("Shift-click marks background: click the object first.", 4000)
                return
            self._run(Prompt(prompt.positive, (*prompt.negative, xy), prompt.box),
                      self._target)
            return
        if self.preview is not None and not self.auto_accept and prompt is not None:
            self._run(Prompt((*prompt.positive, xy), prompt.negative, prompt.box), self._target)
            return
        hit = self._proposal_at(xy)
        if hit is not None:
            index, box = hit
            self._run(Prompt(positive=(xy,), box=box), ("proposal", index))
            return
        self._run(Prompt(positive=(xy,)), None)

    def _proposal_at(self, xy: tuple[float, float]) -> tuple[int, tuple] | None:
        """The smallest pending proposal under an image point, with its pixel box."""
        w, h = self.canvas.image_size  # type: ignore[misc]
        best = None
        for index, box, _conf in self.canvas.proposals:
            rect = geo.box_rect(box, w, h)
            if rect.contains(QPointF(*xy)):
                area = rect.width() * rect.height()
                if best is None or area < best[0]:
                    best = (area, index, (rect.left(), rect.top(), rect.right(), rect.bottom()))
        return None if best is None else (best[1], best[2])

    def _run(self, prompt: Prompt, target: tuple[str, int] | None) -> None:
        key = self._key()
        if not key:
            return
        if key in self.disabled:
            self._say(f"Smart box is off for this image: {self.disabled[key]}", 6000)
            return
        self._ensure_engine()
        self._prompt, self._target = prompt, target
        self._latest = next(self._requests)
        self.worker.propose(self._latest, key, prompt)

    # ----- results ------------------------------------------------------------------------
    def _proposed(self, request: int, result: SmartBoxResult) -> None:
        if request != self._latest or not self.active:
            return  # a newer click, another image, or the tool was left meanwhile
        self.result_shown.emit(result)
        if result.box is None:
            self.preview = None
            self._say(result.hint or "No object found here.", 5000)
            self.canvas.viewport().update()
            return
        self.preview = result
        self.outline = result.outline
        target = self._target
        if target is not None and target[0] == "proposal":
            self._commit(result)  # accept-and-tighten: always one act
        elif self.auto_accept or (target is not None and target[0] == "box"):
            self._commit(result)
        else:
            self._say(f"Smart box ({result.engine}): Enter accepts, Esc discards, "
                      f"Shift-click shrinks.", 5000)
        self.canvas.viewport().update()

    def _commit(self, result: SmartBoxResult) -> None:
        doc, size = self.canvas.doc, self.canvas.image_size
        if doc is None or size is None or result.box is None or self.canvas.refuse_edit():
            return
        w, h = size
        x0, y0, x1, y1 = result.box
        rect = QRectF(QPointF(x0, y0), QPointF(x1, y1))
        target = self._target
        if target is not None and target[0] == "proposal":
            cls = next((b.cls for i, b, _c in self.canvas.proposals if i == target[1]),
                       self.canvas.current_class)
            self.canvas.proposal_adjusted.emit(target[1], geo.rect_box(cls, rect, w, h))
            self._target = None
        elif target is not None and target[0] == "box" and target[1] < len(doc.boxes):
            cls = doc.boxes[target[1]].cls
            undo_commands.replace_box(doc, target[1], geo.rect_box(cls, rect, w, h),
                                      "Smart box: shrink")
        else:
            _add_box(doc, geo.rect_box(self.canvas.current_class, rect, w, h))
            self._target = ("box", len(doc.boxes) - 1)  # Shift-click now shrinks this one
        self.preview = None
        self._say(f"Box from {result.engine} ({result.seconds * 1000:.0f} ms).", 3000)

    def accept(self) -> None:
        if self.preview is not None:
            self._commit(self.preview)
            self._prompt = None
        self.canvas.viewport().update()

    def discard(self) -> None:
        self.preview = None
        self.outline = []
        self._prompt, self._target = None, None
        self._latest = next(self._requests)  # results still on their way are dropped
        self.canvas.viewport().update()

    def _failed(self, key: str, reason: str) -> None:
        self.disabled[key] = reason
        if key == self._key():
            self._say(f"Smart box is off for this image: {reason}", 8000)

    def shutdown(self) -> None:
        self.worker.shutdown()

    # ----- painting -----------------------------------------------------------------------
    def paint(self, painter: QPainter) -> None:
        """Faint mask outline, the preview box (dashed) and the rubber band of a drag."""
        canvas = self.canvas
        if canvas.image_size is None:
            return
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        transform = canvas.viewportTransform()
        if self._polygons:
            pen = QPen(OUTLINE, 1)
            pen.setCosmetic(True)  # Qt's fast line path: a 1.2 px pen took 7x longer
            painter.setPen(pen)
            # an outline, never a fill: a brush left by the canvas's own painting made Qt
            # fill each ragged mask (0.4 s of the GUI thread for one)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for polygon in self._polygons:
                painter.drawPolygon(transform.map(polygon))
        if self.preview is not None and self.preview.box is not None:
            x0, y0, x1, y1 = self.preview.box
            rect = canvas.to_view(QRectF(QPointF(x0, y0), QPointF(x1, y1)))
            pen = QPen(QColor("#69db7c"), 2, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawRect(rect)
            text = f"{self.preview.engine} · Enter accepts · Esc discards · Shift-click shrinks"
            metrics = painter.fontMetrics()
            tag = QRectF(rect.left(), rect.bottom() + 3, metrics.horizontalAdvance(text) + 8,
                         metrics.height() + 4)
            painter.fillRect(tag, QColor(0, 0, 0, 170))
            painter.setPen(QColor("#69db7c"))
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)
        if self._rubber is not None:
            painter.setPen(QPen(RUBBER, 1.5, Qt.PenStyle.DashLine))
            painter.drawRect(canvas.to_view(self._rubber))
        painter.restore()


def _add_box(doc: Any, box: Any) -> None:
    """Add through the undo stack, counted as a smart-box click where effort is counted."""
    if "effort" in inspect.signature(undo_commands.add_box).parameters:
        undo_commands.add_box(doc, box, effort="smartbox")
    else:
        undo_commands.add_box(doc, box)
