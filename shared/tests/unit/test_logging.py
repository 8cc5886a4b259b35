import json
import logging

import pytest
import structlog

from leadrelay.observability.logging import configure_logging, redact_personal_data


def test_personal_keys_are_redacted_at_any_depth():
    event = {"event": "x", "email": "a@b.c", "lead": {"phone": "+1", "name": "Ann", "lead_id": "L1"}}
    out = redact_personal_data(None, "info", event)
    assert out["email"] == "[redacted]"
    assert out["lead"] == {"phone": "[redacted]", "name": "[redacted]", "lead_id": "L1"}


@pytest.fixture
def isolated_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_logs_are_json_lines_without_personal_data(capsys, isolated_logging):
    configure_logging("capture")
    structlog.get_logger("t").info("lead_seen", lead_id="L1", email="ann@example.com", phone="+4420")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["lead_id"] == "L1"
    assert record["service"] == "capture"
    assert "ann@example.com" not in line
    assert "+4420" not in line


def test_a_library_failure_is_logged_as_traceback_text_without_its_message(capsys, isolated_logging):
    configure_logging("capture")
    try:
        try:
            raise ValueError("invalid input syntax: 'ann@example.com'")
        except ValueError as inner:
            raise RuntimeError("wrapped: ann@example.com") from inner
    except RuntimeError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    text = record["exception"]
    assert "Traceback (most recent call last)" in text and "test_logging.py" in text
    assert "builtins.RuntimeError" in text and "builtins.ValueError" in text
    assert "ann@example.com" not in json.dumps(record) and "traceback object" not in json.dumps(record)
