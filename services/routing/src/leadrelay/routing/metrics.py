"""Routing's business metrics."""

from prometheus_client import Counter

from leadrelay.observability.metrics import REGISTRY

UNROUTED = Counter(
    "leadrelay_routing_unrouted_total",
    "Sales-ready leads that found no queue or no eligible rep.",
    ["queue"],
    registry=REGISTRY,
)
