"""The metrics service's HTTP API: KPIs (JSON or CSV) and, with X-Admin-Key, marketing spend."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, model_validator

from leadrelay.metrics.context import Metrics
from leadrelay.metrics.domain.funnel import summarise
from leadrelay.metrics.domain.report import (
    SPEED_BUCKETS,
    FeedItem,
    FunnelCount,
    JourneySummary,
    ReasonCount,
    RecordedSpend,
    Spend,
)
from leadrelay.metrics.domain.timeline import ratio
from leadrelay.service.access import PUBLIC, GuardedRoute, actor_of
from leadrelay.service.admin import require_admin, require_viewer
from leadrelay.service.app import unprocessable

router = APIRouter(
    prefix="/v1", tags=["kpis"], dependencies=[Depends(require_viewer)], route_class=GuardedRoute
)
admin = APIRouter(
    prefix="/v1", tags=["kpis admin"], dependencies=[Depends(require_admin)], route_class=GuardedRoute
)
CSV_COLUMNS = ["day", "step", "stage", "source", "queue", "count"]


@router.get("/breakdown")
async def breakdown(
    ctx: Metrics,
    start: date | None = Query(default=None, alias="from"),
    end: date | None = Query(default=None, alias="to"),
) -> dict[str, Any]:
    """For the dashboard: leads per source, speed-to-lead histograms, SLA compliance per day."""
    async with ctx.uow() as uow:
        return {
            "sources": await uow.breakdown.sources(start, end),
            "speed": {
                "buckets_seconds": list(SPEED_BUCKETS),
                **await uow.breakdown.speed_histogram(start, end),
            },
            "sla_daily": await uow.breakdown.sla_daily(start, end),
        }


@router.get("/feed")
async def live_feed(
    ctx: Metrics, after: int = Query(default=0, ge=0), limit: int = Query(default=50, ge=1, le=500)
) -> list[FeedItem]:
    """The latest handoffs and breaches after an id, newest first (the dashboard polls it)."""
    async with ctx.uow() as uow:
        return await uow.feed.after(after, limit)


@router.get("/kpis", responses={200: {"content": {"text/csv": {}}}})
async def kpis(
    ctx: Metrics,
    start: date | None = Query(default=None, alias="from", description="first day (inclusive)"),
    end: date | None = Query(default=None, alias="to", description="last day (inclusive)"),
    source: str | None = Query(default=None, max_length=40),
    campaign: str | None = Query(default=None, max_length=100),
    queue: str | None = Query(default=None, max_length=63),
    format: str = Query(default="json", pattern="^(json|csv)$"),
) -> Any:
    """Funnel counts per day, and KPIs over the leads captured in the period (conversion, speed to lead,
    SLA compliance, cost per lead, acquisition cost, cycle length, value, ROI, lost and rejection reasons)."""
    if start and end and start > end:
        raise unprocessable("from", "must not be after 'to'")
    async with ctx.uow() as uow:
        rows = await uow.funnel.rows(start, end, source, queue)
        if format == "csv":
            return _csv(rows)
        journey = await uow.timeline.summary(start, end, source=source, campaign=campaign, queue=queue)
        spent = await uow.spend.total(start, end, source, campaign)
        lost = await uow.reasons.top(start, end, "lost")
        rejected = await uow.reasons.top(start, end, "rejected")
    totals = summarise(rows)
    return {
        "period": {"from": start, "to": end},
        "filters": {"source": source, "campaign": campaign, "queue": queue},
        "totals": totals,
        "conversion": _conversion(totals),
        "kpis": _kpis(journey, spent, lost, rejected),
        "rows": rows,
    }


def _rounded(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None


def _kpis(
    j: JourneySummary, spent: float, lost: list[ReasonCount], rejected: list[ReasonCount]
) -> dict[str, Any]:
    return {
        "leads": j.leads,
        "funnel": {
            "mql": j.mql,
            "sql": j.sql,
            "handed_off": j.handed_off,
            "contacted": j.contacted,
            "won": j.won,
            "lost": j.lost,
            "rejected": j.rejected,
        },
        "conversion": {
            "lead_to_mql": ratio(j.mql, j.leads),
            "lead_to_sql": ratio(j.sql, j.leads),
            "mql_to_sql": ratio(j.sql, j.mql),
            "sql_to_won": ratio(j.won, j.sql),
            "lead_to_won": ratio(j.won, j.leads),
        },
        "speed_to_lead_seconds": {
            "routing_p50": _rounded(j.routing_p50_s, 3),
            "routing_p95": _rounded(j.routing_p95_s, 3),
            "rep_p50": _rounded(j.rep_p50_s, 3),
            "rep_p95": _rounded(j.rep_p95_s, 3),
        },
        "sla": {
            "breached": j.breached,
            "contacted_in_time": j.contacted_in_time,
            "compliance": ratio(j.contacted_in_time, j.sla_decided),
        },
        "money": {
            "spend": spent,
            "cost_per_lead": round(spent / j.leads, 2) if j.leads and spent else None,
            "customer_acquisition_cost": round(spent / j.won, 2) if j.won and spent else None,
            "revenue": j.revenue,
            "value_per_customer": _rounded(j.value_per_customer, 2),
            "roi": ratio(j.revenue - spent, spent) if spent else None,
        },
        "sales_cycle_days": {
            "average": _rounded(j.cycle_days_avg, 2),
            "median": _rounded(j.cycle_days_p50, 2),
        },
        "lost_reasons": lost,
        "rejection_reasons": rejected,
    }


def _csv(rows: list[FunnelCount]) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(asdict(row) for row in rows)
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="kpis.csv"'},
    )


def _conversion(totals: dict[str, int]) -> dict[str, float | None]:
    return {
        "lead_to_mql": ratio(totals.get("mql"), totals.get("captured")),
        "lead_to_sql": ratio(totals.get("sql"), totals.get("captured")),
        "sql_to_won": ratio(totals.get("won"), totals.get("sql")),
    }


class SpendIn(BaseModel):
    """Marketing spend of a source (optionally one campaign) over a period."""

    source: str = Field(min_length=1, max_length=40)
    campaign: str = Field(default="", max_length=100)
    period_start: date
    period_end: date
    amount: float = Field(ge=0, lt=1e12, description="stored with two decimals, below a trillion")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")

    @model_validator(mode="after")
    def _ordered(self) -> SpendIn:
        if self.period_end < self.period_start:
            raise ValueError("period_end must not be before period_start")
        return self


@admin.post("/spend", status_code=201)
async def add_spend(
    ctx: Metrics, entries: Annotated[list[SpendIn], Body(min_length=1, max_length=1000)], request: Request
) -> dict[str, Any]:
    """Record spend entries (cost per lead, acquisition cost and ROI use them)."""
    if len({e.currency for e in entries}) > 1:
        raise unprocessable("currency", "send one currency at a time")
    now = datetime.now(UTC)
    async with ctx.uow() as uow:
        await uow.spend.add([Spend(**e.model_dump()) for e in entries], now)
        await uow.commit()
    detail = {"entries": len(entries), "currency": entries[0].currency}
    await ctx.audit.record(actor_of(request), "spend_recorded", None, detail, now)
    return {"recorded": len(entries)}


@admin.get("/spend")
async def list_spend(ctx: Metrics) -> list[RecordedSpend]:
    """List recorded spend."""
    async with ctx.uow() as uow:
        return await uow.spend.all()


STATIC = Path(__file__).resolve().parent / "static"
# The page and its script carry no data: the script asks the API with the viewer key the person gives it.
pages = APIRouter(tags=["dashboard"], dependencies=[Depends(PUBLIC)])


@pages.get("/", response_class=HTMLResponse)
async def dashboard() -> HTMLResponse:
    """The dashboard for people: funnel, key figures, speed to lead, SLA compliance, sources, live feed."""
    return HTMLResponse((STATIC / "dashboard.html").read_text())


@pages.get("/dashboard.js", include_in_schema=False)
async def dashboard_script() -> Response:
    """The dashboard's script (plain JavaScript, no build step)."""
    return Response((STATIC / "dashboard.js").read_text(), media_type="text/javascript")
