"""Reading a labelled CSV: encoding and delimiter detection, column mapping, missing markers, identifiers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from leadrelay.scoring.training.labels import binary_labels

MAX_CATEGORIES = 255  # the most values gradient boosting takes in a categorical column
MISSING_MARKERS = ("", "Select", "select", "NA", "N/A", "n/a", "null", "None")


@dataclass
class Dataset:
    """Features and labels, with notes on what was done to the columns."""

    features: pd.DataFrame
    labels: pd.Series
    notes: list[str] = field(default_factory=list)
    order: pd.Series | None = None  # when the rows are in time: each row's time or position


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
    positive: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    time_column: str | None = None,
    ordered: bool = False,
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
    frame = frame.reset_index(drop=True)
    labels = binary_labels(frame[target], positive)
    features = frame.drop(columns=[target])
    order = pd.Series(range(len(frame))) if ordered else None
    if time_column is not None:
        order = _times(features, time_column)
        features = features.drop(columns=[time_column])  # when a lead came is not why it converts
    notes = [f"{len(frame)} rows, {int(labels.sum())} positive ({labels.mean():.1%})"]
    identifiers = [c for c in features.columns if _looks_like_identifier(features[c])]
    if identifiers:
        features = features.drop(columns=identifiers)
        notes.append(f"dropped identifier columns: {', '.join(identifiers)}")
    wide = [c for c in features.columns if _too_many_categories(features[c])]
    if wide:
        features = features.drop(columns=wide)
        notes.append(
            f"dropped text columns with more than {MAX_CATEGORIES} values (free text, or times: see "
            f"--time-column): {', '.join(wide)}"
        )
    return Dataset(features, labels, notes, order)


def _times(features: pd.DataFrame, column: str) -> pd.Series:
    """Parse the time column; ValueError when it is missing or holds something that is not a time."""
    if column not in features.columns:
        raise ValueError(
            f"--time-column {column!r} not found; columns: {', '.join(map(str, features.columns))}"
        )
    raw = features[column]
    if pd.api.types.is_numeric_dtype(raw):
        return raw.astype(float)
    times = pd.to_datetime(raw, errors="coerce", utc=True, format="mixed")
    bad = raw[times.isna() & raw.notna()]
    if len(bad) or times.isna().all():
        example = bad.iloc[0] if len(bad) else "nothing"
        raise ValueError(f"--time-column {column!r} holds values that are not times, such as {example!r}")
    return times


def _too_many_categories(column: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(column) and column.nunique() > MAX_CATEGORIES


def _looks_like_identifier(column: pd.Series) -> bool:
    """Unique text or whole numbers on every row; measurements (fractions) are unique without naming anyone."""
    non_null = column.dropna()
    if pd.api.types.is_float_dtype(non_null) and not (non_null % 1 == 0).all():
        return False
    return len(non_null) > 50 and non_null.nunique() == len(non_null)
