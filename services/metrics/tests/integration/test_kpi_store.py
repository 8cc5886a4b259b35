"""A scripted set of events (captured, scored mql and sql, qualified, contacted, breached, rejected, won and
lost with values) and spend yields exactly the expected KPIs; replaying the same events changes nothing."""

from __future__ import annotations

from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.keys import VIEWER_KEY
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.metrics.bootstrap import build_app

ADMIN = {"X-Admin-Key": "test-admin-key-0123456789"}
PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}


EXPECTED = {
    "leads": 3,
    "funnel": {"mql": 2, "sql": 2, "handed_off": 2, "contacted": 2, "won": 1, "lost": 1, "rejected": 1},
    "conversion": {
        "lead_to_mql": 0.6667,
        "lead_to_sql": 0.6667,
        "mql_to_sql": 1.0,
        "sql_to_won": 0.5,
        "lead_to_won": 0.3333,
    },
    "speed_to_lead_seconds": {
        "routing_p50": 316.5,
        "routing_p95": 573.45,
        "rep_p50": 583.5,
        "rep_p95": 596.55,
    },
    "sla": {"breached": 1, "contacted_in_time": 1, "compliance": 0.5},
    "money": {
        "spend": 500.0,
        "cost_per_lead": 166.67,
        "customer_acquisition_cost": 500.0,
        "revenue": 5000.0,
        "value_per_customer": 5000.0,
        "roi": 9.0,
    },
    "sales_cycle_days": {"average": 10.0, "median": 10.0},
    "lost_reasons": [{"reason": "chose a competitor", "count": 1}],
    "rejection_reasons": [{"reason": "no budget", "count": 1}],
}


async def test_scripted_events_give_exactly_the_expected_kpis_and_a_replay_changes_nothing(
    settings, script, publish
):
    async def publish_all() -> None:
        await publish(script)

    async with running(build_app(settings), key=VIEWER_KEY) as client:
        spend = [
            {
                "source": "web_form",
                "campaign": "autumn",
                "period_start": "2026-11-01",
                "period_end": "2026-11-30",
                "amount": 300,
            },
            {"source": "referral", "period_start": "2026-11-01", "period_end": "2026-11-30", "amount": 200},
        ]
        anonymous = await client.post("/v1/spend", json=spend, headers={"X-API-Key": ""})
        backwards = await client.post(
            "/v1/spend", json=[{**spend[0], "period_end": "2026-10-01"}], headers=ADMIN
        )
        recorded = await client.post("/v1/spend", json=spend, headers=ADMIN)
        [entry] = (await client.get("/v1/audit", headers=ADMIN)).json()
        assert (entry["action"], entry["detail"]) == ("spend_recorded", {"entries": 2, "currency": "EUR"})
        await publish_all()

        async def kpis(**filters):
            return (await client.get("/v1/kpis", params={**PERIOD, **filters})).json()["kpis"]

        async def settled():
            return (await kpis()) == EXPECTED

        await wait_until(settled, what="the scripted KPIs", timeout_s=30)
        autumn = await kpis(source="web_form", campaign="autumn")
        await publish_all()  # the same events again: every one is a duplicate
        await wait_until(lambda: _processed_twice(client), what="the replay consumed", timeout_s=30)
        after_replay = await kpis()
        csv = await client.get("/v1/kpis", params={**PERIOD, "format": "csv"})
    assert anonymous.status_code == 401 and backwards.status_code == 422 and recorded.status_code == 201
    assert after_replay == EXPECTED
    assert autumn["leads"] == 2 and autumn["money"]["cost_per_lead"] == 150.0
    assert autumn["money"]["customer_acquisition_cost"] == 300.0 and autumn["money"]["roi"] == 15.6667
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "day,step,stage,source,queue,count"
    assert "2026-11-02,captured,,web_form,,2" in lines


async def _processed_twice(client) -> bool:
    metrics = (await client.get("/metrics")).text
    consumed = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("leadrelay_messages_consumed_total{")
    )
    return consumed >= 2 * 15
