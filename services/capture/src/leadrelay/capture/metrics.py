"""Capture's business metrics (labels are bounded: source, form id, scope; never personal data)."""

from prometheus_client import Counter, Histogram

from leadrelay.observability.metrics import REGISTRY

LEADS = Counter(
    "leadrelay_capture_leads_total",
    "Leads accepted, new or merged into the same person's lead.",
    ["source", "outcome"],
    registry=REGISTRY,
)
DROPPED_FIELDS = Counter(
    "leadrelay_capture_dropped_fields_total",
    "Submitted fields a form does not allow (dropped, never stored).",
    ["form"],
    registry=REGISTRY,
)
HONEYPOT = Counter(
    "leadrelay_capture_honeypot_total",
    "Submissions that filled a form's honeypot (answered, not stored).",
    ["form"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "leadrelay_capture_rate_limited_total",
    "Requests refused with 429, by limit.",
    ["scope"],
    registry=REGISTRY,
)
GROUP_COMMIT_LEADS = Histogram(
    "leadrelay_capture_group_commit_leads",
    "Leads stored per group-commit transaction (larger batches share one transaction's cost).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 500),
    registry=REGISTRY,
)
INTAKE_REFUSED = Counter(
    "leadrelay_capture_intake_refused_total",
    "Leads refused with 503 because the intake queue was full or the database did not answer in time.",
    ["reason"],
    registry=REGISTRY,
)
