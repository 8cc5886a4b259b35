"""Folding a repeat submission into the lead it belongs to, without letting a stranger rewrite a person."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from leadrelay.capture.domain.lead import NewLead

# What a person tells us about themselves; the origin (source, form, UTM) stays the first submission's.
PERSON_FIELDS = ("name", "phone", "company", "title", "company_size", "industry", "country", "message")


@dataclass(frozen=True)
class StoredLead:
    """A lead as capture holds it, and whether its marketing consent was withdrawn."""

    lead: NewLead
    marketing_opted_out: bool = False


@dataclass(frozen=True)
class Merge:
    """The lead after a submission, the changes it proposed but did not apply, and those it applied."""

    lead: NewLead
    proposed: dict[str, Any] = field(default_factory=dict)
    updated: tuple[str, ...] = ()
    consent_regranted: bool = False
    consent_changed: bool = False  # marketing consent differs from what was stored


def _size(lead: NewLead) -> int | str | None:
    """The company's size as the person gave it: their head count, else the bucket."""
    return lead.employees if lead.employees is not None else lead.company_size


def merge_submission(stored: StoredLead, submitted: NewLead, may_update: bool) -> Merge:
    """Fold submitted into stored: stored values win, new ones fill gaps, a differing value is only proposed.

    may_update is an authenticated backend asking to update: its values replace stored ones, and its marketing
    consent counts even after an opt-out (the backend asserts it was confirmed). Anyone else can gain consent
    only for a person who never withdrew it.
    """
    current = stored.lead
    values: dict[str, Any] = {}
    proposed: dict[str, Any] = {}
    updated: list[str] = []
    for name in PERSON_FIELDS:
        old, new = getattr(current, name), getattr(submitted, name)
        if name == "company_size":  # the bucket and the head count it came from change together
            old, new = _size(current), _size(submitted)
            if (
                new is not None
                and old is not None
                and submitted.employees is None
                and new == current.company_size
            ):
                continue  # the bucket a stored head count falls in says nothing new
        if new is None or new == old:
            continue
        if old is None:
            values[name] = new
        elif may_update:
            values[name] = new
            updated.append(name)
        else:
            proposed[name] = new
    if "company_size" in values:
        values["company_size"], values["employees"] = submitted.company_size, submitted.employees
    may_consent = may_update or not stored.marketing_opted_out
    marketing = current.consent_marketing or (submitted.consent_marketing and may_consent)
    given = dict.fromkeys([*current.consent_purposes, *submitted.consent_purposes])
    purposes = tuple(p for p in given if p != "marketing") + (("marketing",) if marketing else ())
    merged = replace(
        current,
        **values,
        consent_marketing=marketing,
        consent_purposes=purposes,
        consent_policy_version=current.consent_policy_version or submitted.consent_policy_version,
    )
    regranted = stored.marketing_opted_out and marketing and not current.consent_marketing
    return Merge(merged, proposed, tuple(updated), regranted, marketing != current.consent_marketing)
