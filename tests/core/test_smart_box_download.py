"""SAM weights downloaded on request (loopback server only): a file that is not the promised
Segment Anything checkpoint is refused and deleted, the right one takes its name."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch

from penguin_studio.core import appdirs
from penguin_studio.core.errors import UserError
from penguin_studio.core.smartbox import weights as sam_weights
from penguin_studio.core.training import models

NAME = "mobile_sam.pt"


def _state_dict(keys: list[str]) -> bytes:
    """A checkpoint with a SAM model's parameter names (what the check reads), tiny tensors."""
    import io

    buffer = io.BytesIO()
    torch.save({k: torch.zeros(1) for k in keys}, buffer)
    return buffer.getvalue()


MOBILE = _state_dict(["image_encoder.patch_embed.seq.0.c.weight",
                      "mask_decoder.iou_token.weight"])
SAM21_T = _state_dict([f"image_encoder.trunk.blocks.{i}.attn.qkv.weight" for i in range(12)]
                      + ["no_obj_embed_spatial"])


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, bytes]]:
    """A loopback HTTP server answering ``/<name>`` with the bytes put in the dict."""
    monkeypatch.setenv("PENGUIN_STUDIO_HOME", str(tmp_path / "home"))
    files: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            body = files.get(self.path.lstrip("/"))
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(models.BASE_URL_ENV, f"http://127.0.0.1:{httpd.server_address[1]}")
    yield files
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_a_mobile_sam_download_is_checked_and_kept(serve: dict[str, bytes]) -> None:
    serve[NAME] = MOBILE
    path = models.download_model(NAME, sha256=hashlib.sha256(MOBILE).hexdigest())
    assert path == appdirs.weights_dir() / NAME and path.read_bytes() == MOBILE
    assert sam_weights.identify(path).label == "MobileSAM"


@pytest.mark.parametrize("body, said", [
    (SAM21_T, "it holds SAM 2.1 tiny weights, not MobileSAM"),
    (_state_dict(["conv1.weight"]), "it is not MobileSAM weights (mobile_sam.pt is a PyTorch "
                                    "file but not Segment Anything weights"),
])
def test_another_file_under_the_sam_name_is_refused_and_deleted(serve: dict[str, bytes],
                                                                body: bytes, said: str) -> None:
    serve[NAME] = body
    with pytest.raises(UserError, match="download of mobile_sam.pt is damaged") as caught:
        models.download_model(NAME)
    assert said in str(caught.value)
    folder = appdirs.weights_dir()
    assert not (folder / NAME).exists() and not list(folder.glob(f"{NAME}*"))


def test_a_wrong_checksum_is_refused(serve: dict[str, bytes]) -> None:
    serve[NAME] = MOBILE
    with pytest.raises(UserError, match="SHA-256"):
        models.download_model(NAME, sha256="0" * 64)
    assert not (appdirs.weights_dir() / NAME).exists()
