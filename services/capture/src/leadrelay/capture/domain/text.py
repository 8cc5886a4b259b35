"""Free text as PostgreSQL can store it and people can read it."""

from __future__ import annotations

import re
from typing import Any

_CONTROLS = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Refuse NUL (PostgreSQL text and jsonb cannot hold it); drop other control characters but tab and newlines."""
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return _CONTROLS.sub("", value)


def clean_json(value: Any) -> Any:
    """Apply clean_text to every string, key or value, inside a JSON-like structure."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    return value
