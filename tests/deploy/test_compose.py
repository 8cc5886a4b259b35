"""docker-compose.yml cannot run here (no Docker engine); check it against the code instead."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from leadrelay.capture.settings import CaptureSettings
from leadrelay.delivery.settings import DeliverySettings
from leadrelay.devkit.devstack import SERVICES
from leadrelay.devkit.infra.kafka import KAFKA_VERSION
from leadrelay.metrics.settings import MetricsSettings
from leadrelay.routing.settings import RoutingSettings
from leadrelay.scoring.settings import ScoringSettings
from leadrelay.settings import KafkaSettings, PostgresSettings, load_settings
from leadrelay.sla_monitor.settings import SlaMonitorSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
EXAMPLE_ENV = ROOT / "deploy" / "compose.env.example"
SETTINGS = {
    "capture": CaptureSettings,
    "scoring": ScoringSettings,
    "routing": RoutingSettings,
    "sla-monitor": SlaMonitorSettings,
    "metrics": MetricsSettings,
    "delivery": DeliverySettings,
}
SHARED = {"LEADRELAY_KAFKA_": KafkaSettings, "LEADRELAY_POSTGRES_": PostgresSettings}


def known_variable(service: str, variable: str) -> bool:
    for prefix, cls in {**SHARED, SETTINGS[service].model_config["env_prefix"]: SETTINGS[service]}.items():
        if variable.startswith(prefix) and variable[len(prefix) :].lower() in cls.model_fields:
            return True
    return False


def test_every_service_and_its_infrastructure_is_present():
    assert {"kafka", "kafka-setup", "postgres", *SETTINGS} <= set(COMPOSE["services"])
    assert "KAFKA_PROCESS_ROLES" in COMPOSE["services"]["kafka"]["environment"]  # KRaft, no ZooKeeper


def test_the_broker_is_the_tested_apache_kafka_with_sasl_and_acls_only():
    kafka = COMPOSE["services"]["kafka"]
    assert kafka["image"] == f"apache/kafka:{KAFKA_VERSION}"
    env = kafka["environment"]
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false" and env["KAFKA_SUPER_USERS"] == "User:admin"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "PLAINTEXT://" not in env["KAFKA_LISTENERS"].replace("SASL_PLAINTEXT://", "")  # no open listener
    users = env["KAFKA_LISTENER_NAME_SASL_PLAINTEXT_PLAIN_SASL_JAAS_CONFIG"]
    for name in SETTINGS:  # every service signs in as itself
        assert f'user_{name}="${{LEADRELAY_KAFKA_{name.upper().replace("-", "_")}_PASSWORD:?}}"' in users


def test_topics_and_acls_are_applied_once_before_any_service_starts():
    setup = COMPOSE["services"]["kafka-setup"]
    script = " ".join(setup["command"])
    assert "leadrelay topics apply" in script and "leadrelay acls apply" in script
    assert setup["environment"]["LEADRELAY_KAFKA_SASL_USERNAME"] == "admin"
    for name in SETTINGS:
        assert COMPOSE["services"][name]["depends_on"]["kafka-setup"] == {
            "condition": "service_completed_successfully"
        }


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_no_secret_is_written_in_the_file(name):
    environment = {
        **COMPOSE["services"][name]["environment"],
        **COMPOSE["services"]["postgres"]["environment"],
    }
    secrets = {k: v for k, v in environment.items() if re.search("PASSWORD|KEYS|SECRET", k)}
    assert secrets and all(re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", str(v)) for v in secrets.values()), secrets
    dsn = environment["LEADRELAY_POSTGRES_DSN"]
    assert ":${LEADRELAY_POSTGRES_PASSWORD:?" in dsn


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_the_services_accept_the_settings_compose_gives_them(name, monkeypatch):
    """Each service's settings load from its compose environment, secrets filled in from the example .env."""
    example = dict(
        line.split("=", 1)
        for line in EXAMPLE_ENV.read_text().splitlines()
        if line and not line.startswith("#")
    )
    for variable in [v for v in os.environ if v.startswith("LEADRELAY_")]:  # only what compose sets
        monkeypatch.delenv(variable)
    for variable, value in COMPOSE["services"][name]["environment"].items():
        filled = re.sub(
            r"\$\{([A-Z_]+):([?-])([^}]*)\}",  # required (`:?`) from the example, optional (`:-`) or its default
            lambda m: example[m.group(1)] if m.group(2) == "?" else example.get(m.group(1), m.group(3)),
            str(value),
        )
        monkeypatch.setenv(variable, filled)
    settings = load_settings(SETTINGS[name])
    assert settings.kafka.security_protocol == "SASL_PLAINTEXT" and settings.kafka.sasl_username == name
    assert not settings.kafka.create_topics  # the setup job applied them
    assert all(settings.role_keys().values())  # every role has a key


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
