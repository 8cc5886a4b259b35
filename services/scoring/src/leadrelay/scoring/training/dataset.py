"""Reading a labelled CSV: encoding and delimiter detection, column mapping, missing markers, identifiers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

MISSING_MARKERS = ("", "Select", "select", "NA", "N/A", "n/a", "null", "None")


@dataclass
class Dataset:
    """Features and labels, with notes on what was done to the columns."""

    features: pd.DataFrame
    labels: pd.Series
    notes: list[str] = field(default_factory=list)


def read_text(path: Path, encoding: str | None) -> str:
    """Decode the file: the given encoding, else UTF-8 (with or without BOM), else Windows-1252."""
    raw = path.read_bytes()
    if encoding:
        return raw.decode(encoding)
    for candidate in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(candidate)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def load_csv(
    path: Path,
    target: str,
    *,
    mapping: dict[str, str] | None = None,
    positive: str = "1",
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Dataset:
    """Load a CSV into features and a 0/1 label; identifier-like columns are dropped with a note."""
    text = read_text(path, encoding)
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    frame = pd.read_csv(
        io.StringIO(text), sep=delimiter, na_values=list(MISSING_MARKERS), keep_default_na=True
    )
    frame = frame.rename(columns={c: (mapping or {}).get(c, c) for c in frame.columns})
    if target not in frame.columns:
        raise ValueError(f"target column {target!r} not found; columns: {', '.join(map(str, frame.columns))}")
    frame = frame.dropna(subset=[target])
    labels = (frame[target].astype(str).str.strip().str.lower() == positive.lower()).astype(int)
    features = frame.drop(columns=[target])
    notes = [f"{len(frame)} rows, {int(labels.sum())} positive ({labels.mean():.1%})"]
    identifiers = [c for c in features.columns if _looks_like_identifier(features[c])]
    if identifiers:
        features = features.drop(columns=identifiers)
        notes.append(f"dropped identifier columns: {', '.join(identifiers)}")
    return Dataset(features, labels, notes)


def _looks_like_identifier(column: pd.Series) -> bool:
    non_null = column.dropna()
    return len(non_null) > 50 and non_null.nunique() == len(non_null)
