"""The metrics service's HTTP API."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request

from leadrelay.metrics.adapters.uow import MetricsUnitOfWork
from leadrelay.metrics.domain.funnel import summarise
from leadrelay.service.app import unprocessable

router = APIRouter(prefix="/v1", tags=["kpis"])


@router.get("/kpis")
async def kpis(
    request: Request,
    start: date | None = Query(default=None, alias="from", description="first day (inclusive)"),
    end: date | None = Query(default=None, alias="to", description="last day (inclusive)"),
    source: str | None = Query(default=None, max_length=40),
    queue: str | None = Query(default=None, max_length=63),
) -> dict[str, Any]:
    """Return funnel counts per day, stage, source and queue, with totals and conversion rates."""
    if start and end and start > end:
        raise unprocessable("from", "must not be after 'to'")
    async with MetricsUnitOfWork(request.app.state.runtime.sessions) as uow:
        rows = await uow.funnel.rows(start, end, source, queue)
    totals = summarise(rows)
    return {
        "period": {"from": start, "to": end},
        "filters": {"source": source, "queue": queue},
        "totals": totals,
        "conversion": _conversion(totals),
        "rows": rows,
    }


def _conversion(totals: dict[str, int]) -> dict[str, float | None]:
    def ratio(a: str, b: str) -> float | None:
        return round(totals.get(b, 0) / totals[a], 4) if totals.get(a) else None

    return {
        "lead_to_mql": ratio("captured", "mql"),
        "lead_to_sql": ratio("captured", "sql"),
        "sql_to_won": ratio("sql", "won"),
    }
