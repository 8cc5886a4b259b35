"""Callbacks a lead asks for, under the SLA policies (leadrelay.sla_policies: the deadline rules themselves)."""

from __future__ import annotations

from datetime import datetime, timedelta

from leadrelay.sla_policies import Policy

DEFAULT_CALLBACK_HORIZON = timedelta(days=30)


def callback_problem(chosen: Policy | None, callback_at: datetime, now: datetime) -> str | None:
    """Return why a callback time cannot move a deadline (in the past, or beyond the policy's horizon)."""
    if callback_at <= now:
        return "a callback time must be in the future"
    horizon = timedelta(days=chosen.callback_horizon_days) if chosen else DEFAULT_CALLBACK_HORIZON
    if callback_at > now + horizon:
        return f"a callback more than {horizon.days} days ahead is not a first contact"
    return None


def callback_deadline(chosen: Policy | None, callback_at: datetime) -> datetime:
    """Return the new deadline when the lead asked to be called back at a time: that time plus the grace."""
    grace = chosen.callback_grace_minutes if chosen else 15
    return callback_at + timedelta(minutes=grace)
