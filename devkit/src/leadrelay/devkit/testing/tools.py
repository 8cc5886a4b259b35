"""Finding a tool a test needs, installing its Debian package under CI, skipping with a reason elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def debian_tool(candidates: tuple[str, ...], package: str) -> str:
    """Return the first candidate binary on PATH; under CI (CI=true) apt-get installs the package first."""
    found = next((p for p in map(shutil.which, candidates) if p), None)
    if found:
        return found
    if os.environ.get("CI") == "true":
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)
        found = next((p for p in map(shutil.which, candidates) if p), None)
        if found:
            return found
        raise RuntimeError(f"apt-get installed {package} but none of {', '.join(candidates)} is on PATH")
    pytest.skip(f"{candidates[0]} is not installed: `apt-get install {package}` (Debian) to run this test")
    raise AssertionError("unreachable")
