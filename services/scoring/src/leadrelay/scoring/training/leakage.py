"""Columns that leak the outcome: written after sales contact, so unknown when a lead arrives."""

from __future__ import annotations

import fnmatch

# Shared-knowledge defaults (the X Education case study's post-contact columns, and common CRM names).
DEFAULT_DENY = (
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Asymmetrique*",
    "Last Activity",
    "Last Notable Activity",
    "*status*",
    "*stage*",
    "*outcome*",
    "*won*",
    "*lost*",
    "*closed*",
)


def leaky_columns(columns: list[str], deny: tuple[str, ...] = DEFAULT_DENY) -> list[str]:
    """Return the columns that match the deny list (case-insensitive glob patterns)."""
    return [c for c in columns if any(fnmatch.fnmatch(c.lower(), p.lower()) for p in deny)]
