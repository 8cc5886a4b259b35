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

from leadrelay.capture.intake import IntakeWriter
from leadrelay.capture.schemas import LeadFields
from leadrelay.capture.settings import CaptureSettings
from leadrelay.service.app import validation_body

KNOWN_COLUMNS = set(LeadFields.model_fields) | {"consent_marketing"}
TRUE_VALUES = {"1", "true", "yes", "y", "on", "x"}
# Headers as people write them in spreadsheets, mapped to lead fields.
ALIASES = {
    "e-mail": "email",
    "e_mail": "email",
    "email_address": "email",
    "full_name": "name",
    "job_title": "title",
    "organisation": "company",
    "organization": "company",
    "company_name": "company",
    "phone_number": "phone",
    "mobile": "phone",
    "telephone": "phone",
    "consent": "consent_marketing",
}


def column_to_field(column: str, mapping: dict[str, str]) -> str:
    """Return the lead field of a column: an explicit mapping first, else its normalised name or alias."""
    if column in mapping:
        return mapping[column]
    normalised = "_".join(column.strip().lower().replace("-", " ").split())
    return mapping.get(normalised, ALIASES.get(normalised, normalised))


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


def read_rows(
    path: Path, mapping: dict[str, str], encoding: str | None, delimiter: str | None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line, row) with columns renamed to lead fields."""
    text, delimiter = _load(path, encoding, delimiter)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    for line, row in enumerate(reader, start=2):
        yield line, {column_to_field(k, mapping): (v or "").strip() for k, v in row.items() if k}


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
    engine: AsyncEngine,
    settings: CaptureSettings,
    *,
    source: str = "import",
    form_id: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: bool = True,
) -> ImportReport:
    """Capture every valid row (deduped like any lead, each in its own transaction); report the rest."""
    report = ImportReport()
    rows = list(read_rows(path, mapping or {}, encoding, delimiter))
    writer = IntakeWriter(engine, settings.kafka.topics, settings.dedupe_window)
    for line, row in tqdm(rows, desc=f"importing {path.name}", unit="row", disable=not progress):
        report.rows += 1
        fields, consent, errors = parse_row(row)
        if fields is None:
            report.errors += [RowError(line, f, r) for f, r in errors]
            continue
        lead = fields.to_domain(
            source=source, form_id=form_id, utm={}, consent_marketing=consent, consent_policy_version=None
        )
        accepted = await writer.store(lead)
        if accepted.is_new:
            report.new += 1
        else:
            report.merged += 1
    return report


def unknown_columns(
    path: Path, mapping: dict[str, str], encoding: str | None, delimiter: str | None
) -> list[str]:
    """Return the columns that map to no lead field (they are ignored, never stored)."""
    text, delimiter = _load(path, encoding, delimiter)
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    return sorted(c for c in header if c and column_to_field(c, mapping) not in KNOWN_COLUMNS)
