"""What scoring's endpoints use, built once by the composition root (bootstrap.py) and given to each endpoint
as a FastAPI dependency: `ctx: ScoringDeps` (`Scoring` is the scorer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from leadrelay.db.documents import AuditLog, VersionedDocuments
from leadrelay.scoring.adapters.model_registry import ModelRegistry
from leadrelay.scoring.adapters.uow import PostgresScoringUnitOfWork
from leadrelay.scoring.domain.rules import RuleSet
from leadrelay.scoring.rescore import RescoreJobs
from leadrelay.scoring.retraining import OutcomeTrainer
from leadrelay.scoring.state import ModelCache, ScoringState
from leadrelay.service.context import app_context
from leadrelay.service.runtime import ServiceRuntime


@dataclass(frozen=True)
class ScoringContext:
    """The runtime, rule set versions, the model registry and cache, what scores now, re-score jobs,
    retraining and the audit."""

    runtime: ServiceRuntime
    rulesets: VersionedDocuments[RuleSet]
    registry: ModelRegistry
    state: ScoringState
    model_cache: ModelCache
    rescore_jobs: RescoreJobs
    trainer: OutcomeTrainer
    audit: AuditLog

    def uow(self) -> PostgresScoringUnitOfWork:
        """A new unit of work on scoring's database."""
        return PostgresScoringUnitOfWork(self.runtime.sessions)


ScoringDeps = Annotated[ScoringContext, Depends(app_context)]
