"""The delivery service's own metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from leadrelay.observability.metrics import REGISTRY

ATTEMPTS = Counter(
    "leadrelay_delivery_attempts_total",
    "Delivery attempts by channel (webhook, slack, email) and what came of them (delivered, retry, gone, failed).",
    ["channel", "result"],
    registry=REGISTRY,
)
ATTEMPT_SECONDS = Histogram(
    "leadrelay_delivery_attempt_seconds",
    "How long one delivery attempt took, answer or not, by channel.",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
DELIVERIES = Gauge(
    "leadrelay_deliveries",
    "Deliveries by status (pending, delivered, failed), from the database.",
    ["status"],
    registry=REGISTRY,
)
DISABLED_SUBSCRIPTIONS = Gauge(
    "leadrelay_delivery_disabled_subscriptions",
    "Subscriptions disabled because their target kept failing or answered 410 Gone (or by an admin).",
    registry=REGISTRY,
)
