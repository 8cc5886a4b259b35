"""JSON columns are serialised by pydantic-core: the same JSON the json module wrote, and datetimes too."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from leadrelay.db.engine import json_text


def test_json_columns_read_back_as_written():
    value = {"lead": {"name": "Zoë Ødegård", "tags": ["a", "b"], "n": 3, "x": 1.5, "none": None}, "ok": True}
    assert json.loads(json_text(value)) == value
    assert json.loads(json_text({"at": datetime(2026, 12, 3, 10, 0, tzinfo=UTC)})) == {
        "at": "2026-12-03T10:00:00Z"
    }
