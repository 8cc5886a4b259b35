"""wrk, the HTTP load generator the benchmarks drive capture with, and the environment its scripts need."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def ensure_wrk() -> str:
    """Return wrk's path, installing Debian's package when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def wrk_env(**settings: str) -> dict[str, str]:
    """This process's environment plus the scripts' settings, with bench/ on the path their `require` searches."""
    return {**os.environ, "LUA_PATH": f"{HERE}/?.lua;;", **settings}
