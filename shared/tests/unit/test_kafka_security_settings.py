"""The broker connection settings: half a security setup is refused at start, naming the variable."""

import os
import ssl

import pytest
import trustme

from leadrelay.settings import KafkaSettings, load_settings

SASL = {
    "LEADRELAY_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "LEADRELAY_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "LEADRELAY_KAFKA_SASL_USERNAME": "capture",
    "LEADRELAY_KAFKA_SASL_PASSWORD": "capture-secret",
}


@pytest.fixture(autouse=True)
def production_environment(monkeypatch):
    """No broker profile of the test run (the dev kit exports one for its local broker)."""
    for name in [n for n in os.environ if n.startswith("LEADRELAY_KAFKA_")]:
        monkeypatch.delenv(name)


def refused(monkeypatch, capsys, env: dict[str, str]) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit):
        load_settings(KafkaSettings)
    return capsys.readouterr().err


def test_production_defaults_are_three_copies_two_in_sync_and_plaintext_until_configured(monkeypatch):
    settings = KafkaSettings()
    assert (settings.replication_factor, settings.min_insync_replicas) == (3, 2)
    assert settings.enable_idempotence and not settings.create_topics
    assert settings.client_options() == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "PLAINTEXT",
    }


def test_sasl_without_a_password_names_the_variable(monkeypatch, capsys):
    env = {k: v for k, v in SASL.items() if k != "LEADRELAY_KAFKA_SASL_PASSWORD"}
    err = refused(monkeypatch, capsys, env)
    assert "LEADRELAY_KAFKA_SASL_PASSWORD is required when LEADRELAY_KAFKA_SECURITY_PROTOCOL=SASL_SSL" in err


def test_credentials_on_a_plaintext_listener_are_refused_rather_than_ignored(monkeypatch, capsys):
    env = {k: v for k, v in SASL.items() if k != "LEADRELAY_KAFKA_SECURITY_PROTOCOL"}
    assert "SASL credentials are set but LEADRELAY_KAFKA_SECURITY_PROTOCOL=PLAINTEXT" in refused(
        monkeypatch, capsys, env
    )


def test_an_unknown_mechanism_is_named(monkeypatch, capsys):
    err = refused(monkeypatch, capsys, {**SASL, "LEADRELAY_KAFKA_SASL_MECHANISM": "SCRAM-SHA-1"})
    assert "LEADRELAY_KAFKA_SASL_MECHANISM" in err and "SCRAM-SHA-512" in err


def test_a_ca_file_that_holds_no_certificate_is_named(monkeypatch, capsys, tmp_path):
    not_a_ca = tmp_path / "ca.pem"
    not_a_ca.write_text("not a certificate\n")
    err = refused(monkeypatch, capsys, {**SASL, "LEADRELAY_KAFKA_SSL_CAFILE": str(not_a_ca)})
    assert f"LEADRELAY_KAFKA_SSL_CAFILE={not_a_ca} holds no usable CA certificate" in err


def test_a_missing_ca_file_is_named(monkeypatch, capsys, tmp_path):
    err = refused(monkeypatch, capsys, {**SASL, "LEADRELAY_KAFKA_SSL_CAFILE": str(tmp_path / "nope.pem")})
    assert "invalid setting LEADRELAY_KAFKA_SSL_CAFILE" in err


def test_more_in_sync_replicas_than_copies_is_refused(monkeypatch, capsys):
    err = refused(
        monkeypatch,
        capsys,
        {"LEADRELAY_KAFKA_REPLICATION_FACTOR": "1", "LEADRELAY_KAFKA_MIN_INSYNC_REPLICAS": "2"},
    )
    assert "LEADRELAY_KAFKA_MIN_INSYNC_REPLICAS=2 is more than LEADRELAY_KAFKA_REPLICATION_FACTOR=1" in err


def test_every_client_gets_sasl_and_a_context_trusting_the_configured_ca(monkeypatch, tmp_path):
    authority = trustme.CA()
    cafile = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(cafile))
    for name, value in {**SASL, "LEADRELAY_KAFKA_SSL_CAFILE": str(cafile)}.items():
        monkeypatch.setenv(name, value)
    options = load_settings(KafkaSettings).client_options()
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("capture", "capture-secret")
    context: ssl.SSLContext = options["ssl_context"]
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    assert len(context.get_ca_certs()) == 1


def test_the_password_never_shows_in_the_settings_repr(monkeypatch):
    for name, value in SASL.items():
        monkeypatch.setenv(name, value)
    assert "capture-secret" not in repr(load_settings(KafkaSettings))
