"""The model manager against a local HTTP server: resume after a drop, checksum, import."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from penguin_studio.core import appdirs
from penguin_studio.core.errors import Cancelled, UserError
from penguin_studio.core.jobs import JobContext
from penguin_studio.core.training import models

NAME = "yolo11n.pt"


@pytest.fixture(autouse=True)
def _own_home(fresh_home: Path) -> Path:
    """Downloads and imports land in this test's own home, never in the shared one where a
    later test expects no pretrained weights (tests/ui/test_training_stale_state.py)."""
    return fresh_home


class _Server:
    """Serves one file with Range support; ``drop_after`` cuts the first answer short."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.drop_after: int | None = None
        self.requests: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                server.requests.append(self.headers.get("Range"))
                if self.path != f"/{NAME}":
                    self.send_error(404)
                    return
                payload = server.payload
                start = 0
                match = re.match(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if match:
                    start = int(match.group(1))
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(payload) - 1}/"
                                                      f"{len(payload)}")
                else:
                    self.send_response(200)
                body = payload[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.drop_after is not None:
                    cut, server.drop_after = server.drop_after, None
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def checkpoint(tiny_weights: Path) -> bytes:
    return tiny_weights.read_bytes()  # a real checkpoint this test session trained


@pytest.fixture
def server(checkpoint: bytes, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    srv = _Server(checkpoint)
    srv.thread.start()
    monkeypatch.setenv(models.BASE_URL_ENV, srv.url)
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def test_download_resumes_after_a_dropped_connection(server: _Server, checkpoint: bytes) -> None:
    server.drop_after = len(checkpoint) // 3
    seen: list[tuple[int, int, str]] = []
    path = models.download_model(NAME, JobContext(progress=lambda *a: seen.append(a)),
                                 sha256=hashlib.sha256(checkpoint).hexdigest())
    assert path == appdirs.weights_dir() / NAME
    assert path.read_bytes() == checkpoint
    assert server.requests == [None, f"bytes={len(checkpoint) // 3}-"]  # continued, not restarted
    assert any("Connection lost" in message for *_, message in seen)
    assert not list(appdirs.weights_dir().glob("*.part"))
    status = {m.name: m for m in models.list_models()}[NAME]
    assert status.on_disk and status.size == len(checkpoint)


def test_wrong_checksum_rejects_the_file(server: _Server) -> None:
    with pytest.raises(UserError, match="damaged.*SHA-256.*deleted"):
        models.download_model(NAME, sha256="0" * 64)
    assert not list(appdirs.weights_dir().glob(f"{NAME}*"))  # neither the file nor a .part


def test_cancel_keeps_the_partial_file_for_later(server: _Server, checkpoint: bytes) -> None:
    token_ctx = JobContext()

    def progress(done: int, total: int, message: str) -> None:
        if done >= models.CHUNK:
            token_ctx.token.cancel()

    token_ctx.progress = progress
    with pytest.raises(Cancelled):
        models.download_model(NAME, token_ctx)
    partial = {m.name: m for m in models.list_models()}[NAME]
    assert partial.partial and not partial.on_disk and partial.size >= models.CHUNK
    path = models.download_model(NAME)  # the next download continues it
    assert path.read_bytes() == checkpoint
    assert server.requests[-1] == f"bytes={partial.size}-"


def test_server_error_is_one_clear_line(server: _Server, monkeypatch) -> None:
    monkeypatch.setenv(models.BASE_URL_ENV, server.url + "/missing")
    with pytest.raises(UserError, match="HTTP 404"):
        models.download_model(NAME)


def test_not_a_checkpoint_from_server_is_rejected(server: _Server) -> None:
    server.payload = b"<html>login page</html>" * 50
    with pytest.raises(UserError, match="not a PyTorch checkpoint"):
        models.download_model(NAME)
    assert not (appdirs.weights_dir() / NAME).exists()


def test_import_copies_and_warns_once(tiny_weights: Path, tmp_path: Path) -> None:
    assert models.trust_warning_needed()  # a home of its own: the warning not yet shown
    models.acknowledge_trust_warning()
    assert not models.trust_warning_needed()
    copy = models.import_weights(tiny_weights)
    assert copy.parent == appdirs.weights_dir() and copy.read_bytes() == tiny_weights.read_bytes()
    assert models.import_weights(tiny_weights) == copy  # same file again: no duplicate
    bogus = tmp_path / "notes.pt"
    bogus.write_text("hello")
    with pytest.raises(UserError, match="not a PyTorch checkpoint"):
        models.import_weights(bogus)


def test_import_refuses_what_no_panel_can_use(tmp_path: Path) -> None:
    """A state dict and a classification model were imported without a word (and failed
    when picked later); a folder was reported as 'File not found'."""
    import torch

    from penguin_studio.core import engine

    state = tmp_path / "state.pt"
    torch.save({"a": torch.zeros(2)}, state)
    classifier = tmp_path / "classifier.pt"
    engine.ultralytics_module().YOLO("yolov8n-cls.yaml").save(str(classifier))
    with pytest.raises(UserError, match="state.pt is a PyTorch file but not a YOLO model"):
        models.import_weights(state)
    with pytest.raises(UserError, match="classifier.pt is a classification model, not a "
                                        "detection model"):
        models.import_weights(classifier)
    folder = tmp_path / "run.pt"
    folder.mkdir()
    with pytest.raises(UserError, match="is a folder: pick the .pt file inside it"):
        models.import_weights(folder)
    assert list(appdirs.weights_dir().glob("*.pt")) == []


def test_unknown_model_name() -> None:
    with pytest.raises(UserError, match="Unknown model 'yolo99.pt'"):
        models.download_model("yolo99.pt")
