"""Scoring's storage in memory: the twin of PostgreSQL's for handler tests (tests/contract runs the same suite
on both). JSON documents go through the same serialiser the database columns do."""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from leadrelay.db.engine import json_text
from leadrelay.db.memory import MemoryUnitOfWork, MessagingState
from leadrelay.events.scoring import Reason
from leadrelay.scoring.domain.facts import Activity, LeadFacts
from leadrelay.scoring.domain.score import StoredScore, TrainingExample
from leadrelay.scoring.scorer import Assessment


def _json(value: Any) -> Any:
    """A value as a JSON column gives it back."""
    return json.loads(json_text(value))


@dataclass
class Outcome:
    """A stored outcome: the training example, its value and when it was recorded."""

    lead_id: str
    example: TrainingExample
    value: float | None
    recorded_at: datetime


@dataclass
class ScoringStore:
    """Everything scoring keeps."""

    scores: dict[str, StoredScore] = field(default_factory=dict)
    facts: dict[str, LeadFacts] = field(default_factory=dict)
    activities: dict[str, tuple[str, Activity]] = field(
        default_factory=dict
    )  # event id -> (lead id, activity)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    messaging: MessagingState = field(default_factory=MessagingState)


class MemoryScores:
    """Scores by lead."""

    def __init__(self, store: ScoringStore) -> None:
        self._scores = store.scores

    async def save_many(
        self, scored: builtins.list[tuple[str, str | None, Assessment]], now: datetime
    ) -> None:
        """Insert or replace leads' scores; the first time a lead became sql is kept."""
        for lead_id, source, assessment in scored:
            result, before = assessment.result, self._scores.get(lead_id)
            self._scores[lead_id] = StoredScore(
                lead_id=lead_id,
                score=result.score,
                fit=result.fit,
                engagement=result.engagement,
                grade=result.grade,
                stage=result.stage,
                reasons=_json([r.model_dump(exclude_none=True) for r in assessment.reasons()]),
                ruleset_version=result.ruleset_version,
                source=source,
                times_scored=before.times_scored + 1 if before else 1,
                scored_at=now,
                probability=assessment.probability,
                model_version=assessment.model_version,
                qualification=_json([c.model_dump() for c in assessment.checklists()]),
                sql_at=(before.sql_at if before else None) or (now if result.stage == "sql" else None),
            )

    async def return_to_nurture(self, lead_id: str, reasons: builtins.list[Reason], now: datetime) -> None:
        """Set the lead's stage back to nurture, keeping the reasons why."""
        score = self._scores.get(lead_id)
        if score is not None:
            documents = _json([r.model_dump(exclude_none=True) for r in reasons])
            self._scores[lead_id] = replace(
                score, stage="nurture", reasons=documents, scored_at=now, times_scored=score.times_scored + 1
            )

    async def get(self, lead_id: str) -> StoredScore | None:
        """A lead's score."""
        return self._scores.get(lead_id)

    async def get_many(self, lead_ids: builtins.list[str]) -> dict[str, StoredScore]:
        """The scores of those leads that have one."""
        return {lead_id: self._scores[lead_id] for lead_id in lead_ids if lead_id in self._scores}

    async def forget(self, lead_id: str) -> None:
        """Delete a lead's score."""
        self._scores.pop(lead_id, None)

    async def count(self) -> int:
        """How many leads have a score."""
        return len(self._scores)


class MemoryLeads:
    """Facts and activities by lead."""

    def __init__(self, store: ScoringStore) -> None:
        self._store = store

    async def remember_many(self, facts: builtins.list[LeadFacts], now: datetime) -> None:
        """Store leads' latest facts."""
        for lead in facts:
            self._store.facts[lead.lead_id] = LeadFacts(lead.lead_id, _json(lead.document))

    async def facts_of(self, lead_ids: builtins.list[str]) -> dict[str, LeadFacts]:
        """The facts of those leads whose capture has arrived."""
        return {lead_id: self._store.facts[lead_id] for lead_id in lead_ids if lead_id in self._store.facts}

    async def facts(self, lead_id: str) -> LeadFacts | None:
        """A lead's facts."""
        return self._store.facts.get(lead_id)

    async def add_activity(self, event_id: str, lead_id: str, kind: str, at: datetime) -> None:
        """Store one activity (once per event)."""
        self._store.activities.setdefault(event_id, (lead_id, Activity(kind=kind, at=at)))

    async def activities(self, lead_id: str) -> builtins.list[Activity]:
        """A lead's activities."""
        return (await self.activities_of([lead_id]))[lead_id]

    async def activities_of(self, lead_ids: builtins.list[str]) -> dict[str, builtins.list[Activity]]:
        """Each lead's activities (an empty list for a lead without any)."""
        found: dict[str, builtins.list[Activity]] = {lead_id: [] for lead_id in lead_ids}
        for lead_id, activity in self._store.activities.values():
            if lead_id in found:
                found[lead_id].append(activity)
        return found

    async def forget(self, lead_id: str) -> None:
        """Delete a lead's facts and activities."""
        self._store.facts.pop(lead_id, None)
        self._store.activities = {k: v for k, v in self._store.activities.items() if v[0] != lead_id}


class MemoryOutcomes:
    """Outcomes by lead."""

    def __init__(self, store: ScoringStore) -> None:
        self._outcomes = store.outcomes

    async def record(
        self,
        lead_id: str,
        outcome: str,
        value: float | None,
        at: datetime,
        features: dict[str, Any],
        now: datetime,
    ) -> None:
        """Store a lead's outcome; a later outcome replaces an earlier one, an older one is ignored."""
        known = self._outcomes.get(lead_id)
        if known is None or known.example.at <= at:
            self._outcomes[lead_id] = Outcome(
                lead_id, TrainingExample(outcome, _json(features), at), value, now
            )

    async def forget(self, lead_id: str) -> None:
        """Delete a lead's outcome."""
        self._outcomes.pop(lead_id, None)

    async def all(self) -> builtins.list[TrainingExample]:
        """Every outcome, oldest first."""
        ordered = sorted(self._outcomes.values(), key=lambda o: (o.example.at, o.lead_id))
        return [o.example for o in ordered]

    async def count_since(self, since: datetime | None) -> int:
        """How many outcomes were recorded after `since` (all when None)."""
        return sum(since is None or o.recorded_at > since for o in self._outcomes.values())


class MemoryScoringUnitOfWork(MemoryUnitOfWork):
    """A transaction over a ScoringStore."""

    scores: MemoryScores
    leads: MemoryLeads
    outcomes: MemoryOutcomes

    def __init__(self, store: ScoringStore) -> None:
        super().__init__(store)

    def _open_repositories(self) -> None:
        store: ScoringStore = self.working
        self.scores = MemoryScores(store)
        self.leads = MemoryLeads(store)
        self.outcomes = MemoryOutcomes(store)
