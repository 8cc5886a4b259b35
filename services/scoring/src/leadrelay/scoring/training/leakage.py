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


def leaky_columns(
    columns: list[str], deny: tuple[str, ...] = DEFAULT_DENY, allow: tuple[str, ...] = ()
) -> dict[str, str]:
    """Return each column on the deny list (case-insensitive globs) with the pattern that caught it.

    Columns in `allow` (named exactly, any case) are kept: the user knows them to be set before contact.
    """
    allowed = {a.lower() for a in allow}
    caught: dict[str, str] = {}
    for column in columns:
        if column.lower() in allowed:
            continue
        pattern = next((p for p in deny if fnmatch.fnmatch(column.lower(), p.lower())), None)
        if pattern is not None:
            caught[column] = pattern
    return caught
