"""Routing's business metrics: alerts for leads nobody in their queue could take."""

from prometheus_client import Counter

from leadrelay.observability.metrics import REGISTRY

UNROUTED = Counter(
    "leadrelay_routing_unrouted_total",
    "Sales-ready leads that matched no rule (they go to the first queue's pool).",
    ["queue"],
    registry=REGISTRY,
)
FELL_BACK = Counter(
    "leadrelay_routing_fallback_total",
    "Leads nobody in their queue could take, handed to the queue's fallback queue.",
    ["queue", "fallback"],
    registry=REGISTRY,
)
POOLED = Counter(
    "leadrelay_routing_pooled_total",
    "Handoffs that went to a queue's pool: nobody eligible, or the escalation ladder ran out.",
    ["queue"],
    registry=REGISTRY,
)
