"""Every index a service's migrations leave is one of a kind: a second index with the same definition only
makes each write to its table slower."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadrelay.capture.bootstrap import MIGRATIONS as CAPTURE
from leadrelay.delivery.bootstrap import MIGRATIONS as DELIVERY
from leadrelay.devkit.testing.plugin import rows
from leadrelay.metrics.bootstrap import MIGRATIONS as METRICS
from leadrelay.routing.bootstrap import MIGRATIONS as ROUTING
from leadrelay.scoring.bootstrap import MIGRATIONS as SCORING
from leadrelay.sla_monitor.bootstrap import MIGRATIONS as SLA_MONITOR

# Indexes of one table on the same columns, operator classes, expressions and predicate.
DUPLICATES = """
SELECT c.relname, string_agg(i.indexrelid::regclass::text, ', ' ORDER BY i.indexrelid::regclass::text)
FROM pg_index AS i
JOIN pg_class AS c ON c.oid = i.indrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace AND n.nspname = 'public'
GROUP BY c.relname, i.indkey::text, i.indclass::text,
         coalesce(pg_get_expr(i.indexprs, i.indrelid), ''), coalesce(pg_get_expr(i.indpred, i.indrelid), '')
HAVING count(*) > 1
"""


@pytest.mark.parametrize(
    ("service", "migrations"),
    [
        ("capture", CAPTURE),
        ("scoring", SCORING),
        ("routing", ROUTING),
        ("sla-monitor", SLA_MONITOR),
        ("metrics", METRICS),
        ("delivery", DELIVERY),
    ],
)
async def test_no_table_has_two_indexes_with_the_same_definition(
    open_database, service: str, migrations: Path
):
    engine = await open_database(service, migrations)
    assert await rows(engine, DUPLICATES) == []


async def test_handoffs_keep_only_the_indexes_routing_reads_them_by(open_database):
    # Handoffs are read by id and by lead; a rep's load comes from counters (migration 0005), not from handoffs.
    engine = await open_database("routing", ROUTING)
    indexes = await rows(engine, "SELECT indexname FROM pg_indexes WHERE tablename = 'handoffs' ORDER BY 1")
    assert indexes == [("handoffs_one_per_attempt",), ("handoffs_pkey",)]
