"""The SLA monitor's business metrics: speed to lead, split into routing time and rep time."""

from prometheus_client import Counter, Gauge, Histogram

from leadrelay.observability.metrics import REGISTRY

BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400, 172800)

ROUTING_TIME = Histogram(
    "leadrelay_speed_to_lead_routing_seconds",
    "Capture to handoff: Leadrelay's own share of speed to lead.",
    ["queue"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
    registry=REGISTRY,
)
REP_TIME = Histogram(
    "leadrelay_speed_to_lead_rep_seconds",
    "Handoff to first contact: sales' share of speed to lead.",
    ["queue"],
    buckets=BUCKETS,
    registry=REGISTRY,
)
SPEED_TO_LEAD_QUANTILE = Gauge(
    "leadrelay_speed_to_lead_quantile_seconds",
    "p50 and p95 of routing time and rep time over the last 24 hours, from the database (all replicas).",
    ["part", "quantile"],
    registry=REGISTRY,
)
COMPLIANCE = Gauge(
    "leadrelay_sla_compliance_ratio",
    "Share of handoffs decided in the last 24 hours that were contacted before their deadline, per queue.",
    ["queue"],
    registry=REGISTRY,
)
CLOCKS_STARTED = Counter(
    "leadrelay_sla_clocks_started_total",
    "Follow-up clocks started (one per handoff attempt).",
    ["queue"],
    registry=REGISTRY,
)
BREACHES = Counter(
    "leadrelay_sla_breaches_total",
    "Follow-up deadlines missed (HandoffBreached emitted).",
    ["queue"],
    registry=REGISTRY,
)
WARNINGS = Counter(
    "leadrelay_sla_warnings_total",
    "Handoffs at risk (HandoffAtRisk emitted).",
    ["queue"],
    registry=REGISTRY,
)
REJECTIONS = Counter(
    "leadrelay_sla_clocks_rejected_total",
    "Follow-up clocks stopped because the rep rejected the handoff (neither a contact nor a breach).",
    ["queue"],
    registry=REGISTRY,
)
