"""Scoring one lead: rules, qualification and the served model, joined into one list of reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from leadrelay.events.scoring import Checklist, ChecklistItem, Reason
from leadrelay.scoring.domain.facts import Activity
from leadrelay.scoring.domain.rules import RuleSet, ScoreResult, score_lead
from leadrelay.scoring.model.explain import Prediction, Predictor, explain
from leadrelay.scoring.model.features import FeatureMap, features_of


@dataclass(frozen=True)
class ServedModel:
    """The conversion model scoring uses: its version, predictor and feature map."""

    version: str
    predictor: Predictor
    feature_map: FeatureMap


@dataclass
class Scoring:
    """What scores leads now: the active rule set and, when one is active and servable, the model."""

    ruleset: RuleSet
    model: ServedModel | None = None


@dataclass(frozen=True)
class Assessment:
    """Everything LeadScored says about a lead."""

    result: ScoreResult
    prediction: Prediction | None
    model_version: str | None

    @property
    def probability(self) -> float | None:
        return round(self.prediction.probability, 4) if self.prediction else None

    def reasons(self) -> list[Reason]:
        """Disqualification and explicit requests first, then rule points and model contributions by size."""
        verdicts = [
            Reason(factor="disqualified", text=f"disqualified: {d}") for d in self.result.disqualified
        ]
        if self.result.sales_request and not self.result.disqualified:
            verdicts.append(Reason(factor="sales request", text=self.result.sales_request))
        points = [
            Reason(factor=c.factor, points=c.points, text=f"{c.points:+g} {c.text}")
            for c in sorted(self.result.contributions, key=lambda c: -abs(c.points))
        ]
        model = [
            Reason(factor=f"model: {c.label}", weight=round(c.delta, 4), text=c.text)
            for c in (self.prediction.contributions if self.prediction else ())
        ]
        return verdicts + points + model

    def checklists(self) -> list[Checklist]:
        """The framework checklists (BANT, MEDDIC, ...) as carried by LeadScored."""
        return self._checklists

    @cached_property
    def _checklists(self) -> list[Checklist]:
        # Built once per lead (the event and the stored score both carry them) and without validation: the
        # values come from the domain's own results, and validating each item cost a tenth of scoring's CPU.
        return [
            Checklist.model_construct(
                framework=c.framework,
                met=c.met,
                total=len(c.criteria),
                criteria=[
                    ChecklistItem.model_construct(name=i.name, met=i.met, evidence=i.evidence)
                    for i in c.criteria
                ],
            )
            for c in self.result.checklists
        ]


def assess(
    facts: dict[str, Any],
    activities: Sequence[Activity],
    now: datetime,
    ruleset: RuleSet,
    model: ServedModel | None,
) -> Assessment:
    """Score the lead by the rules and, when a model is served, predict and explain its probability."""
    result = score_lead(facts, ruleset, activities, now)
    prediction = None
    if model is not None:
        prediction = explain(
            model.predictor, model.feature_map, features_of(model.feature_map, facts, activities, now)
        )
    return Assessment(result, prediction, model.version if model else None)
