"""Re-score jobs: every stored lead scored again under one rule set version, in batches, with progress.

A job's progress (cursor, done, changed) commits in the same transaction as its batch's scores and
events, so a crash or restart resumes where it stopped and never re-scores a batch twice. The job row is
locked (SKIP LOCKED) while a batch runs, so several replicas share the work without overlap.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from leadrelay.db.documents import VersionedDocuments
from leadrelay.events import Topics
from leadrelay.scoring.adapters.orm import lead_facts, rescore_jobs
from leadrelay.scoring.adapters.uow import PostgresScoringUnitOfWork
from leadrelay.scoring.domain.rules import RuleSet
from leadrelay.scoring.handlers import rescore_lead
from leadrelay.scoring.scorer import Scoring
from leadrelay.scoring.state import ScoringState

log = structlog.get_logger(__name__)


class RescoreJobs:
    """Creates re-score jobs and runs them in the background."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker,
        rulesets: VersionedDocuments[RuleSet],
        state: ScoringState,
        topics: Topics,
        batch_size: int = 200,
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._rulesets = rulesets
        self._state = state
        self._topics = topics
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    async def create(self, ruleset_version: str) -> dict[str, Any]:
        """Queue a job over every lead scoring holds now; it starts within a moment."""
        job_id = str(uuid.uuid4())
        async with self._engine.begin() as conn:
            total = await conn.scalar(select(func.count()).select_from(lead_facts))
            await conn.execute(
                rescore_jobs.insert().values(
                    id=job_id,
                    ruleset_version=ruleset_version,
                    state="running",
                    total=int(total or 0),
                    created_at=datetime.now(UTC),
                )
            )
        self._wake.set()
        job = await self.get(job_id)
        assert job is not None
        return job

    async def get(self, job_id: str) -> dict[str, Any] | None:
        """Return a job with its progress, or None."""
        async with self._engine.connect() as conn:
            row = (
                (await conn.execute(select(rescore_jobs).where(rescore_jobs.c.id == job_id)))
                .mappings()
                .first()
            )
        if row is None:
            return None
        job = {k: v for k, v in row.items() if k != "cursor"}
        total = max(int(job["total"]), int(job["done"]))
        job["percent"] = (
            100.0 if job["state"] == "done" else round(100 * job["done"] / total, 1) if total else 0.0
        )
        return job

    def stop(self) -> None:
        """End run()."""
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Work through running jobs batch by batch; sleep when there are none."""
        while not self._stopping.is_set():
            worked = await self._one_batch()
            if not worked:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), 2.0)
                except TimeoutError:
                    pass

    async def _one_batch(self) -> bool:
        async with PostgresScoringUnitOfWork(self._sessions) as uow:
            job = (
                await uow.session.execute(
                    select(rescore_jobs)
                    .where(rescore_jobs.c.state == "running")
                    .order_by(rescore_jobs.c.created_at)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            ).first()
            if job is None:
                return False
            ruleset = await self._rulesets.get(job.ruleset_version)
            if ruleset is None:
                await uow.session.execute(
                    update(rescore_jobs)
                    .where(rescore_jobs.c.id == job.id)
                    .values(state="failed", error="rule set version not found", finished_at=datetime.now(UTC))
                )
                await uow.commit()
                return True
            query = select(lead_facts.c.lead_id).order_by(lead_facts.c.lead_id).limit(self._batch_size)
            if job.cursor is not None:
                query = query.where(lead_facts.c.lead_id > job.cursor)
            lead_ids = list((await uow.session.execute(query)).scalars())
            scoring = Scoring(ruleset, self._state.current.model)
            now = datetime.now(UTC)
            changed = 0
            for lead_id in lead_ids:
                changed += await rescore_lead(lead_id, uow, scoring, self._topics, now)
            finished = len(lead_ids) < self._batch_size
            await uow.session.execute(
                update(rescore_jobs)
                .where(rescore_jobs.c.id == job.id)
                .values(
                    cursor=lead_ids[-1] if lead_ids else job.cursor,
                    done=rescore_jobs.c.done + len(lead_ids),
                    changed=rescore_jobs.c.changed + changed,
                    state="done" if finished else "running",
                    finished_at=now if finished else None,
                )
            )
            await uow.commit()
        if finished:
            log.info("rescore_job_done", job_id=job.id, ruleset_version=job.ruleset_version)
        return True
