"""Common building blocks of event data models."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class EventData(BaseModel):
    """Base of every event's data; unknown optional fields are accepted and kept (forward compatible)."""

    model_config = ConfigDict(extra="allow")

    EVENT_TYPE: ClassVar[str] = ""


class Part(BaseModel):
    """Base of nested parts of event data."""

    model_config = ConfigDict(extra="allow")
