"""A Slack-compatible incoming-webhook message for each deliverable event: what happened, to whom, by when."""

from __future__ import annotations

import json

from leadrelay.events import Envelope
from leadrelay.events.handoff import HandoffAtRisk, HandoffBreached, HandoffRejected, LeadQualified


def _summary(event: Envelope) -> str:
    data = event.data
    if isinstance(data, LeadQualified):
        again = " (qualified again)" if data.requalified else " (reassigned)" if data.attempt > 1 else ""
        due = f", first contact due {data.sla.due_at:%Y-%m-%d %H:%M} UTC" if data.sla.due_at else ""
        reasons = "; ".join(r.text or r.factor for r in data.reasons[:3]) or "no reasons given"
        return (
            f"New handoff{again} in *{data.queue}* for {data.owner.name}: lead `{data.lead_id}`, "
            f"score {data.score} ({data.grade}){due}. Why: {reasons}."
        )
    if isinstance(data, HandoffAtRisk):
        return f"Handoff `{data.handoff_id}` in *{data.queue}* is at risk: first contact due {data.due_at:%H:%M} UTC."
    if isinstance(data, HandoffBreached):
        minutes = round(data.overdue_seconds / 60)
        return f"Handoff `{data.handoff_id}` in *{data.queue}* breached its SLA ({minutes} min overdue)."
    if isinstance(data, HandoffRejected):
        return f"Handoff `{data.handoff_id}` in *{data.queue}* was rejected: {data.reason}"
    return f"{event.type} for lead `{getattr(data, 'lead_id', '?')}`"


def slack_message(event: Envelope) -> str:
    """The JSON body Slack's incoming webhooks (and compatible tools) accept."""
    return json.dumps({"text": _summary(event)})
