"""JSON Schemas of the event data models, as committed under docs/events/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from leadrelay.events.registry import EVENT_TYPES


def event_schemas() -> dict[str, dict[str, Any]]:
    """Return each event type's JSON Schema, keyed by file name."""
    result = {}
    for event_type, spec in sorted(EVENT_TYPES.items()):
        schema = spec.model.model_json_schema()
        schema["$id"] = f"https://leadrelay.dev/events/{event_type}.json"
        schema["description"] = (spec.model.__doc__ or "").strip()
        schema["x-topic"] = spec.topic
        result[f"{event_type}.json"] = schema
    return result


def render(schema: dict[str, Any]) -> str:
    """Render a schema the way it is committed."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schemas(out_dir: Path) -> list[Path]:
    """Write every event schema into out_dir and return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in event_schemas().items():
        path = out_dir / name
        path.write_text(render(schema))
        written.append(path)
    return written
