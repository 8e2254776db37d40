"""Where the app keeps its own files (config, data, weights, caches).

Every folder can be moved with one environment variable, ``PENGUIN_STUDIO_HOME``: tests point
it at a temporary folder, and users on shared machines can keep everything on a big disk.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_SLUG = "penguin-studio"


def _home_override() -> Path | None:
    value = os.environ.get("PENGUIN_STUDIO_HOME")
    return Path(value).expanduser().resolve() if value else None


def _platform_dir(kind: str) -> Path:
    import platformdirs

    getter = {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "cache": platformdirs.user_cache_dir,
    }[kind]
    return Path(getter(APP_SLUG, appauthor=False))


def _dir(kind: str) -> Path:
    home = _home_override()
    path = home / kind if home else _platform_dir(kind)
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """Settings, including ultralytics' own settings file (kept apart from other tools)."""
    return _dir("config")


def data_dir() -> Path:
    """User data the app creates: the sample project, runs of projects without a folder."""
    return _dir("data")


def cache_dir() -> Path:
    """Derived files that can be deleted at any time (thumbnails)."""
    return _dir("cache")


def weights_dir() -> Path:
    """Pretrained checkpoints the user downloaded or imported through the model manager."""
    path = data_dir() / "weights"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sample_project_dir() -> Path:
    """Where the first launch writes the sample penguin project."""
    return data_dir() / "sample-penguins"
