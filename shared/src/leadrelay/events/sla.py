"""Events about the SLA policies themselves: SlaPoliciesActivated."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from leadrelay.events.base import EventData
from leadrelay.sla_policies import PolicySet

POLICIES_KEY = "sla-policies"  # one key: the compacted topic keeps the latest activation


class SlaPoliciesActivated(EventData):
    """The SLA monitor activated a version of its SLA policies; routing states deadlines by the newest."""

    EVENT_TYPE: ClassVar[str] = "leadrelay.sla.policies-activated.v1"

    policies: PolicySet
    activated_at: datetime
