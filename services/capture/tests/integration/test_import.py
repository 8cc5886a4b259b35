"""The CSV import command: sniffed delimiter and encoding, column mapping, dedupe, per-row errors."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from sqlalchemy import text

from leadrelay.db.engine import create_engine


async def test_import_reports_bad_rows_and_captures_the_rest(settings, tmp_path):
    rows = [
        "E-Mail;Name;Company;Country;Phone;Badge colour",
        "renee@example.com;Renée Dupont;Acme;France;01 23 45 67 89;red",
        "not-an-email;Bad Row;Acme;;;blue",
        "omar@example.com;Omar;Globex;Atlantis;;green",
        "RENEE@example.com;Renée Dupont;Acme SA;;;red",
        "sam@example.com;Sam;Initech;US;+1 415 555 0100;",
    ]
    source = tmp_path / "expo.csv"
    source.write_bytes("\r\n".join(rows).encode("cp1252"))
    errors = tmp_path / "errors.csv"
    env = {
        **os.environ,
        "LEADRELAY_KAFKA_BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "LEADRELAY_KAFKA_TOPIC_PREFIX": settings.kafka.topic_prefix,
        "LEADRELAY_POSTGRES_DSN": settings.postgres.dsn,
        "LEADRELAY_CAPTURE_DATABASE": settings.database,
    }
    result = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "leadrelay.capture",
            "import",
            str(source),
            "--map",
            "E-Mail=email",
            "--source",
            "event",
            "--errors",
            str(errors),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "5 rows: 2 new leads, 1 merged into existing ones, 2 rejected" in result.stdout
    assert "ignoring columns that are not lead fields: Badge colour" in result.stderr
    assert "line 3: email:" in result.stderr and "line 4: country: unknown country" in result.stderr
    assert errors.read_text().splitlines()[0] == "line,field,reason"
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            leads = (
                await conn.execute(
                    text("SELECT email, name, country, phone, source FROM leads ORDER BY email")
                )
            ).all()
            queued = await conn.scalar(text("SELECT count(*) FROM outbox WHERE topic LIKE '%leads.captured'"))
    finally:
        await engine.dispose()
    assert [tuple(r) for r in leads] == [
        ("renee@example.com", "Renée Dupont", "FR", "+33123456789", "event"),
        ("sam@example.com", "Sam", "US", "+14155550100", "event"),
    ]
    assert queued == 3  # two new leads and one merge, each announced
    assert "red" not in str(leads)
