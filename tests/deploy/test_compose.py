"""docker-compose.yml cannot run here (no Docker engine); check it against the code instead."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from leadrelay.capture.settings import CaptureSettings
from leadrelay.devkit.devstack import SERVICES
from leadrelay.metrics.settings import MetricsSettings
from leadrelay.routing.settings import RoutingSettings
from leadrelay.scoring.settings import ScoringSettings
from leadrelay.settings import KafkaSettings, PostgresSettings
from leadrelay.sla_monitor.settings import SlaMonitorSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS = {
    "capture": CaptureSettings,
    "scoring": ScoringSettings,
    "routing": RoutingSettings,
    "sla-monitor": SlaMonitorSettings,
    "metrics": MetricsSettings,
}
SHARED = {"LEADRELAY_KAFKA_": KafkaSettings, "LEADRELAY_POSTGRES_": PostgresSettings}


def known_variable(service: str, variable: str) -> bool:
    for prefix, cls in {**SHARED, SETTINGS[service].model_config["env_prefix"]: SETTINGS[service]}.items():
        if variable.startswith(prefix) and variable[len(prefix) :].lower() in cls.model_fields:
            return True
    return False


def test_every_service_and_its_infrastructure_is_present():
    assert {"kafka", "postgres", *SETTINGS} <= set(COMPOSE["services"])
    assert "KAFKA_PROCESS_ROLES" in COMPOSE["services"]["kafka"]["environment"]  # KRaft, no ZooKeeper


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_each_service_builds_its_own_dockerfile_and_runs_its_module(spec):
    service = COMPOSE["services"][spec.name]
    dockerfile = ROOT / service["build"]["dockerfile"]
    assert dockerfile.exists()
    assert f'"-m", "{spec.module}"' in dockerfile.read_text()
    assert f"{spec.port}:{spec.port}" in service["ports"]


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_variable_compose_sets_exists_in_the_settings(name):
    environment = COMPOSE["services"][name]["environment"]
    unknown = [v for v in environment if not known_variable(name, v)]
    assert unknown == [], f"{name}: compose sets variables no settings class reads: {unknown}"
    assert "LEADRELAY_KAFKA_BOOTSTRAP_SERVERS" in environment
    assert "LEADRELAY_POSTGRES_DSN" in environment


def test_a_misspelt_variable_would_be_caught():
    assert not known_variable("capture", "LEADRELAY_CAPTURE_PROT")
    assert not known_variable("capture", "LEADRELAY_KAFKA_BOOTSTRAP_SERVER")
