"""Rule scoring: pure functions from a lead's facts and a rule set to a score, grade, stage and reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from leadrelay.paths import value_at
from leadrelay.scoring.domain.facts import Activity, check_fact_path
from leadrelay.scoring.domain.qualification import Checklist, Qualification, Verdict, qualify

__all__ = ["Activity"]  # re-exported: most callers think of it as part of the rules

Group = Literal["fit", "engagement"]
Stage = Literal["nurture", "mql", "sql", "disqualified"]


class Rule(BaseModel):
    """One factor: points by the field's value, by keywords in it, by the highest threshold a number reaches
    (at_least: {1000: 25, 200: 20}), or for its presence."""

    model_config = ConfigDict(extra="forbid")

    factor: str
    group: Group
    field: str
    points: dict[str, float] | None = None
    keywords: dict[str, float] | None = None
    at_least: dict[float, float] | None = None
    present: float | None = None

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str) -> str:
        return check_fact_path(value)

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Rule:
        kinds = [k for k in (self.points, self.keywords, self.at_least, self.present) if k is not None]
        if len(kinds) != 1:
            raise ValueError("a rule needs exactly one of points, keywords, at_least or present")
        return self


class ActivityRules(BaseModel):
    """Engagement points per activity kind, halving every half_life_days."""

    model_config = ConfigDict(extra="forbid")

    points: dict[str, float] = Field(default_factory=dict)
    half_life_days: float = Field(default=14, gt=0)


class RuleSet(BaseModel):
    """A versioned set of rules with caps, stage thresholds and grade bands."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1)
    caps: dict[Group, float]
    stages: dict[Literal["sql", "mql"], float]
    grades: dict[Literal["fit", "engagement"], dict[str, float]]
    rules: list[Rule]
    activities: ActivityRules = Field(default_factory=ActivityRules)
    qualification: Qualification = Field(default_factory=Qualification)

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> RuleSet:
        if set(self.stages) != {"sql", "mql"}:
            raise ValueError("stages: needs both sql and mql thresholds")
        if self.stages["sql"] < self.stages["mql"]:
            raise ValueError("stages: sql needs at least the mql score")
        if set(self.grades) != {"fit", "engagement"}:
            raise ValueError("grades: needs bands for both fit and engagement")
        return self


class RuleSetError(ValueError):
    """A rule set is invalid; `problems` lists each one as {field: its path, reason}."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        self.problems = problems
        self.errors = [f"{p['field']}: {p['reason']}" for p in problems]
        super().__init__("; ".join(self.errors))


def parse_ruleset(raw: Any) -> RuleSet:
    """Validate a rule set document, reporting every error with its path."""
    if not isinstance(raw, dict):
        raise RuleSetError([{"field": "<root>", "reason": "a rule set is a mapping (YAML or JSON object)"}])
    try:
        return RuleSet.model_validate(raw)
    except ValidationError as exc:
        raise RuleSetError(
            [
                {"field": ".".join(str(p) for p in e["loc"]) or "<root>", "reason": e["msg"]}
                for e in exc.errors()
            ]
        ) from exc


@dataclass(frozen=True)
class Contribution:
    """Points one rule gave, and why."""

    factor: str
    group: Group
    points: float
    text: str


@dataclass(frozen=True)
class ScoreResult:
    """The outcome of scoring one lead."""

    score: int
    fit: int
    engagement: int
    grade: str
    stage: Stage
    contributions: tuple[Contribution, ...]
    ruleset_version: str
    disqualified: tuple[str, ...] = ()
    sales_request: str | None = None
    checklists: tuple[Checklist, ...] = ()


def apply_rule(rule: Rule, facts: dict[str, Any]) -> Contribution | None:
    """Return the rule's contribution to this lead, or None when it does not apply."""
    value = value_at(facts, rule.field)
    if rule.present is not None:
        if value in (None, "", [], {}):
            return None
        return Contribution(rule.factor, rule.group, rule.present, f"{rule.factor}: given")
    if value is None:
        return None
    if rule.at_least is not None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        reached = [threshold for threshold in rule.at_least if value >= threshold]
        if not reached:
            return None
        threshold = max(reached)
        return Contribution(rule.factor, rule.group, rule.at_least[threshold], f"{rule.factor}: {value:g}")
    if rule.points is not None:
        key = str(value).lower() if isinstance(value, bool) else str(value)
        if key not in rule.points:
            return None
        return Contribution(rule.factor, rule.group, rule.points[key], f"{rule.factor}: {key}")
    text = str(value).lower()
    assert rule.keywords is not None
    matches = [(kw, pts) for kw, pts in rule.keywords.items() if kw in text]
    if not matches:
        return None
    keyword, points = max(matches, key=lambda m: abs(m[1]))
    return Contribution(rule.factor, rule.group, points, f"{rule.factor}: {keyword}")


def activity_points(activities: Sequence[Activity], rules: ActivityRules, now: datetime) -> float:
    """Return the decayed engagement points of a lead's activities at `now` (future activities count fully)."""
    total = 0.0
    for activity in activities:
        age_days = max(0.0, (now - activity.at).total_seconds() / 86400)
        total += rules.points.get(activity.kind, 0.0) * 0.5 ** (age_days / rules.half_life_days)
    return total


def activity_contribution(
    activities: Sequence[Activity], rules: ActivityRules, now: datetime
) -> Contribution | None:
    """Return what recent activity adds to engagement, or None when it adds nothing."""
    points = round(activity_points(activities, rules, now), 1)
    if points <= 0:
        return None
    kinds = sorted({a.kind for a in activities if rules.points.get(a.kind)})
    return Contribution("recent activity", "engagement", points, f"recent activity: {', '.join(kinds)}")


def _band(points: float, bands: dict[str, float], lowest: str) -> str:
    for label, minimum in sorted(bands.items(), key=lambda b: -b[1]):
        if points >= minimum:
            return label
    return lowest


def score_lead(
    facts: dict[str, Any],
    ruleset: RuleSet,
    activities: Sequence[Activity] = (),
    now: datetime | None = None,
) -> ScoreResult:
    """Score a lead's facts (the LeadCaptured data as a dict) and its activities (decayed to `now`)."""
    contributions = tuple(c for rule in ruleset.rules if (c := apply_rule(rule, facts)) is not None)
    if activities and now is not None:
        recent = activity_contribution(activities, ruleset.activities, now)
        contributions += (recent,) if recent else ()
    totals = {
        group: sum(c.points for c in contributions if c.group == group) for group in ("fit", "engagement")
    }
    fit = int(max(0, min(totals["fit"], ruleset.caps.get("fit", 100))))
    engagement = int(max(0, min(totals["engagement"], ruleset.caps.get("engagement", 100))))
    score = max(0, min(100, fit + engagement))
    verdict = qualify(ruleset.qualification, facts, activities)
    grade = _band(fit, ruleset.grades["fit"], "D") + _band(engagement, ruleset.grades["engagement"], "4")
    return ScoreResult(
        score,
        fit,
        engagement,
        grade,
        decide_stage(score, ruleset.stages, verdict),
        contributions,
        ruleset.version,
        verdict.disqualified,
        verdict.sales_request,
        verdict.checklists,
    )


def decide_stage(score: int, thresholds: dict[Literal["sql", "mql"], float], verdict: Verdict) -> Stage:
    """Disqualified beats everything; an explicit request for sales is sql whatever the score."""
    if verdict.disqualified:
        return "disqualified"
    if verdict.sales_request or score >= thresholds["sql"]:
        return "sql"
    return "mql" if score >= thresholds["mql"] else "nurture"
