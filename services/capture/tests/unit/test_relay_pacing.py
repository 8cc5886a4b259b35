"""Relay pacing and fetch waits: production defaults for Apache Kafka, the embedded broker's own in its profile."""

from leadrelay.capture.settings import CaptureSettings
from leadrelay.devkit.infra.broker import EmbeddedBroker
from leadrelay.devkit.infra.kafka import KafkaServer
from leadrelay.settings import KafkaSettings, ServiceSettings

PROFILE_NAMES = ("LEADRELAY_KAFKA_FETCH_MAX_WAIT_MS", "LEADRELAY_CAPTURE_OUTBOX_MIN_PASS_INTERVAL_MS")


def test_on_apache_kafka_relays_publish_after_every_commit_and_fetches_wait_for_the_first_byte(monkeypatch):
    for name in PROFILE_NAMES:
        monkeypatch.delenv(name, raising=False)
    assert CaptureSettings().outbox_min_pass_interval_ms == 0
    assert ServiceSettings().outbox_min_pass_interval_ms == 0
    assert KafkaSettings().fetch_max_wait_ms == 500 and KafkaSettings().fetch_min_bytes == 1
    assert not set(PROFILE_NAMES) & KafkaServer.client_profile.keys()


def test_the_embedded_broker_profile_paces_capture_and_waits_briefly(monkeypatch):
    for name, value in EmbeddedBroker.client_profile.items():
        monkeypatch.setenv(name, value)
    assert CaptureSettings().outbox_min_pass_interval_ms == 50
    # only capture's rows come one request at a time
    assert ServiceSettings().outbox_min_pass_interval_ms == 0
    assert KafkaSettings().fetch_max_wait_ms == 50


def test_the_pacing_is_a_setting(monkeypatch):
    monkeypatch.setenv("LEADRELAY_CAPTURE_OUTBOX_MIN_PASS_INTERVAL_MS", "20")
    assert CaptureSettings().outbox_min_pass_interval_ms == 20
