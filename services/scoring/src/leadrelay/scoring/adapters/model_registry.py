"""The model registry in scoring's database: versions, metrics, features, which one is active."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import joblib
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from leadrelay.scoring.adapters.orm import models
from leadrelay.scoring.training.model import TrainedModel


def serialise(model: TrainedModel) -> bytes:
    """Return the model as bytes (joblib)."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    return buffer.getvalue()


def deserialise(blob: bytes) -> TrainedModel:
    """Load a model stored by serialise (only ever from scoring's own database)."""
    return joblib.load(io.BytesIO(blob))  # type: ignore[no-any-return]


class ModelRegistry:
    """Registered model versions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def register(
        self,
        version: str,
        model: TrainedModel,
        target: str,
        training: dict[str, Any],
        leaky: list[str],
        now: datetime,
        activate: bool = False,
    ) -> None:
        """Store a trained model; optionally make it the active one."""
        async with self._engine.begin() as conn:
            if activate:
                await conn.execute(update(models).where(models.c.active).values(active=False))
            await conn.execute(
                insert(models).values(
                    version=version,
                    created_at=now,
                    active=activate,
                    target=target,
                    features=model.features,
                    metrics=model.metrics,
                    training=training,
                    leaky_columns=leaky,
                    artifact=serialise(model),
                )
            )

    async def activate(self, version: str) -> bool:
        """Make a version the active one; return False when it does not exist."""
        async with self._engine.begin() as conn:
            exists = await conn.scalar(select(models.c.version).where(models.c.version == version))
            if exists is None:
                return False
            await conn.execute(update(models).where(models.c.active).values(active=False))
            await conn.execute(update(models).where(models.c.version == version).values(active=True))
        return True

    async def list(self) -> list[dict[str, Any]]:
        """Return every version without its artifact, newest first."""
        columns = [c for c in models.c if c.name != "artifact"]
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(*columns).order_by(models.c.created_at.desc()))
            return [dict(r) for r in rows.mappings()]

    async def active(self) -> tuple[str, TrainedModel] | None:
        """Return the active version and its model, or None."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(models.c.version, models.c.artifact).where(models.c.active))
            ).first()
        return (row.version, deserialise(row.artifact)) if row else None
