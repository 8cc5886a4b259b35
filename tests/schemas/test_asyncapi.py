"""The AsyncAPI document: valid by the AsyncAPI Initiative's own parser, every topic of the README's event table a
channel, each service's /asyncapi.json its own channels."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leadrelay.devkit.testing.tools import debian_tool
from leadrelay.events.asyncapi import asyncapi_document, render_document
from leadrelay.kafka.ownership import SERVICES

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "tools" / "asyncapi"


@pytest.fixture(scope="module")
def validate():
    """Run the parser (@asyncapi/parser, pinned in tools/asyncapi) on a document; return its verdict."""
    node = debian_tool(("node", "nodejs"), "nodejs")
    npm = debian_tool(("npm",), "npm")
    if not (CHECKER / "node_modules" / "@asyncapi" / "parser").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CHECKER, check=True, timeout=600
        )

    def run(document: dict, tmp_path: Path) -> tuple[bool, list[dict]]:
        path = tmp_path / "asyncapi.json"
        path.write_text(render_document(document))
        result = subprocess.run(
            [node, "validate.mjs", str(path)], cwd=CHECKER, capture_output=True, text=True, timeout=120
        )
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        assert lines or result.stderr == "", result.stderr
        return result.returncode == 0, lines

    return run


def readme_topics() -> set[str]:
    """The topics in the README's event table, as channel addresses (`<queue>` is the `{queue}` parameter)."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("| topic | event type | from | data carries |", 1)[1].split("\n\n", 1)[0]
    topics = set()
    for row in table.splitlines()[2:]:
        first_cell = row.split("|")[1]
        topics |= {re.sub(r"<(\w+)>", r"{\1}", t) for t in re.findall(r"`([^`]+)`", first_cell)}
    return topics


def test_the_document_is_valid_and_lists_every_topic_of_the_readme(validate, tmp_path):
    ok, diagnostics = validate(asyncapi_document(), tmp_path)
    assert ok, diagnostics
    addresses = set(diagnostics[-1]["channels"])
    assert len(readme_topics()) >= 13 and readme_topics() <= addresses, readme_topics() - addresses


def test_the_parser_refuses_a_broken_document(validate, tmp_path):
    broken = asyncapi_document()
    next(iter(broken["operations"].values()))["channel"] = {"$ref": "#/channels/no-such-channel"}
    ok, diagnostics = validate(broken, tmp_path)
    assert not ok and any(d["severity"] == 0 for d in diagnostics)


def test_each_service_serves_its_own_channels_and_they_are_valid(validate, tmp_path):
    from tests.access.test_route_inventory import BUILDERS

    for service, build in BUILDERS.items():
        served = TestClient(build()).get("/asyncapi.json")
        assert served.status_code == 200, service
        document = served.json()
        owned = SERVICES[service]
        addresses = {c["address"] for c in document["channels"].values()}
        assert {*owned.writes, *owned.reads} <= addresses, service
        assert all(op["summary"].startswith(service) for op in document["operations"].values())
        ok, diagnostics = validate(document, tmp_path)
        assert ok, (service, diagnostics)


def test_the_committed_document_is_the_generated_one():
    committed = (ROOT / "docs" / "asyncapi.json").read_text()
    assert committed == render_document(asyncapi_document()), "docs/asyncapi.json drifted: run `make schemas`"
