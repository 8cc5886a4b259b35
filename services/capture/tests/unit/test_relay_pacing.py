"""Only capture paces its outbox relay: its rows come one request at a time, a consumer's one batch at a time."""

from leadrelay.capture.settings import CaptureSettings
from leadrelay.settings import ServiceSettings


def test_capture_paces_its_relay_and_consumers_publish_after_every_commit(monkeypatch):
    monkeypatch.delenv("LEADRELAY_CAPTURE_OUTBOX_MIN_PASS_INTERVAL_MS", raising=False)
    assert CaptureSettings().outbox_min_pass_interval_ms == 50
    assert ServiceSettings().outbox_min_pass_interval_ms == 0


def test_the_pacing_is_a_setting(monkeypatch):
    monkeypatch.setenv("LEADRELAY_CAPTURE_OUTBOX_MIN_PASS_INTERVAL_MS", "20")
    assert CaptureSettings().outbox_min_pass_interval_ms == 20
