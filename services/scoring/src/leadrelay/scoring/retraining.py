"""Retraining from LeadOutcome: on demand, and by itself once enough new outcomes have arrived."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from leadrelay.scoring.adapters.model_registry import ModelRegistry
from leadrelay.scoring.adapters.uow import PostgresScoringUnitOfWork
from leadrelay.scoring.model.features import FeatureMap
from leadrelay.scoring.state import ScoringState
from leadrelay.scoring.training.model import train

log = structlog.get_logger(__name__)

RETRAIN_LOCK = 7_311_002  # pg advisory lock: one replica trains at a time
MIN_PER_CLASS = 5  # stratified cross-validation needs a few of each


class OutcomeTrainer:
    """Trains conversion models on the outcomes scoring has recorded."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker,
        registry: ModelRegistry,
        state: ScoringState,
        feature_map: FeatureMap,
        retrain_after: int,
        activate_min_auc: float,
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._registry = registry
        self._state = state
        self._feature_map = feature_map
        self._retrain_after = retrain_after
        self._activate_min_auc = activate_min_auc
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def outcome_recorded(self) -> None:
        """Note a new outcome: the background loop checks whether enough have arrived."""
        self._wake.set()

    async def retrain(
        self, activate: bool = True, seed: int = 42, wait: bool = True, actor: str = "retraining"
    ) -> dict[str, Any]:
        """Train and register a version from every recorded outcome; ValueError when there are too few.

        With wait, a retraining already running (in any replica) is waited for; without, it is an error.
        """
        async with self._engine.connect() as lock:
            if wait:
                await lock.execute(text("SELECT pg_advisory_lock(:k)"), {"k": RETRAIN_LOCK})
            elif not await lock.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": RETRAIN_LOCK}):
                raise ValueError("another retraining is running")
            try:
                return await self._retrain(activate, seed, actor)
            finally:
                await lock.scalar(text("SELECT pg_advisory_unlock(:k)"), {"k": RETRAIN_LOCK})

    async def _retrain(self, activate: bool, seed: int, actor: str) -> dict[str, Any]:
        started = datetime.now(UTC)
        async with PostgresScoringUnitOfWork(self._sessions) as uow:
            rows = await uow.outcomes.all()
        labels = pd.Series([1 if r.outcome == "won" else 0 for r in rows], dtype=int)
        positives = int(labels.sum())
        if min(positives, len(rows) - positives) < MIN_PER_CLASS:
            raise ValueError(
                f"too few outcomes to train: {positives} won and {len(rows) - positives} lost or disqualified; "
                f"at least {MIN_PER_CLASS} of each are needed"
            )
        features = pd.DataFrame([r.features for r in rows], columns=list(self._feature_map.columns))
        features = features.dropna(axis=1, how="all")  # a column no lead had teaches nothing
        for column in features.columns:  # numbers stay numbers; everything else is a category
            converted = pd.to_numeric(features[column], errors="coerce")
            if converted.notna().sum() == features[column].notna().sum():
                features[column] = converted
            else:
                features[column] = (
                    features[column].astype("string").astype(object).where(features[column].notna())
                )
        folds = min(5, positives, len(rows) - positives)
        order = pd.Series([r.at for r in rows])
        # ModelRefused is a ValueError: the API answers it with 409, run() logs it as retrain_skipped
        model = await asyncio.to_thread(train, features, labels, seed, folds, order)
        # leads drift: the figure on the latest outcomes decides, the shuffled one only when there is none
        temporal = model.metrics["temporal"]["roc_auc"]
        measured = "on the latest outcomes" if temporal is not None else "cross-validated"
        auc = temporal if temporal is not None else float(model.metrics["roc_auc"])
        version = f"o{started:%Y%m%d%H%M%S%f}"
        activated = activate and auc >= self._activate_min_auc
        await self._registry.register(
            version,
            model,
            "outcome == won",
            {
                "source": "outcomes",
                "rows": len(rows),
                "positives": positives,
                "trained_at": started.isoformat(),
            },
            [],
            started,
            activate=activated,
            feature_map=self._feature_map.model_dump(mode="json"),
            actor=actor,
        )
        if activated:
            await self._state.refresh()
        log.info(
            "model_retrained",
            version=version,
            rows=len(rows),
            roc_auc=round(auc, 4),
            measured=measured,
            active=activated,
        )
        return {
            "version": version,
            "active": activated,
            "rows": len(rows),
            "positives": positives,
            "metrics": model.metrics,
            "note": None
            if activated or not activate
            else f"ROC AUC {measured} {auc:.3f} is under {self._activate_min_auc}",
        }

    def stop(self) -> None:
        """End run()."""
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Retrain whenever retrain_after outcomes arrived since the last model trained on outcomes."""
        while not self._stopping.is_set():
            await self._wake.wait()
            self._wake.clear()
            if self._stopping.is_set():
                return
            last = await self._registry.last_created(source="outcomes")
            async with PostgresScoringUnitOfWork(self._sessions) as uow:
                new = await uow.outcomes.count_since(last)
            if new < self._retrain_after:
                continue
            try:
                await self.retrain(activate=True, wait=False)
            except ValueError as exc:
                log.info("retrain_skipped", reason=str(exc))
