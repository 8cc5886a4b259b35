"""Every metric name used by the Prometheus rules and the Grafana dashboards is one the six running services
really export on /metrics (or a recording rule defined next to them)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
import yaml

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
}
NAME = re.compile(r"\b(leadrelay_[a-z0-9_]+|leadrelay:[a-z0-9_:]+)\b")


def exported(text: str) -> set[str]:
    """Series names a /metrics page can contain, from its # TYPE lines (present before any sample)."""
    names = set()
    for family, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
        names.add(family)
        names.update(family + suffix for suffix in SUFFIXES.get(kind, ()))
    return names


def used_in_rules() -> tuple[set[str], set[str]]:
    """Return (names used in expressions, names the recording rules define)."""
    used, recorded = set(), set()
    for path in (ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                used.update(NAME.findall(rule["expr"]))
                if "record" in rule:
                    recorded.add(rule["record"])
    return used, recorded


def used_in_dashboards() -> set[str]:
    used = set()
    for path in (ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                used.update(NAME.findall(target["expr"]))
    return used


async def test_rules_and_dashboards_use_only_metrics_the_services_export(system):
    names: set[str] = set()
    async with httpx.AsyncClient(timeout=10) as http:
        for service in system.stack.services.values():
            names |= exported((await http.get(f"{service.url}/metrics")).text)
    in_rules, recorded = used_in_rules()
    in_dashboards = used_in_dashboards()
    assert in_rules and in_dashboards
    unknown = (in_rules | in_dashboards) - names - recorded
    assert not unknown, f"metric names no service exports: {sorted(unknown)}"
