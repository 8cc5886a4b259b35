"""Forms in capture's database, read through a short-lived cache."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from leadrelay.capture.adapters.orm import forms
from leadrelay.capture.domain.forms import Form, FormsConfig


class FormStore:
    """The current forms; changes made on any replica are seen here within ttl_s."""

    def __init__(self, engine: AsyncEngine, ttl_s: float = 5.0) -> None:
        self._engine = engine
        self._ttl_s = ttl_s
        self._cached: FormsConfig | None = None
        self._loaded_at = 0.0
        self._reloading = asyncio.Lock()

    async def seed(self, config: FormsConfig) -> None:
        """Add the configured forms that the database does not have yet (the API's changes win)."""
        async with self._engine.begin() as conn:
            for form in config.forms:
                await conn.execute(
                    insert(forms).values(id=form.id, config=form.model_dump()).on_conflict_do_nothing()
                )
        self._cached = None

    async def apply_public_key(self, form_id: str, public_key: str) -> bool:
        """Give a stored form the configured public key; return True when it had another one."""
        async with self._engine.begin() as conn:
            stored = await conn.scalar(select(forms.c.config).where(forms.c.id == form_id).with_for_update())
            if stored is None or stored.get("public_key") == public_key:
                return False
            await conn.execute(
                forms.update()
                .where(forms.c.id == form_id)
                .values(config={**stored, "public_key": public_key}, updated_at=func.now())
            )
        self._cached = None
        return True

    async def current(self) -> FormsConfig:
        """Return the forms, from the cache when it is fresh."""
        if self._cached is not None and not self._stale():
            return self._cached
        # One reload at a time: when the cache expires under load, every request in flight would query.
        async with self._reloading:
            if self._cached is None or self._stale():
                async with self._engine.connect() as conn:
                    rows = await conn.execute(select(forms.c.config).order_by(forms.c.id))
                    self._cached = FormsConfig(forms=[Form.model_validate(r[0]) for r in rows])
                self._loaded_at = time.monotonic()
            return self._cached

    def _stale(self) -> bool:
        return time.monotonic() - self._loaded_at > self._ttl_s

    async def put(self, form: Form) -> None:
        """Create or replace a form."""
        stmt = insert(forms).values(id=form.id, config=form.model_dump())
        async with self._engine.begin() as conn:
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["id"], set_={"config": stmt.excluded.config, "updated_at": func.now()}
                )
            )
        self._cached = None

    async def delete(self, form_id: str) -> bool:
        """Delete a form; return False when there was none."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(forms).where(forms.c.id == form_id))
        self._cached = None
        return bool(result.rowcount)
