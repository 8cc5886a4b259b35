"""Combining a lead's journey changes gives what applying them one by one gives."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from leadrelay.metrics.domain.timeline import TimelineChange, combined

values = st.sampled_from([None, "", "a", "b", 1, 2])
columns = st.sampled_from(["source", "campaign", "mql_at"])
changes = st.lists(
    st.builds(
        TimelineChange,
        first=st.dictionaries(columns, values, max_size=3),
        latest=st.dictionaries(st.sampled_from(["outcome", "value"]), values, max_size=2),
    ),
    max_size=6,
)


def apply(row: dict[str, Any], change: TimelineChange) -> dict[str, Any]:
    """What the database's upsert does: a `first` column only while it is empty, a `latest` one always."""
    row = dict(row)
    for name, value in change.first.items():
        if row.get(name) in (None, ""):
            row[name] = value
    row.update(change.latest)
    return row


@given(changes, st.dictionaries(columns, values, max_size=3))
def test_combined_changes_equal_changes_in_order(changes, stored):
    one_by_one = stored
    for change in changes:
        one_by_one = apply(one_by_one, change)
    assert apply(stored, combined(changes)) == one_by_one
