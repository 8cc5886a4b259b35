"""Finding (and under CI installing) Debian's Chromium for browser tests."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

CANDIDATES = ("chromium", "chromium-browser")
# Without these, Chromium keeps trying to reach services this machine cannot reach.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Return Chromium's path; install it with apt under CI, skip with a clear message elsewhere."""
    found = next((p for p in map(shutil.which, CANDIDATES) if p), None)
    if found:
        return found
    if os.environ.get("CI") == "true":
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
        found = next((p for p in map(shutil.which, CANDIDATES) if p), None)
        if found:
            return found
        raise RuntimeError("apt-get installed chromium but no chromium binary is on PATH")
    pytest.skip("Chromium is not installed: `apt-get install chromium` (Debian) to run browser tests")
    raise AssertionError("unreachable")
