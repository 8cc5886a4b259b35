"""The CloudEvents 1.0 envelope (structured JSON mode) that wraps every Leadrelay event."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from leadrelay.events.registry import spec_for

_TYPE_PATTERN = re.compile(r"^(?P<family>[a-z][a-z0-9.\-]*)\.v(?P<major>\d+)$")
# Where an envelope names its type; Leadrelay's own encoder writes it before `data`.
_TYPE_FIELD = re.compile(rb'"type"\s*:\s*"([a-z0-9.\-]{1,200})"')


class DecodeError(Exception):
    """The bytes are not a valid Leadrelay CloudEvent; retrying cannot help."""


class UnknownEventType(DecodeError):
    """The event type (or its major version) is not one this consumer understands."""


class Envelope(BaseModel):
    """A CloudEvents 1.0 envelope; `data` is validated against the event type's model on decode."""

    model_config = ConfigDict(extra="allow")

    specversion: str = "1.0"
    id: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=200)
    subject: str | None = None
    time: datetime
    datacontenttype: str = "application/json"
    data: Any

    @field_validator("specversion")
    @classmethod
    def _supported_spec(cls, value: str) -> str:
        if value != "1.0":
            raise ValueError("only CloudEvents specversion 1.0 is supported")
        return value

    def to_json_dict(self) -> dict[str, Any]:
        """Return the envelope as a JSON-ready dict."""
        body = self.model_dump(mode="json", exclude_none=True)
        if isinstance(self.data, BaseModel):
            body["data"] = self.data.model_dump(mode="json")
        return body


def new_event(
    data: BaseModel,
    *,
    source: str,
    subject: str,
    event_id: str | None = None,
    time: datetime | None = None,
) -> Envelope:
    """Wrap event data in an envelope; the type comes from the data model."""
    event_type = getattr(type(data), "EVENT_TYPE", None)
    if not event_type:
        raise TypeError(f"{type(data).__name__} is not an event data model")
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        type=event_type,
        source=source,
        subject=subject,
        time=time or datetime.now(UTC),
        data=data,
    )


def encode(event: Envelope) -> bytes:
    """Serialise an envelope to the bytes put on a topic."""
    if not isinstance(event.data, BaseModel):
        return json.dumps(event.to_json_dict(), separators=(",", ":")).encode()
    # Straight to JSON in pydantic's serializer (no dicts in between): the same body as to_json_dict().
    head = event.model_dump_json(exclude_none=True, exclude={"data"})
    return f'{head[:-1]},"data":{event.data.model_dump_json()}}}'.encode()


def decode(raw: bytes | None) -> Envelope:
    """Parse bytes into an envelope whose `data` is the typed model; raise DecodeError if impossible."""
    if not raw:
        raise DecodeError("empty message value")
    envelope = _decode_typed(raw)
    if envelope is not None:
        return envelope
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"value is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise DecodeError("value is not a JSON object")
    try:
        envelope = Envelope.model_validate(body)
    except ValidationError as exc:
        raise DecodeError(f"not a CloudEvent: {_summarise(exc)}") from exc
    match = _TYPE_PATTERN.match(envelope.type)
    if not match:
        raise UnknownEventType(f"event type {envelope.type!r} has no version suffix")
    spec = spec_for(envelope.type)
    if spec is None:
        raise UnknownEventType(f"unknown event type {envelope.type!r}")
    try:
        envelope.data = spec.model.model_validate(envelope.data)
    except ValidationError as exc:
        raise DecodeError(f"invalid data for {envelope.type}: {_summarise(exc)}") from exc
    return envelope


def _decode_typed(raw: bytes) -> Envelope | None:
    """Parse and validate in one pydantic-core pass when the type can be read off the bytes, else None.

    The guess is checked against the validated envelope's own type, so a wrong guess (a "type" key inside
    `data`, say) only falls back to the two-pass decode, which also words the errors.
    """
    found = _TYPE_FIELD.search(raw)
    event_type = found.group(1).decode() if found else None
    typed = _typed_envelope(event_type) if event_type else None
    if typed is None:
        return None
    try:
        parsed = typed.model_validate_json(raw)
    except ValidationError:
        return None
    if parsed.type != event_type:
        return None
    envelope = Envelope.model_construct(parsed.model_fields_set, **parsed.__dict__)
    envelope.__pydantic_extra__ = parsed.__pydantic_extra__
    return envelope


@cache
def _typed_envelope(event_type: str) -> type[Envelope] | None:
    """Return an envelope model whose `data` is the event type's model (None for an unknown or unversioned type)."""
    spec = spec_for(event_type)
    if spec is None or not _TYPE_PATTERN.match(event_type):
        return None
    return create_model(f"Envelope_{spec.model.__name__}", __base__=Envelope, data=(spec.model, ...))


def _summarise(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()]
    return "; ".join(parts[:5])
