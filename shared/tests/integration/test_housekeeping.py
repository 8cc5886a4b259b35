"""Sent outbox rows and old inbox ids are deleted; unsent rows and recent ids never are."""

from __future__ import annotations

from sqlalchemy import text

from leadrelay.db.housekeeping import Housekeeper


async def test_sweep_keeps_unsent_rows_and_recent_ids(messaging_db):
    async with messaging_db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO outbox (event_id, topic, value, created_at, sent_at) VALUES "
                "('old-sent', 't', 'x', now() - interval '3 days', now() - interval '2 days'),"
                "('new-sent', 't', 'x', now(), now()),"
                "('old-unsent', 't', 'x', now() - interval '3 days', NULL)"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO inbox (event_id, event_type, received_at) VALUES "
                "('old', 'x', now() - interval '8 days'), ('recent', 'x', now() - interval '1 day')"
            )
        )
    assert await Housekeeper(messaging_db.engine, "test").sweep() == (1, 1)
    async with messaging_db.engine.connect() as conn:
        outbox = sorted(r[0] for r in await conn.execute(text("SELECT event_id FROM outbox")))
        inbox = [r[0] for r in await conn.execute(text("SELECT event_id FROM inbox"))]
    assert outbox == ["new-sent", "old-unsent"]
    assert inbox == ["recent"]
