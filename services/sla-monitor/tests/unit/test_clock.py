from dataclasses import replace
from datetime import UTC, datetime, timedelta

from leadrelay.sla_monitor.domain.clock import Clock, breach_event_id, overdue_seconds, state_after_contact


def test_contact_closes_an_open_clock_but_a_breach_stays_a_breach():
    assert state_after_contact("open") == "contacted"
    assert state_after_contact("breached") == "breached"
    assert state_after_contact("contacted") == "contacted"


def test_breach_ids_are_deterministic_per_attempt():
    assert breach_event_id("h1", 1) == breach_event_id("h1", 1)
    assert breach_event_id("h1", 1) != breach_event_id("h1", 2)


def test_overdue_is_never_negative():
    due = datetime(2026, 11, 22, tzinfo=UTC)
    assert overdue_seconds(due, due + timedelta(seconds=1.5)) == 1.5
    assert overdue_seconds(due, due - timedelta(seconds=1)) == 0.0


def test_a_rejection_stops_an_open_clock_only():
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    open_clock = Clock("h", "l", "rep", "q", 1, "A", "p", "open", at)
    assert open_clock.reject(at).state == "rejected" and open_clock.reject(at).rejected_at == at
    for state in ("contacted", "breached", "replaced", "erased", "rejected"):
        closed = replace(open_clock, state=state)
        assert closed.reject(at) is closed
    # a contact reported after the rejection is recorded; the clock stays rejected
    assert open_clock.reject(at).contact(at, "phone").state == "rejected"
