"""Prometheus metrics shared by every service; one registry per process (one service per process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "leadrelay_http_requests_total",
    "HTTP requests by route and status.",
    ["service", "method", "route", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "leadrelay_http_request_duration_seconds",
    "HTTP request duration by route.",
    ["service", "method", "route"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
CONSUMED = Counter(
    "leadrelay_messages_consumed_total",
    "Messages consumed, by topic and outcome (ok, dead_lettered).",
    ["service", "topic", "outcome"],
    registry=REGISTRY,
)
HANDLER_SECONDS = Histogram(
    "leadrelay_handler_duration_seconds",
    "Time to handle one message, by topic.",
    ["service", "topic"],
    registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
DEAD_LETTERED = Counter(
    "leadrelay_dead_lettered_total",
    "Messages sent to a dead-letter topic.",
    ["service", "topic"],
    registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "leadrelay_consumer_lag",
    "Messages behind the end of the assigned partitions, per topic.",
    ["service", "topic"],
    registry=REGISTRY,
)
CONSUMER_ASSIGNED_PARTITIONS = Gauge(
    "leadrelay_consumer_assigned_partitions",
    "Partitions the consumer group gave this process, per topic (0 while a rebalance is under way).",
    ["service", "topic"],
    registry=REGISTRY,
)
CONSUMER_REBALANCES = Counter(
    "leadrelay_consumer_rebalances_total",
    "Assignments this process received from its consumer groups: one per rebalance it took part in.",
    ["service"],
    registry=REGISTRY,
)
CONSUMER_RESTARTS = Counter(
    "leadrelay_consumer_restarts_total",
    "Consumer restarts, by reason.",
    ["service", "reason"],
    registry=REGISTRY,
)
OUTBOX_BACKLOG = Gauge(
    "leadrelay_outbox_backlog",
    "Outbox rows not yet published.",
    ["service"],
    registry=REGISTRY,
)
OUTBOX_OLDEST_AGE = Gauge(
    "leadrelay_outbox_oldest_age_seconds",
    "Age of the oldest unpublished outbox row.",
    ["service"],
    registry=REGISTRY,
)
OUTBOX_PUBLISHED = Counter(
    "leadrelay_outbox_published_total",
    "Outbox rows published.",
    ["service"],
    registry=REGISTRY,
)
