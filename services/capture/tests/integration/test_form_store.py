"""Capture's form cache on real PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import event

from leadrelay.capture.adapters.form_store import FormStore
from leadrelay.capture.adapters.forms_file import demo_form
from leadrelay.capture.domain.forms import FormsConfig
from leadrelay.db.engine import create_engine

DEMO_KEY = "pk_demo_2c8f1b7e4a9d4f00"


async def test_an_expired_cache_is_reloaded_once_however_many_requests_ask(settings):
    engine = create_engine(settings.database_url)
    queries: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: queries.append(args[2]))
    try:
        store = FormStore(engine, ttl_s=0.05)
        await store.seed(FormsConfig(forms=[demo_form(DEMO_KEY)]))
        first = await store.current()
        await asyncio.sleep(0.1)  # expired
        queries.clear()
        answers = await asyncio.gather(*(store.current() for _ in range(32)))
    finally:
        await engine.dispose()
    assert [q for q in queries if "FROM forms" in q] == [queries[0]] and len(queries) == 1
    assert all(a.forms == first.forms for a in answers) and first.by_id("demo") is not None
