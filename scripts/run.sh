#!/usr/bin/env bash
# Launch Penguin Studio from .venv. With no display (a server, a container), run it on a
# virtual X screen so that the command still works; say so, since nothing will be visible.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" = "Linux" ]; then
  if command -v xvfb-run >/dev/null 2>&1; then
    echo "No display found: starting Penguin Studio on a virtual screen (Xvfb)."
    exec xvfb-run -a -s "-screen 0 1400x900x24" "$PY" -m penguin_studio "$@"
  fi
  echo "No display found and xvfb-run is missing: rendering a screenshot instead." >&2
  exec "$PY" -m penguin_studio --screenshot penguin-studio.png "$@"
fi
exec "$PY" -m penguin_studio "$@"
