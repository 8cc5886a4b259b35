"""Feature maps: how a lead's facts and activities become the columns a model was trained on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadrelay.paths import value_at
from leadrelay.scoring.domain.facts import Activity

MAPS = Path(__file__).resolve().parent / "maps"
Value = str | float | int | bool


class ColumnSpec(BaseModel):
    """One model column: a lead field (translated or by keyword), or a count of activities."""

    model_config = ConfigDict(extra="forbid")

    field: str | None = Field(default=None, description="dotted path in the lead's facts, e.g. company.size")
    values: dict[str, Value] | None = Field(default=None, description="translate the field's value")
    keywords: dict[str, Value] | None = Field(default=None, description="first keyword found in the text")
    default: Value | None = Field(default=None, description="when the field is given but not translated")
    activities: list[str] | None = Field(default=None, description="count these activity kinds")
    within_days: float | None = Field(default=None, gt=0, description="count only this recent activity")
    label: str | None = Field(default=None, description="how a sales rep reads the column")

    @model_validator(mode="after")
    def _one_source(self) -> ColumnSpec:
        if (self.field is None) == (self.activities is None):
            raise ValueError("a column comes from exactly one of field or activities")
        return self


class FeatureMap(BaseModel):
    """A named mapping from Leadrelay leads to a model's input columns."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    columns: dict[str, ColumnSpec]

    def label(self, column: str) -> str:
        """Return the column's readable name."""
        spec = self.columns.get(column)
        return spec.label if spec and spec.label else column


def load_feature_map(name_or_path: str) -> FeatureMap:
    """Load a packaged map by name (x-education, native) or a YAML file."""
    path = Path(name_or_path)
    if not path.exists():
        path = MAPS / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in MAPS.glob("*.yaml")))
        raise ValueError(f"no feature map {name_or_path!r} (packaged maps: {known})")
    return FeatureMap.model_validate(yaml.safe_load(path.read_text()))


def features_of(
    feature_map: FeatureMap, facts: dict[str, Any], activities: Sequence[Activity], now: datetime
) -> dict[str, Value]:
    """Return the lead's value for each mapped column it has (absent columns are missing to the model)."""
    row: dict[str, Value] = {}
    for column, spec in feature_map.columns.items():
        value = _column(spec, facts, activities, now)
        if value is not None:
            row[column] = value
    return row


def _column(spec: ColumnSpec, facts: dict[str, Any], activities: Sequence[Activity], now: datetime) -> Any:
    if spec.activities is not None:
        since = now - timedelta(days=spec.within_days) if spec.within_days else None
        return sum(1 for a in activities if a.kind in spec.activities and (since is None or a.at >= since))
    assert spec.field is not None
    raw = value_at(facts, spec.field)
    if raw is None or raw == "":
        return None
    key = str(raw).lower() if isinstance(raw, bool) else str(raw)
    if spec.values is not None:
        return spec.values.get(key, spec.default)
    if spec.keywords is not None:
        text = key.lower()
        return next((v for kw, v in spec.keywords.items() if kw in text), spec.default)
    return raw
