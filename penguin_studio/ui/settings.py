"""Persistent settings (window geometry, last and recent projects) in one ini file.

The file lives in the app's config folder, so ``PENGUIN_STUDIO_HOME`` isolates it in tests.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from penguin_studio.core import appdirs

MAX_RECENT = 10


def app_settings() -> QSettings:
    return QSettings(str(appdirs.config_dir() / "penguin-studio.ini"), QSettings.Format.IniFormat)


def recent_projects() -> list[str]:
    value = app_settings().value("recent", [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or [])]


def remember_project(path: str) -> None:
    s = app_settings()
    recent = [path] + [p for p in recent_projects() if p != path]
    s.setValue("recent", recent[:MAX_RECENT])
    s.setValue("last_project", path)
    s.sync()


def last_project() -> str | None:
    value = app_settings().value("last_project", None)
    return str(value) if value else None


def inference_backend() -> str:
    """The backend models run on (Settings, Detect, Live): "auto", "torch", "openvino" or
    "onnxruntime"; ``PENGUIN_STUDIO_BACKEND`` gives the default before one is chosen."""
    from penguin_studio.core.inference.backends import BACKENDS, default_backend

    value = str(app_settings().value("inference/backend", "") or "")
    return value if value in BACKENDS else default_backend()


def set_inference_backend(value: str) -> None:
    s = app_settings()
    s.setValue("inference/backend", value)
    s.sync()
