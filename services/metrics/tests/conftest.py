"""The metrics service's fixtures for unit and integration tests: a scripted week of three leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.events import Envelope, new_event
from leadrelay.events.handoff import (
    DecisionRef,
    HandoffBreached,
    HandoffRejected,
    LeadContacted,
    LeadQualified,
    Owner,
    SlaTerms,
)
from leadrelay.events.lead import Contact, LeadCaptured
from leadrelay.events.scoring import LeadOutcome, LeadScored

T0 = datetime(2026, 11, 2, 10, tzinfo=UTC)


@pytest.fixture
def script() -> list[Envelope]:
    def scored(lead: str, stage: str, source: str):
        return LeadScored(
            lead_id=lead,
            score=70,
            fit=60,
            engagement=10,
            grade="A1",
            stage=stage,
            ruleset_version="v",
            source=source,
        )

    def qualified(lead: str, queue: str, owner: str):
        return LeadQualified(
            handoff_id=f"h-{lead}",
            lead_id=lead,
            queue=queue,
            owner=Owner(id=owner, name=owner),
            score=70,
            grade="A1",
            stage="sql",
            sla=SlaTerms(policy="p", due_at=T0),
            decision=DecisionRef(trace_id="t", strategy="round_robin"),
        )

    def _script() -> list:
        """Three leads: A is won (5,000), B is breached, contacted late, rejected and lost, C stays in nurture."""
        m = timedelta(minutes=1)
        events = [
            (
                T0,
                LeadCaptured(
                    lead_id="A",
                    source="web_form",
                    form_id="demo",
                    completeness="complete",
                    contact=Contact(email="a@x.example"),
                    utm={"campaign": "autumn"},
                ),
            ),
            (T0 + m, scored("A", "mql", "web_form")),
            (T0 + 10 * m, scored("A", "sql", "web_form")),
            (T0 + 10 * m + timedelta(seconds=2), qualified("A", "smb", "rep-alan")),
            (T0 + 20 * m, LeadContacted(handoff_id="h-A", lead_id="A", at=T0 + 20 * m)),
            (
                T0 + timedelta(days=10),
                LeadOutcome(lead_id="A", outcome="won", value=5000, at=T0 + timedelta(days=10)),
            ),
            (
                T0 + 60 * m,
                LeadCaptured(
                    lead_id="B",
                    source="referral",
                    completeness="complete",
                    contact=Contact(email="b@x.example"),
                ),
            ),
            (T0 + 60 * m + timedelta(seconds=30), scored("B", "sql", "referral")),
            (T0 + 60 * m + timedelta(seconds=31), qualified("B", "enterprise", "rep-ada")),
            (
                T0 + 66 * m,
                HandoffBreached(
                    handoff_id="h-B",
                    lead_id="B",
                    owner_id="rep-ada",
                    queue="enterprise",
                    due_at=T0 + 65 * m,
                    breached_at=T0 + 66 * m,
                    overdue_seconds=60,
                ),
            ),
            (T0 + 70 * m, LeadContacted(handoff_id="h-B", lead_id="B", at=T0 + 70 * m)),
            (
                T0 + 71 * m,
                HandoffRejected(
                    handoff_id="h-B",
                    lead_id="B",
                    owner_id="rep-ada",
                    queue="enterprise",
                    reason="  No   budget ",
                    at=T0 + 71 * m,
                ),
            ),
            (
                T0 + timedelta(days=2),
                LeadOutcome(
                    lead_id="B", outcome="lost", reason="Chose a competitor", at=T0 + timedelta(days=2)
                ),
            ),
            (
                T0 + 120 * m,
                LeadCaptured(
                    lead_id="C",
                    source="web_form",
                    completeness="partial",
                    contact=Contact(email="c@x.example"),
                    utm={"campaign": "autumn"},
                ),
            ),
            (T0 + 121 * m, scored("C", "nurture", "web_form")),
        ]
        return [new_event(data, source="test", subject=data.lead_id, time=at) for at, data in events]

    return _script()
