"""What scoring stores of its own results: a lead's latest score, and the outcomes retraining learns from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class StoredScore:
    """A lead's latest score as LeadScored announced it (reasons and checklists as their JSON documents)."""

    lead_id: str
    score: int
    fit: int
    engagement: int
    grade: str
    stage: str
    reasons: list[dict[str, Any]]
    ruleset_version: str
    source: str | None
    times_scored: int
    scored_at: datetime
    probability: float | None = None
    model_version: str | None = None
    qualification: list[dict[str, Any]] | None = None
    sql_at: datetime | None = None  # when the lead first became sql: outcomes learn from before it

    @property
    def headline(self) -> tuple[int, str, str]:
        """Score, grade and stage: what a re-score must change to be announced."""
        return self.score, self.grade, self.stage


@dataclass(frozen=True, slots=True)
class TrainingExample:
    """A lead's outcome with its model columns as they were before sales had it, and when it was decided."""

    outcome: str
    features: dict[str, Any]
    at: datetime
