"""The AsyncAPI 3.0 document of Leadrelay's topics, generated from the event models and the ownership declaration:
channels, the CloudEvents envelope, each event's data schema, who publishes and who consumes, the keys."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from leadrelay.events import topics as t
from leadrelay.events.registry import EVENT_TYPES, EventSpec
from leadrelay.events.sla import POLICIES_KEY

SPEC_VERSION = "3.0.0"
KAFKA_BINDING = "0.5.0"
HANDOFFS = "handoffs"  # the channel of the per-queue handoff topics, `handoffs.{queue}`
DEAD_LETTERS = "deadLetters"
# Who else writes a topic than the services: a tool outside Leadrelay.
EXTERNAL_WRITERS = {
    t.CONTACTED: "sales tools (a CRM reporting first contact)",
    t.OUTCOMES: "CRMs (won, lost, disqualified)",
}
DLQ_HEADERS = {
    "error": "why the event could not be handled: an exception's type, or what was wrong with the envelope",
    "original_topic": "the topic the event came from",
    "original_partition": "its partition there",
    "original_offset": "its offset there",
    "attempts": "how many times it was tried",
    "service": "the service that gave up on it",
}


def channel_id(topic: str) -> str:
    """A channel's id in the document (AsyncAPI ids take letters, digits, `_` and `-`)."""
    return topic.replace(".", "_")


def _message_id(spec: EventSpec) -> str:
    return spec.model.__name__


def _key_schema(topic: str) -> dict[str, Any]:
    if topic == t.SLA_POLICIES:
        return {
            "type": "string",
            "const": POLICIES_KEY,
            "description": "one key: compaction keeps the latest",
        }
    return {"type": "string", "description": "the lead id: one lead's events stay in order on one partition"}


def _hoisted(schema: dict[str, Any], into: dict[str, Any]) -> dict[str, Any]:
    """Move a model schema's $defs into the components' schemas (the same name must mean the same schema)."""
    for name, definition in schema.pop("$defs", {}).items():
        if into.setdefault(name, definition) != definition:
            raise ValueError(f"two event models define {name} differently: rename one")
    return schema


def _rewritten(node: Any) -> Any:
    """Point pydantic's local $refs at the components."""
    if isinstance(node, dict):
        return {
            k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" else _rewritten(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewritten(v) for v in node]
    return node


def _envelope(description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": ["specversion", "id", "type", "source", "time", "data"],
        "properties": {
            "specversion": {"type": "string", "const": "1.0"},
            "id": {"type": "string", "description": "unique per event; consumers drop a repeat by it"},
            "type": {"type": "string", "description": "the event type and its major version"},
            "source": {"type": "string", "description": "the service that emitted it, leadrelay/<service>"},
            "subject": {"type": "string", "description": "the lead id (the policies' key on sla.policies)"},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"type": "string", "const": "application/json"},
            "data": {"description": "the event's data, by its type"},
        },
        "additionalProperties": True,
    }


def _components() -> tuple[dict[str, Any], dict[str, Any]]:
    """The messages (one per event type, and the dead letter) and the schemas they use."""
    schemas: dict[str, Any] = {
        "CloudEvent": _envelope(
            "A CloudEvents 1.0 envelope in structured JSON mode; unknown fields are kept."
        )
    }
    messages: dict[str, Any] = {}
    for event_type, spec in sorted(EVENT_TYPES.items()):
        name = _message_id(spec)
        data = _hoisted(spec.model.model_json_schema(), schemas)
        schemas[name] = data
        messages[name] = {
            "name": event_type,
            "title": name,
            "summary": (spec.model.__doc__ or "").strip(),
            "contentType": "application/json",
            "payload": {
                "allOf": [
                    {"$ref": "#/components/schemas/CloudEvent"},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"type": "string", "const": event_type},
                            "data": {"$ref": f"#/components/schemas/{name}"},
                        },
                    },
                ]
            },
            "bindings": {"kafka": {"key": _key_schema(spec.topic), "bindingVersion": KAFKA_BINDING}},
        }
    messages["DeadLetter"] = {
        "name": "dead-letter",
        "title": "DeadLetter",
        "summary": "An event a consumer could not handle: its original bytes and key, and why, in the headers.",
        "contentType": "application/octet-stream",
        "headers": {
            "type": "object",
            "properties": {
                name: {"type": "string", "description": text} for name, text in DLQ_HEADERS.items()
            },
        },
        "payload": {"type": "string", "format": "binary", "description": "the original record's value"},
    }
    return messages, _rewritten(schemas)


