"""Topic names, in one place; a prefix isolates environments and test runs."""

from __future__ import annotations

from dataclasses import dataclass

CAPTURED = "leads.captured"
ACTIVITY = "leads.activity"
SCORED = "leads.scored"
QUALIFIED = "leads.qualified"
CONTACTED = "leads.contacted"
SLA_BREACHED = "leads.sla-breached"
OUTCOMES = "leads.outcomes"
REJECTED = "leads.handoff-rejected"
AT_RISK = "leads.sla-at-risk"
ERASED = "leads.erased"
CONSENT = "leads.consent"
SLA_POLICIES = "sla.policies"
HANDOFF_PREFIX = "handoffs."
DLQ_SUFFIX = ".dlq"

ALL = (
    CAPTURED,
    ACTIVITY,
    SCORED,
    QUALIFIED,
    CONTACTED,
    SLA_BREACHED,
    AT_RISK,
    OUTCOMES,
    REJECTED,
    ERASED,
    CONSENT,
    SLA_POLICIES,
)
# Topics whose latest record per key is their state: compacted, never deleted by age.
COMPACTED = (SLA_POLICIES,)


@dataclass(frozen=True)
class Topics:
    """Resolves logical topic names to the names used on the broker."""

    prefix: str = ""

    def name(self, logical: str) -> str:
        """Return the broker topic for a logical topic name."""
        return f"{self.prefix}{logical}"

    def handoff(self, queue: str) -> str:
        """Return the per-queue handoff topic."""
        return self.name(f"{HANDOFF_PREFIX}{queue}")

    @staticmethod
    def dlq(topic: str) -> str:
        """Return the dead-letter topic of a broker topic."""
        return f"{topic}{DLQ_SUFFIX}"

    @property
    def captured(self) -> str:
        return self.name(CAPTURED)

    @property
    def activity(self) -> str:
        return self.name(ACTIVITY)

    @property
    def scored(self) -> str:
        return self.name(SCORED)

    @property
    def qualified(self) -> str:
        return self.name(QUALIFIED)

    @property
    def contacted(self) -> str:
        return self.name(CONTACTED)

    @property
    def sla_breached(self) -> str:
        return self.name(SLA_BREACHED)

    @property
    def outcomes(self) -> str:
        return self.name(OUTCOMES)

    @property
    def at_risk(self) -> str:
        return self.name(AT_RISK)

    @property
    def rejected(self) -> str:
        return self.name(REJECTED)

    @property
    def erased(self) -> str:
        return self.name(ERASED)

    @property
    def consent(self) -> str:
        return self.name(CONSENT)

    @property
    def sla_policies(self) -> str:
        return self.name(SLA_POLICIES)

    def all_with_dlq(self) -> list[str]:
        """Return every lead topic and its dead-letter topic."""
        names = [self.name(t) for t in ALL]
        return names + [self.dlq(n) for n in names]
