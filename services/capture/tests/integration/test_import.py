"""The CSV import command: sniffed delimiter and encoding, column mapping, dedupe, per-row errors."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from sqlalchemy import text

from leadrelay.capture.__main__ import main
from leadrelay.db.engine import create_engine


def run_import(settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LEADRELAY_KAFKA_BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "LEADRELAY_KAFKA_TOPIC_PREFIX": settings.kafka.topic_prefix,
        "LEADRELAY_POSTGRES_DSN": settings.postgres.dsn,
        "LEADRELAY_CAPTURE_DATABASE": settings.database,
    }
    return subprocess.run(
        [sys.executable, "-m", "leadrelay.capture", "import", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def stored_leads(settings) -> list[tuple]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            query = "SELECT email, name, country, company, company_size, employees, phone, title, source FROM leads"
            return [tuple(r) for r in (await conn.execute(text(query + " ORDER BY email"))).all()]
    finally:
        await engine.dispose()


HUBSPOT = [
    "First Name,Last Name,Email,Company Name,Phone Number,Country/Region,Job Title,Number of Employees,"
    "Lifecycle Stage,Original Source",
    "Grace,Hopper,grace@navy.example,US Navy,+1 202 555 0100,United States,Rear Admiral,850,lead,Offline Sources",
    "Alan,Turing,alan@bletchley.example,Bletchley Park,,United Kingdom,Cryptanalyst,120,lead,Organic Search",
]
SALESFORCE = [
    "FIRST_NAME;LAST_NAME;EMAIL;ACCOUNT_NAME;MOBILE;MAILING_COUNTRY;TITLE;NO. OF EMPLOYEES;LEAD_SOURCE;HAS_OPTED_OUT",
    "Katherine;Johnson;katherine@nasa.example;NASA;+1 757 555 0101;US;Mathematician;18000;Partner Referral;0",
]


async def test_hubspot_and_salesforce_exports_keep_names_countries_and_head_counts(settings, tmp_path):
    hubspot = tmp_path / "hubspot-contacts.csv"
    hubspot.write_text("\n".join(HUBSPOT))
    salesforce = tmp_path / "salesforce-contacts.csv"
    salesforce.write_text("\n".join(SALESFORCE))
    first = await asyncio.to_thread(run_import, settings, str(hubspot), "--source", "import")
    second = await asyncio.to_thread(run_import, settings, str(salesforce), "--source", "import")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "First Name           ->  name (first part)" in first.stdout
    assert "Country/Region       ->  country" in first.stdout
    assert "Number of Employees  ->  company_size" in first.stdout
    assert "ignoring columns that are not lead fields: Lifecycle Stage" in first.stderr
    assert "ignoring columns that are not lead fields: HAS_OPTED_OUT" in second.stderr
    assert await stored_leads(settings) == [
        (
            "alan@bletchley.example",
            "Alan Turing",
            "GB",
            "Bletchley Park",
            "51-200",
            120,
            None,
            "Cryptanalyst",
            "web_form",
        ),
        (
            "grace@navy.example",
            "Grace Hopper",
            "US",
            "US Navy",
            "201-1000",
            850,
            "+12025550100",
            "Rear Admiral",
            "event",
        ),
        (
            "katherine@nasa.example",
            "Katherine Johnson",
            "US",
            "NASA",
            "1000+",
            18000,
            "+17575550101",
            "Mathematician",
            "referral",
        ),
    ]


async def test_a_dry_run_prints_the_mapping_checks_rows_and_stores_nothing(settings, tmp_path, capsys):
    export = tmp_path / "export.csv"
    export.write_text("\n".join([*HUBSPOT, "Bad,Row,not-an-email,X,,,,,lead,"]))
    result = await asyncio.to_thread(
        run_import, settings, str(export), "--dry-run", "--map", "Lifecycle Stage=title"
    )
    assert result.returncode == 1
    assert "Lifecycle Stage      ->  title" in result.stdout  # --map wins over what the header says
    assert "dry run, nothing stored: 3 rows, 2 would be imported, 1 rejected" in result.stdout
    assert "line 4: email:" in result.stderr
    assert await stored_leads(settings) == []
    assert await asyncio.to_thread(main, ["import", str(export), "--map", "Email=e-mail"]) == 2  # not a field
    assert "expected COLUMN=FIELD" in capsys.readouterr().err


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
