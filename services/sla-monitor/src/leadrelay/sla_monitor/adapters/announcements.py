"""Announcing each activation of the SLA policies (SlaPoliciesActivated) through the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadrelay.db.outbox import outbox_row
from leadrelay.events import Envelope, Topics, new_event
from leadrelay.events.sla import POLICIES_KEY, SlaPoliciesActivated
from leadrelay.sla_monitor.adapters.orm import outbox
from leadrelay.sla_policies import PolicySet

SOURCE = "leadrelay/sla-monitor"
_ANNOUNCEMENTS = uuid.UUID("5f0c1b9e-4c57-4a8e-9d0f-2a63e3f1c0a7")


def announcement(policies: PolicySet, activated_at: datetime) -> Envelope:
    """The event of one activation; its id is the activation's, so announcing it again adds nothing."""
    event_id = uuid.uuid5(_ANNOUNCEMENTS, f"{policies.version}@{activated_at.isoformat()}")
    data = SlaPoliciesActivated(policies=policies, activated_at=activated_at)
    return new_event(data, source=SOURCE, subject=POLICIES_KEY, event_id=str(event_id), time=activated_at)


async def announce(
    conn: AsyncConnection, topics: Topics, policies: PolicySet, activated_at: datetime
) -> None:
    """Queue the activation's announcement in conn's transaction (once per activation)."""
    row = outbox_row(announcement(policies, activated_at), topics.sla_policies, POLICIES_KEY)
    await conn.execute(pg_insert(outbox).values(**row).on_conflict_do_nothing(index_elements=["event_id"]))
