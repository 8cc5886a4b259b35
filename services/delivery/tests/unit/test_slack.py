"""Slack-compatible messages: what happened, in which queue, to whom, by when."""

import json
from datetime import UTC, datetime

from leadrelay.delivery.slack import slack_message
from leadrelay.events import new_event
from leadrelay.events.handoff import DecisionRef, HandoffRejected, LeadQualified, Owner, SlaTerms
from leadrelay.events.scoring import Reason


def test_a_handoff_message_names_the_queue_the_rep_the_score_and_the_deadline():
    data = LeadQualified(
        handoff_id="h",
        lead_id="lead-1",
        attempt=2,
        queue="enterprise",
        owner=Owner(id="rep", name="Ada"),
        score=87,
        grade="A",
        stage="sql",
        reasons=[Reason(factor="company_size", text="500+ employees")],
        sla=SlaTerms(policy="p", due_at=datetime(2026, 12, 7, 15, 30, tzinfo=UTC)),
        decision=DecisionRef(trace_id="t", strategy="round_robin"),
    )
    text = json.loads(slack_message(new_event(data, source="t", subject="lead-1")))["text"]
    assert "reassigned" in text and "*enterprise*" in text and "Ada" in text and "87 (A)" in text
    assert "2026-12-07 15:30 UTC" in text and "500+ employees" in text


def test_a_rejection_message_gives_the_reason():
    data = HandoffRejected(
        handoff_id="h", lead_id="l", owner_id="rep", queue="smb", reason="wrong person", at=datetime.now(UTC)
    )
    assert "wrong person" in json.loads(slack_message(new_event(data, source="t", subject="l")))["text"]
