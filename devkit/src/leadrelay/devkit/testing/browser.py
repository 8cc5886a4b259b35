"""Finding (and under CI installing) Debian's Chromium for browser tests."""

from __future__ import annotations

from leadrelay.devkit.testing.tools import debian_tool

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
    return debian_tool(CANDIDATES, "chromium")
