from datetime import UTC, datetime

from leadrelay.capture.domain.lead import NewLead, capture, completeness


def test_complete_needs_email_name_company_and_phone():
    full = NewLead(email="a@example.com", source="api", name="A", company="C", phone="+441234")
    assert completeness(full) == "complete"
    assert completeness(NewLead(email="a@example.com", source="api", name="A")) == "partial"


def test_capture_keeps_identity_and_time():
    now = datetime(2026, 11, 22, tzinfo=UTC)
    captured = capture(NewLead(email="a@example.com", source="api"), "L1", now)
    assert (captured.lead_id, captured.captured_at, captured.completeness) == ("L1", now, "partial")
