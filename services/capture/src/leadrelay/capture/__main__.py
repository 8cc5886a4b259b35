"""Run capture (`python -m leadrelay.capture`), or import a CSV of contacts (`... import FILE`)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from pathlib import Path

from leadrelay.capture.bootstrap import MIGRATIONS, SERVICE, build_app
from leadrelay.capture.settings import CaptureSettings
from leadrelay.service.serve import prepare_database, serve
from leadrelay.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    """Start capture, or run the CSV import."""
    parser = argparse.ArgumentParser(prog="leadrelay-capture")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the service (the default)")
    imp = sub.add_parser("import", help="import event or trade-show contacts from a CSV file")
    imp.add_argument("csv", type=Path)
    imp.add_argument(
        "--source", default="event", choices=["event", "import", "referral", "social", "web_form"]
    )
    imp.add_argument("--form-id", help="attribute the leads to this form")
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="fill a field from a column, overriding the recognised headers, e.g. --map 'Work E-mail=email' "
        "(repeatable; the fields: email, name, first_name, last_name, company, title, phone, country, "
        "company_size, industry, message, consent_marketing, source)",
    )
    imp.add_argument("--encoding", help="default: UTF-8 (with or without BOM), else Windows-1252")
    imp.add_argument("--delimiter", help="default: sniffed from , ; tab |")
    imp.add_argument("--errors", type=Path, help="write the rows that failed, with reasons, to this CSV")
    imp.add_argument(
        "--dry-run",
        action="store_true",
        help="show which field each column fills and check every row; store nothing",
    )
    args = parser.parse_args(argv)
    settings = load_settings(CaptureSettings)
    if args.command == "import":
        return asyncio.run(_import(args, settings))
    serve(SERVICE, settings, lambda: build_app(settings), MIGRATIONS)
    return 0


async def _import(args: argparse.Namespace, settings: CaptureSettings) -> int:
    from leadrelay.capture.import_columns import FIELDS
    from leadrelay.capture.importer import import_csv, plan_columns
    from leadrelay.db.engine import create_engine

    bad = [pair for pair in args.map if "=" not in pair or pair.split("=", 1)[1] not in FIELDS]
    if bad:
        print(
            f"--map {bad[0]!r}: expected COLUMN=FIELD, FIELD one of {', '.join(sorted(FIELDS))}",
            file=sys.stderr,
        )
        return 2
    mapping = dict(pair.split("=", 1) for pair in args.map)
    if not args.csv.exists():
        print(f"no such file: {args.csv}", file=sys.stderr)
        return 2
    plan = plan_columns(args.csv, mapping, args.encoding, args.delimiter)
    print("columns:\n" + "\n".join(plan.describe()))
    if plan.ignored:
        print(f"ignoring columns that are not lead fields: {', '.join(plan.ignored)}", file=sys.stderr)
    engine = None
    if not args.dry_run:
        await asyncio.to_thread(prepare_database, settings, MIGRATIONS)
        engine = create_engine(settings.database_url)
    try:
        report = await import_csv(
            args.csv,
            engine,
            settings,
            source=args.source,
            form_id=args.form_id,
            mapping=mapping,
            encoding=args.encoding,
            delimiter=args.delimiter,
            progress=sys.stderr.isatty(),
            dry_run=args.dry_run,
        )
    finally:
        if engine is not None:
            await engine.dispose()
    for error in report.errors:
        print(f"line {error.line}: {error.field}: {error.reason}", file=sys.stderr)
    if args.errors:
        with args.errors.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["line", "field", "reason"])
            writer.writerows((e.line, e.field, e.reason) for e in report.errors)
    if args.dry_run:
        print(
            f"dry run, nothing stored: {report.rows} rows, {report.valid} would be imported, {report.failed_rows} rejected"
        )
    else:
        print(
            f"{report.rows} rows: {report.new} new leads, {report.merged} merged into existing ones, "
            f"{report.failed_rows} rejected"
        )
    return 0 if not report.errors else 1


if __name__ == "__main__":
    sys.exit(main())
