"""Bulk import of event or trade-show contacts from a CSV file, with per-row errors and a progress bar."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine
from tqdm import tqdm

from leadrelay.capture.import_columns import SOURCE, ColumnPlan, source_of
from leadrelay.capture.intake import IntakeWriter
from leadrelay.capture.schemas import LeadFields
from leadrelay.capture.settings import CaptureSettings
from leadrelay.service.app import validation_body

TRUE_VALUES = {"1", "true", "yes", "y", "on", "x", "subscribed", "opted in", "opt-in"}


@dataclass(frozen=True)
class RowError:
    """Why one row was not imported (1-based line number as in a spreadsheet, header is line 1)."""

    line: int
    field: str
    reason: str


@dataclass
class ImportReport:
    """What an import did."""

    rows: int = 0
    valid: int = 0
    new: int = 0
    merged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def failed_rows(self) -> int:
        return len({e.line for e in self.errors})


def _load(path: Path, encoding: str | None, delimiter: str | None) -> tuple[str, str]:
    """Return the file's text and its delimiter (sniffed unless given)."""
    raw = path.read_bytes()
    text = raw.decode(encoding) if encoding else _decode(raw)
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    return text, delimiter


def plan_columns(
    path: Path, mapping: dict[str, str], encoding: str | None, delimiter: str | None
) -> ColumnPlan:
    """Return which lead field each of the file's columns fills."""
    text, delimiter = _load(path, encoding, delimiter)
    return ColumnPlan.of(next(csv.reader(io.StringIO(text), delimiter=delimiter), []), mapping)


def read_rows(
    path: Path, plan: ColumnPlan, encoding: str | None, delimiter: str | None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line, the row's lead fields)."""
    text, delimiter = _load(path, encoding, delimiter)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    for line, row in enumerate(reader, start=2):
        yield line, plan.apply({k: v for k, v in row.items() if k})


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def parse_row(row: dict[str, str]) -> tuple[LeadFields | None, bool, list[tuple[str, str]]]:
    """Validate one row; return the fields, marketing consent, and (field, reason) errors."""
    values: dict[str, Any] = {k: v for k, v in row.items() if k in LeadFields.model_fields and v}
    consent = row.get("consent_marketing", "").lower() in TRUE_VALUES
    try:
        return LeadFields.model_validate(values), consent, []
    except ValidationError as exc:
        return None, consent, [(e["field"], e["reason"]) for e in validation_body(exc.errors())["errors"]]


async def import_csv(
    path: Path,
    engine: AsyncEngine | None,
    settings: CaptureSettings,
    *,
    source: str = "import",
    form_id: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: bool = True,
    dry_run: bool = False,
) -> ImportReport:
    """Capture every valid row (deduped like any lead, each in its own transaction); report the rest.

    A row's own lead source (a CRM's "Lead Source") wins over `source` when it is one capture knows.
    With dry_run every row is checked and nothing is stored (engine may be None).
    """
    report = ImportReport()
    plan = plan_columns(path, mapping or {}, encoding, delimiter)
    rows = list(read_rows(path, plan, encoding, delimiter))
    writer = (
        None
        if dry_run or engine is None
        else IntakeWriter(engine, settings.kafka.topics, settings.dedupe_window)
    )
    for line, row in tqdm(rows, desc=f"importing {path.name}", unit="row", disable=not progress):
        report.rows += 1
        fields, consent, errors = parse_row(row)
        if fields is None:
            report.errors += [RowError(line, f, r) for f, r in errors]
            continue
        report.valid += 1
        if writer is None:
            continue
        lead = fields.to_domain(
            source=source_of(row.get(SOURCE, "")) or source,
            form_id=form_id,
            utm={},
            consent_marketing=consent,
            consent_policy_version=None,
        )
        accepted = await writer.store(lead)
        if accepted.is_new:
            report.new += 1
        else:
            report.merged += 1
    return report
