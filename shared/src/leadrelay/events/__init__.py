"""Leadrelay's event contracts: the CloudEvents envelope, event data models and topic names."""

from leadrelay.events.envelope import DecodeError, Envelope, UnknownEventType, decode, encode, new_event
from leadrelay.events.registry import EVENT_TYPES, EventSpec, spec_for
from leadrelay.events.topics import Topics

__all__ = [
    "EVENT_TYPES",
    "DecodeError",
    "Envelope",
    "EventSpec",
    "Topics",
    "UnknownEventType",
    "decode",
    "encode",
    "new_event",
    "spec_for",
]
