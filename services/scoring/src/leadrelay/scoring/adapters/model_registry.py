"""The model registry in scoring's database: versions, metrics, features, which one is active."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from leadrelay.db.documents import AuditLog
from leadrelay.scoring.adapters.orm import audit_log, models
from leadrelay.scoring.model.artifact import dump_model, load_model
from leadrelay.scoring.model.forest import LeanModel
from leadrelay.scoring.training.compile import compile_model
from leadrelay.scoring.training.model import TrainedModel


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """The figures an audit entry keeps of a model's metrics."""
    return {key: metrics.get(key) for key in ("roc_auc", "calibration_slope")}


def serialise(model: TrainedModel) -> bytes:
    """Return the model as what scoring serves: the compiled predictor's arrays, without pickle."""
    return dump_model(compile_model(model))


class ModelRegistry:
    """Registered model versions; every registration and activation is audited."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._audit = AuditLog(engine, audit_log)

    async def register(
        self,
        version: str,
        model: TrainedModel,
        target: str,
        training: dict[str, Any],
        leaky: list[str],
        now: datetime,
        activate: bool = False,
        feature_map: dict[str, Any] | None = None,
        actor: str = "unknown caller",
    ) -> None:
        """Store a trained model (with the feature map that serves it, if any); optionally activate it."""
        async with self._engine.begin() as conn:
            detail = {"target": target, "rows": training.get("rows"), "metrics": _headline(model.metrics)}
            await self._audit.record(actor, "model_registered", version, detail, now, conn)
            if activate:
                await self._deactivate_all(conn, version, actor, now)
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
                    feature_map=feature_map,
                )
            )

    async def activate(self, version: str, actor: str, now: datetime) -> bool:
        """Make a version the active one; False when it does not exist; ValueError when it cannot be served."""
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    select(models.c.version, models.c.feature_map, models.c.leaky_columns).where(
                        models.c.version == version
                    )
                )
            ).first()
            if row is None:
                return False
            if row.leaky_columns:
                raise ValueError(f"model {version} was trained on leaky columns and is never activated")
            if row.feature_map is None:
                raise ValueError(f"model {version} has no feature map, so it cannot score live leads")
            await self._deactivate_all(conn, version, actor, now)
            await conn.execute(update(models).where(models.c.version == version).values(active=True))
        return True

    async def _deactivate_all(self, conn: AsyncConnection, version: str, actor: str, now: datetime) -> None:
        """Make no version active (the caller activates `version` in the same transaction); audited."""
        previous = await conn.scalar(select(models.c.version).where(models.c.active))
        await conn.execute(update(models).where(models.c.active).values(active=False))
        await self._audit.record(actor, "model_activated", version, {"previous": previous}, now, conn)

    async def last_created(self, source: str) -> datetime | None:
        """Return when the newest version trained from `source` (e.g. "outcomes") was registered."""
        async with self._engine.connect() as conn:
            return await conn.scalar(
                select(models.c.created_at)
                .where(models.c.training["source"].astext == source)
                .order_by(models.c.created_at.desc())
                .limit(1)
            )

    async def list(self) -> list[dict[str, Any]]:
        """Return every version without its artifact, newest first."""
        columns = [c for c in models.c if c.name != "artifact"]
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(*columns).order_by(models.c.created_at.desc()))
            return [dict(r) for r in rows.mappings()]

    async def active_version(self) -> str | None:
        """Return the active version's name (cheap: for change detection)."""
        async with self._engine.connect() as conn:
            return await conn.scalar(select(models.c.version).where(models.c.active))

    async def active(self) -> tuple[str, LeanModel, dict[str, Any] | None] | None:
        """Return the active version, its model and its feature map, or None."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(models.c.version, models.c.artifact, models.c.feature_map).where(models.c.active)
                )
            ).first()
        return (row.version, load_model(row.artifact), row.feature_map) if row else None

    async def load(self, version: str) -> tuple[LeanModel, dict[str, Any] | None] | None:
        """Return one version's model and feature map, or None."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(models.c.artifact, models.c.feature_map).where(models.c.version == version)
                )
            ).first()
        return (load_model(row.artifact), row.feature_map) if row else None
