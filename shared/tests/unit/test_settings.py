import pytest

from leadrelay.kafka.consumer import fetch_options
from leadrelay.settings import KafkaSettings, PostgresSettings, ServiceSettings, load_settings


class DemoSettings(ServiceSettings):
    model_config = {"env_prefix": "LEADRELAY_DEMO_", "extra": "ignore"}


def test_bad_variable_is_named(monkeypatch, capsys):
    monkeypatch.setenv("LEADRELAY_DEMO_PORT", "not-a-port")
    with pytest.raises(SystemExit):
        load_settings(DemoSettings)
    assert "LEADRELAY_DEMO_PORT" in capsys.readouterr().err


def test_shared_kafka_and_postgres_variables(monkeypatch):
    monkeypatch.setenv("LEADRELAY_KAFKA_BOOTSTRAP_SERVERS", "k:9092")
    monkeypatch.setenv("LEADRELAY_KAFKA_TOPIC_PREFIX", "dev.")
    monkeypatch.setenv("LEADRELAY_POSTGRES_DSN", "postgresql://u:p@db:5432/postgres")
    monkeypatch.setenv("LEADRELAY_DEMO_DATABASE", "demo")
    settings = load_settings(DemoSettings)
    assert settings.kafka.bootstrap_servers == "k:9092"
    assert settings.kafka.topics.captured == "dev.leads.captured"
    assert settings.database_url == "postgresql+asyncpg://u:p@db:5432/demo"


def test_topics_have_dead_letter_twins():
    topics = KafkaSettings(topic_prefix="").topics
    assert topics.dlq(topics.captured) == "leads.captured.dlq"
    assert topics.handoff("enterprise") == "handoffs.enterprise"
    assert "leads.sla-breached.dlq" in topics.all_with_dlq()


def test_database_url_switches_driver_and_database():
    assert PostgresSettings(dsn="postgresql://postgres@127.0.0.1:5432/postgres").database_url("x") == (
        "postgresql+asyncpg://postgres@127.0.0.1:5432/x"
    )


def test_consumers_off_the_handoff_path_wait_longer_for_bigger_fetches():
    settings = KafkaSettings(
        fetch_max_wait_ms=50,
        fetch_min_bytes=16384,
        background_fetch_max_wait_ms=500,
        background_fetch_min_bytes=65536,
    )
    assert fetch_options(settings, background=False) == {"fetch_max_wait_ms": 50, "fetch_min_bytes": 16384}
    assert fetch_options(settings, background=True) == {"fetch_max_wait_ms": 500, "fetch_min_bytes": 65536}


def test_consumers_on_the_handoff_path_take_the_first_event_at_once_by_default(monkeypatch):
    # Apache Kafka answers a waiting fetch when data lands, so the wait only paces an idle consumer's asking
    monkeypatch.delenv("LEADRELAY_KAFKA_FETCH_MAX_WAIT_MS", raising=False)
    assert fetch_options(KafkaSettings(), background=False) == {
        "fetch_max_wait_ms": 500,
        "fetch_min_bytes": 1,
    }
