#!/usr/bin/env bash
# Create or update .venv with Penguin Studio and its dev tools, and (as root, when missing)
# the Debian libraries a real Qt window needs. Idempotent: a second run takes a second.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
STAMP="$VENV/.penguin-studio-installed"

# Qt's xcb platform plugin and OpenGL: what a bare Debian/Ubuntu lacks for a real window.
# xvfb lets `make run` show the app on a virtual screen where there is no display at all.
DEBIAN_PACKAGES=(libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-randr0 libglib2.0-0 xvfb xauth)

install_debian_packages() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local missing=()
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != "0" ]; then
    echo "note: missing Debian packages for a real window: ${missing[*]}" >&2
    echo "      install them with: sudo apt-get install ${missing[*]}" >&2
    return 0
  fi
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || echo "warning: apt-get install failed; the offscreen tests still work" >&2
}

install_python_packages() {
  if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  if [ -f "$STAMP" ] && [ "$STAMP" -nt pyproject.toml ]; then
    return 0
  fi
  echo "Installing Penguin Studio and its dependencies into $VENV (first time: a few minutes)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e ".[dev]"
  touch "$STAMP"
}

install_debian_packages
install_python_packages
