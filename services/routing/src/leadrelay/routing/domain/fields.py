"""The lead fields a routing rule can test, with their kinds, read from the LeadScored event itself."""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from leadrelay.events.scoring import LeadScored

Kind = Literal["number", "text", "boolean", "time", "list", "mapping"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field's kind and, for a closed set of text values, the values allowed."""

    kind: Kind
    choices: tuple[str, ...] = ()


@cache
def rule_fields() -> dict[str, FieldSpec]:
    """Every dotted path of a scored lead (lead.company.employees, score, grade, stage, ...) and its kind."""
    return dict(_walk(LeadScored, ""))


def _walk(model: type[BaseModel], prefix: str) -> Any:
    for name, info in model.model_fields.items():
        annotation = _without_none(info.annotation)
        path = f"{prefix}{name}"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _walk(annotation, f"{path}.")
        else:
            yield path, _field(annotation)


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else annotation
    return annotation


def _field(annotation: Any) -> FieldSpec:
    origin = get_origin(annotation)
    if origin is Literal:
        return FieldSpec("text", tuple(str(v) for v in get_args(annotation)))
    if origin in (list, tuple, set):
        return FieldSpec("list")
    if origin is dict:
        return FieldSpec("mapping")
    if annotation is bool:
        return FieldSpec("boolean")
    if annotation in (int, float):
        return FieldSpec("number")
    if annotation is datetime:
        return FieldSpec("time")
    return FieldSpec("text")
