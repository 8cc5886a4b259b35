"""Prometheus: the scrape config and rules are valid, every alert has a promtool unit test, and they pass."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from leadrelay.devkit.testing.tools import debian_tool

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    """promtool comes with Debian's prometheus package; the test setup installs it under CI."""
    return debian_tool(("promtool",), "prometheus")


def run(promtool: str, *args: str) -> str:
    result = subprocess.run([promtool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_config_and_rules_are_valid(promtool):
    assert "SUCCESS" in run(promtool, "check", "config", "prometheus.yml")
    assert "SUCCESS" in run(
        promtool, "check", "rules", *map(str, sorted((PROMETHEUS / "rules").glob("*.yml")))
    )


def test_every_alert_has_a_unit_test_and_they_pass(promtool):
    alerts = {
        rule["alert"]
        for path in (PROMETHEUS / "rules").glob("*.yml")
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    tests = sorted((PROMETHEUS / "tests").glob("*.test.yml"))
    tested = {
        case["alertname"]
        for path in tests
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert alerts == tested, f"alerts without a firing test: {alerts - tested}"
    assert "SUCCESS" in run(promtool, "test", "rules", *map(str, tests))


def test_prometheus_scrapes_all_six_services():
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    assert targets == {
        "capture:8001",
        "scoring:8002",
        "routing:8003",
        "sla-monitor:8004",
        "metrics:8005",
        "delivery:8006",
    }
