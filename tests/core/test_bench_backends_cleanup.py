"""benchmarks/bench_backends.py removes its working folder however it ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_backends.py"


def test_a_failed_run_leaves_no_bench_backends_folder(tmp_path: Path) -> None:
    # an unreadable --sizes fails after the working folder exists (no model is loaded)
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(BENCH), "--weights", str(tmp_path / "no.pt"),
                           "--sizes", "x", "--frames", "1"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "invalid literal" in done.stderr
    assert list(tmp_path.glob("bench-backends-*")) == []
