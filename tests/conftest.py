"""Shared test set-up: offscreen Qt, an isolated app home, tiny generated datasets.

Every test runs with ``PENGUIN_STUDIO_HOME`` in a temporary folder, so settings, weights and
the sample project never touch the developer's own. Engine tests train real (tiny) models:
``tiny_dataset`` is a dozen generated images, ``tiny_weights`` one epoch at imgsz 64, made
once per session and shared.
"""

from __future__ import annotations

import gc
import os
import shutil
import threading
from pathlib import Path

import pytest
from threads import describe, new_threads

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
# The app's default backend is Automatic (export + timing on first use of a model); the
# panel tests pin PyTorch, tests of the backends themselves choose theirs explicitly.
os.environ.setdefault("PENGUIN_STUDIO_BACKEND", "torch")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("penguin-home")
    os.environ["PENGUIN_STUDIO_HOME"] = str(home)
    return home


@pytest.fixture(autouse=True)
def _no_leaked_threads(monkeypatch: pytest.MonkeyPatch):
    """Fail a test that leaves a Python thread or a QThread running (as napari's suite does):
    a leaked capture or training thread would run on into the next test. Checked after every
    other fixture of the test has torn down (this one is set up first)."""
    before = {t.ident for t in threading.enumerate()}
    started = _record_qthread_starts(monkeypatch)
    yield
    leaked = [describe(t) for t in new_threads(before, grace_s=2.0)]
    leaked += [f"QThread {type(t).__qualname__}" for t in started
               if _still_running(t, grace_ms=2000)]
    if leaked:
        pytest.fail(f"the test left threads running: {', '.join(leaked)}", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _no_automatic_gc():
    """As in the app (penguin_studio/ui/gui_gc.py): the cyclic collector never runs in a
    worker thread, where destroying a dead test's widgets deadlocks with the GUI thread."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def _collect_on_the_main_thread():
    """Each test's garbage dies on the main thread at its end (torn down before the thread
    check); what survives is frozen, so the next collection scans only the new objects."""
    yield
    gc.disable()  # whatever a library did to it (ultralytics' cache loader is wrapped)
    gc.collect()
    gc.freeze()


def _record_qthread_starts(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every QThread started during the test (Qt has no list of running threads)."""
    try:
        from PySide6.QtCore import QThread
    except ImportError:
        return []
    started: list = []
    original = QThread.start

    def start(self, *args):
        started.append(self)
        return original(self, *args)

    monkeypatch.setattr(QThread, "start", start)
    return started


def _still_running(thread, grace_ms: int) -> bool:
    try:
        return thread.isRunning() and not thread.wait(grace_ms)
    except RuntimeError:  # its C++ object is deleted: it is not running
        return False


@pytest.fixture(scope="session")
def app_home(_isolated_home: Path) -> Path:
    return _isolated_home


@pytest.fixture
def fresh_home(_isolated_home: Path, tmp_path_factory: pytest.TempPathFactory,
               monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty app home for this test only: no weights, settings or runs of other tests.

    The session home is shared, so a test that downloads or imports weights there changes
    what a later test finds ("no pretrained weights on this computer"). A test that writes
    to the home, or assumes it is empty, uses this one instead. ``engine.configure`` runs
    first: it fixes ``YOLO_CONFIG_DIR`` for the whole process, which stays the session's."""
    from penguin_studio.core import engine

    engine.configure()
    home = tmp_path_factory.mktemp("fresh-home")
    monkeypatch.setenv("PENGUIN_STUDIO_HOME", str(home))
    return home


def shared_dataset(name: str) -> Path:
    """A dataset from ../shared/data, or skip the test when it is absent (a fresh clone)."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"../shared/data/{name} is not present")
    return path


@pytest.fixture(scope="session")
def tiny_dataset_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-image generated penguin dataset (do not modify: copy it with ``tiny_dataset``)."""
    from penguin_studio.core.sample import generate_sample

    root = tmp_path_factory.mktemp("tiny-master") / "penguins"
    generate_sample(root, images=12, seed=7)
    return root


@pytest.fixture
def tiny_dataset(tiny_dataset_master: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the tiny dataset; returns its data.yaml."""
    root = tmp_path / "penguins"
    shutil.copytree(tiny_dataset_master, root)
    data_yaml = root / "data.yaml"
    text = data_yaml.read_text(encoding="utf-8")
    data_yaml.write_text(text.replace(str(tiny_dataset_master), str(root)), encoding="utf-8")
    return data_yaml


@pytest.fixture(scope="session")
def tiny_weights(tiny_dataset_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """best.pt of a 1-epoch yolov8n from scratch at imgsz 64 on the tiny dataset."""
    from penguin_studio.core import engine

    ul = engine.ultralytics_module()
    project = tmp_path_factory.mktemp("tiny-run")
    model = ul.YOLO("yolov8n.yaml")
    model.train(data=str(tiny_dataset_master / "data.yaml"), epochs=1, imgsz=64, batch=4,
                device="cpu", workers=0, project=str(project), name="run", exist_ok=True,
                plots=False, verbose=False, amp=False)
    weights = project / "run" / "weights" / "best.pt"
    assert weights.exists()
    return weights


@pytest.fixture
def open_dataset_panel(qtbot):
    """Open a Dataset panel on a data yaml, shown and indexed (``indexed=False``: returned
    as soon as the dataset is shown, before its label index is read); ``panel.errors``
    collects the error messages it shows. Every panel opened is shut down after the test,
    just before pytest-qt closes and deletes it (that runs before any fixture teardown: a job
    ending after the deletion would write to deleted widgets)."""
    from penguin_studio.ui.context import AppContext
    from penguin_studio.ui.dataset.panel import DatasetPanel

    def shut(panel) -> None:
        panel.shutdown()
        panel.context.shutdown()

    def open_panel(data: Path, indexed: bool = True):
        context = AppContext()
        panel = DatasetPanel(context)
        qtbot.addWidget(panel, before_close_func=shut)
        panel.resize(1200, 800)
        panel.show()
        qtbot.waitExposed(panel)
        with qtbot.waitSignal(context.dataset_changed, timeout=20000):
            context.open_path(data)
        if indexed:
            qtbot.waitUntil(lambda: panel.index is not None
                            and not panel.proposal_tools.busy, timeout=20000)
        panel.errors = []
        context.error.connect(lambda _t, msg: panel.errors.append(msg))
        return panel

    return open_panel
