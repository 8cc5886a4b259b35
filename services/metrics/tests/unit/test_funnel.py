from datetime import UTC, datetime

from leadrelay.events.handoff import DecisionRef, HandoffBreached, LeadQualified, Owner, SlaTerms
from leadrelay.events.lead import Contact, LeadCaptured
from leadrelay.events.scoring import LeadScored
from leadrelay.metrics.domain.funnel import FunnelEntry, funnel_entry, summarise
from leadrelay.metrics.domain.report import FunnelCount

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def test_each_event_counts_with_bounded_dimensions_only():
    captured = LeadCaptured(
        lead_id="L", source="chat", completeness="partial", contact=Contact(email="a@b.co")
    )
    assert funnel_entry(captured, None) == FunnelEntry("captured", source="chat")
    scored = LeadScored(
        lead_id="L", score=70, fit=60, engagement=10, grade="A2", stage="sql", ruleset_version="v"
    )
    assert funnel_entry(scored, "chat") == FunnelEntry("scored", stage="sql", source="chat")
    qualified = LeadQualified(
        handoff_id="H",
        lead_id="L",
        queue="smb",
        owner=Owner(id="r", name="R"),
        score=70,
        grade="A2",
        stage="sql",
        sla=SlaTerms(policy="p", due_at=NOW),
        decision=DecisionRef(trace_id="t", strategy="rr"),
    )
    assert funnel_entry(qualified, "chat") == FunnelEntry(
        "handed_off", stage="sql", source="chat", queue="smb"
    )
    escalated = qualified.model_copy(update={"attempt": 2})
    assert funnel_entry(escalated, "chat") == FunnelEntry(
        "reassigned", stage="sql", source="chat", queue="smb"
    )
    breached = HandoffBreached(
        handoff_id="H", lead_id="L", owner_id="r", queue="smb", due_at=NOW, breached_at=NOW, overdue_seconds=0
    )
    assert funnel_entry(breached, None) == FunnelEntry("breached", queue="smb")


def test_summary_counts_steps_and_scored_stages():
    day = NOW.date()
    rows = [
        FunnelCount(day, "captured", stage="", source="chat", queue="", count=3),
        FunnelCount(day, "scored", stage="sql", source="chat", queue="", count=1),
        FunnelCount(day, "scored", stage="mql", source="form", queue="", count=2),
        FunnelCount(day, "handed_off", stage="sql", source="chat", queue="smb", count=1),
    ]
    assert summarise(rows) == {"captured": 3, "scored": 3, "sql": 1, "mql": 2, "handed_off": 1}


def test_consent_changes_count_as_opt_outs_and_consents_of_their_source():
    from leadrelay.events.lead import ConsentChanged

    opt_out = ConsentChanged(lead_id="L", marketing=False, purposes=["contact"], channel="opt_out", at=NOW)
    regranted = ConsentChanged(
        lead_id="L", marketing=True, purposes=["contact", "marketing"], channel="backend", at=NOW
    )
    assert funnel_entry(opt_out, "chat") == FunnelEntry("marketing_opted_out", source="chat")
    assert funnel_entry(regranted, None) == FunnelEntry("marketing_consented")