def _channels() -> dict[str, Any]:
    by_topic: dict[str, list[EventSpec]] = {}
    for spec in EVENT_TYPES.values():
        by_topic.setdefault(spec.topic, []).append(spec)
    channels: dict[str, Any] = {}
    for topic in t.ALL:
        refs = {_message_id(s): {"$ref": f"#/components/messages/{_message_id(s)}"} for s in by_topic[topic]}
        policy = (
            "compacted: the latest record per key is the state" if topic in t.COMPACTED else "deleted by age"
        )
        channel: dict[str, Any] = {
            "address": topic,
            "title": topic,
            "description": f"Retention: {policy}. Every name takes the deployment's topic prefix "
            "(LEADRELAY_KAFKA_TOPIC_PREFIX).",
            "messages": refs,
        }
        if topic in EXTERNAL_WRITERS:
            channel["description"] += f" Also written by {EXTERNAL_WRITERS[topic]}."
        channels[channel_id(topic)] = channel
    qualified = _message_id(EVENT_TYPES["leadrelay.lead.qualified.v1"])
    channels[HANDOFFS] = {
        "address": f"{t.HANDOFF_PREFIX}{{queue}}",
        "title": "handoffs.<queue>",
        "description": "A queue's own handoff topic (or the one its configuration names), for the sales tools of "
        "that team: the same LeadQualified events as leads.qualified.",
        "parameters": {"queue": {"description": "a routing queue's name"}},
        "messages": {qualified: {"$ref": f"#/components/messages/{qualified}"}},
    }
    channels[DEAD_LETTERS] = {
        "address": f"{{topic}}{t.DLQ_SUFFIX}",
        "title": "<topic>.dlq",
        "description": "Dead letters of a topic, kept for a short time (LEADRELAY_KAFKA_DLQ_RETENTION_MS); "
        "`leadrelay dlq` lists and replays them.",
        "parameters": {"topic": {"description": "the topic its consumer read the event from"}},
        "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
    }
    return channels


def _operation(action: str, channel: str, service: str, messages: Iterable[str], verb: str) -> dict[str, Any]:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "summary": f"{service} {verb} {channel}",
        "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"} for m in messages],
    }


def _operations(services: dict[str, Any], channels: dict[str, Any]) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for service, owned in sorted(services.items()):
        op = service.replace("-", "_")
        for topic in owned.writes:
            cid = channel_id(topic)
            operations[f"{op}_sends_{cid}"] = _operation(
                "send", cid, service, channels[cid]["messages"], "sends"
            )
        for prefix in owned.writes_prefixed:
            if prefix == t.HANDOFF_PREFIX:
                messages = channels[HANDOFFS]["messages"]
                operations[f"{op}_sends_{HANDOFFS}"] = _operation(
                    "send", HANDOFFS, service, messages, "sends"
                )
        for topic in owned.reads:
            cid = channel_id(topic)
            operations[f"{op}_receives_{cid}"] = _operation(
                "receive", cid, service, channels[cid]["messages"], "receives"
            )
        if owned.reads:
            operations[f"{op}_sends_{DEAD_LETTERS}"] = _operation(
                "send", DEAD_LETTERS, service, ["DeadLetter"], "dead-letters what it cannot handle to"
            )
    return operations


def asyncapi_document(service: str | None = None) -> dict[str, Any]:
    """The whole document, or (for a service) only the channels it writes or reads and its own operations."""
    from leadrelay.kafka.ownership import (
        SERVICES,  # ownership reads the registry: imported here, not at the top
    )

    messages, schemas = _components()
    channels = _channels()
    if service is None:
        services = SERVICES
    else:  # a service outside the declaration (a test's app) has no channels
        services = {service: SERVICES[service]} if service in SERVICES else {}
    operations = _operations(services, channels)
    if service is not None:
        used = {op["channel"]["$ref"].rsplit("/", 1)[1] for op in operations.values()}
        channels = {cid: c for cid, c in channels.items() if cid in used}
    return {
        "asyncapi": SPEC_VERSION,
        "info": {
            "title": "Leadrelay events" + (f": {service}" if service else ""),
            "version": "1.0.0",
            "description": "The topics Leadrelay's services exchange CloudEvents on. Event types carry their "
            "major version; consumers accept unknown optional fields and dead-letter an unknown type.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render_document(document: dict[str, Any]) -> str:
    """The document as it is committed (docs/asyncapi.json)."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
