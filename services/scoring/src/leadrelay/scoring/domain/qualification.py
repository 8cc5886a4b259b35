"""Qualification: disqualifiers, explicit requests for sales, and framework checklists (BANT, MEDDIC, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leadrelay.paths import value_at
from leadrelay.scoring.domain.facts import Activity, check_fact_path


class Condition(BaseModel):
    """A test on one lead field, or on the lead's activities."""

    model_config = ConfigDict(extra="forbid")

    field: str | None = None
    keywords: list[str] | None = Field(default=None, description="any of these words in the field's text")
    values: list[str] | None = Field(default=None, description="the field's value is one of these")
    domains: list[str] | None = Field(default=None, description="the email's domain is one of these")
    present: bool | None = Field(default=None, description="the field is given (true) or missing (false)")
    activities: list[str] | None = Field(default=None, description="the lead has any of these activities")
    missing_purpose: str | None = Field(default=None, description="consent.purposes lacks this purpose")

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str | None) -> str | None:
        return check_fact_path(value) if value is not None else None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = [
            self.keywords,
            self.values,
            self.domains,
            self.present,
            self.activities,
            self.missing_purpose,
        ]
        if sum(t is not None for t in tests) != 1:
            raise ValueError(
                "a condition needs exactly one of keywords, values, domains, present, activities, missing_purpose"
            )
        if self.field is None and self.activities is None and self.missing_purpose is None:
            if self.domains is not None:
                self.field = "contact.email"
            else:
                raise ValueError("this condition needs a field")
        return self

    def evidence(self, facts: dict[str, Any], activities: Sequence[Activity]) -> str | None:
        """Return what matched, readable ("title: director"), or None when the condition does not hold."""
        if self.activities is not None:
            kinds = sorted({a.kind for a in activities if a.kind in self.activities})
            return f"activity: {', '.join(kinds)}" if kinds else None
        if self.missing_purpose is not None:
            purposes = value_at(facts, "consent.purposes") or []
            return None if self.missing_purpose in purposes else f"no consent to {self.missing_purpose}"
        assert self.field is not None
        value = value_at(facts, self.field)
        name = self.field.rsplit(".", 1)[-1]
        given = value not in (None, "", [], {}, False)
        if self.present is not None:
            if given != self.present:
                return None
            return f"{name}: given" if given else f"{name}: missing"
        if not given:
            return None
        text = str(value).lower()
        if self.keywords is not None:
            found = next((k for k in self.keywords if k.lower() in text), None)
            return f"{name}: {found}" if found else None
        if self.values is not None:
            return f"{name}: {value}" if text in {v.lower() for v in self.values} else None
        assert self.domains is not None
        domain = text.rsplit("@", 1)[-1]
        return f"{name} domain: {domain}" if domain in {d.lower() for d in self.domains} else None


class Disqualifier(Condition):
    """A reason to disqualify a lead whatever its score."""

    reason: str = Field(min_length=1)
    enabled: bool = True


class Criterion(BaseModel):
    """One checklist item of a framework, met when any of its conditions holds."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    any: list[Condition] = Field(min_length=1)


class SalesRequest(BaseModel):
    """What counts as the lead asking for sales explicitly."""

    model_config = ConfigDict(extra="forbid")

    activities: list[str] = Field(default_factory=lambda: ["demo_request"])
    complete_form_with_question: bool = True


class Qualification(BaseModel):
    """Disqualifiers, the explicit-request rule and framework checklists of a rule set."""

    model_config = ConfigDict(extra="forbid")

    disqualify: list[Disqualifier] = Field(default_factory=list)
    sales_request: SalesRequest = Field(default_factory=SalesRequest)
    frameworks: dict[str, list[Criterion]] = Field(default_factory=dict)


@dataclass(frozen=True)
class CriterionResult:
    """Whether one checklist item is met, and the evidence."""

    name: str
    met: bool
    evidence: str | None


@dataclass(frozen=True)
class Checklist:
    """A framework's checklist for one lead."""

    framework: str
    criteria: tuple[CriterionResult, ...]

    @property
    def met(self) -> int:
        return sum(c.met for c in self.criteria)


@dataclass(frozen=True)
class Verdict:
    """What qualification decided beyond the score."""

    disqualified: tuple[str, ...]  # "student (title: student)"
    sales_request: str | None  # why the lead counts as asking for sales, or None
    checklists: tuple[Checklist, ...]


def qualify(rules: Qualification, facts: dict[str, Any], activities: Sequence[Activity]) -> Verdict:
    """Apply the disqualifiers, the explicit-request rule and every framework checklist."""
    disqualified = tuple(
        f"{d.reason} ({evidence})"
        for d in rules.disqualify
        if d.enabled and (evidence := d.evidence(facts, activities)) is not None
    )
    return Verdict(
        disqualified,
        _sales_request(rules.sales_request, facts, activities),
        _checklists(rules, facts, activities),
    )


def _sales_request(rule: SalesRequest, facts: dict[str, Any], activities: Sequence[Activity]) -> str | None:
    asked = sorted({a.kind for a in activities if a.kind in rule.activities})
    if asked:
        return f"asked for sales: {', '.join(asked)}"
    if (
        rule.complete_form_with_question
        and facts.get("completeness") == "complete"
        and facts.get("question_asked")
    ):
        return "asked for sales: a complete form with a question"
    return None


def _checklists(
    rules: Qualification, facts: dict[str, Any], activities: Sequence[Activity]
) -> tuple[Checklist, ...]:
    lists = []
    for framework, criteria in rules.frameworks.items():
        results = []
        for criterion in criteria:
            evidence = next(
                (e for c in criterion.any if (e := c.evidence(facts, activities)) is not None), None
            )
            results.append(CriterionResult(criterion.name, evidence is not None, evidence))
        lists.append(Checklist(framework, tuple(results)))
    return tuple(lists)
