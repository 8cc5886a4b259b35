"""Routing end to end on the real broker and database: matching, fallbacks and pools, caps, escalation,
accept and reject, configuration versions with an audit log, and backtests."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import TopicReader, produce
from leadrelay.devkit.testing.keys import VIEWER_KEY, role_keys
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import encode, new_event
from leadrelay.events.handoff import HandoffBreached, LeadContacted
from leadrelay.events.lead import Company, ConsentChanged, Contact, LeadSnapshot
from leadrelay.events.scoring import LeadScored
from leadrelay.events.sla import POLICIES_KEY, SlaPoliciesActivated
from leadrelay.observability.metrics import REGISTRY
from leadrelay.routing.adapters.config_file import load_config
from leadrelay.routing.bootstrap import MIGRATIONS, build_app
from leadrelay.routing.settings import SEED_CONFIG, RoutingSettings
from leadrelay.sla_policies import PolicySet

ADMIN = {"X-Admin-Key": "test-admin-key-0123456789"}
SALES = {"X-API-Key": "test-sales-key-0123456789"}
OTHER_QUEUE_TOOL = {"X-API-Key": "other-queue-tool-key-0123456789"}
SEED = load_config(SEED_CONFIG).model_dump(mode="json")


def config_with(**changes) -> dict:
    """The seed configuration with changes: reps={id: {field: value}}, version=..., rules=[...]."""
    document = yaml.safe_load(yaml.safe_dump(SEED))
    for rep in document["reps"]:
        rep.update(changes.get("reps", {}).get(rep["id"], {}))
    if "rules" in changes:
        document["rules"] = changes["rules"]
    document["version"] = changes.get("version", "test-1")
    return document


@pytest.fixture
def make_settings(create_database, kafka_settings, postgres_settings, tmp_path):
    async def make(config: dict | None = None) -> RoutingSettings:
        path = SEED_CONFIG
        if config is not None:
            path = tmp_path / f"{config['version']}.yaml"
            path.write_text(yaml.safe_dump(config))
        return RoutingSettings(
            database=await create_database("routing", MIGRATIONS),
            kafka=kafka_settings,
            postgres=postgres_settings,
            outbox_poll_interval_s=0.2,
            **{
                **role_keys(),
                "sales_keys": [SALES["X-API-Key"], f"{OTHER_QUEUE_TOOL['X-API-Key']}:no-such-queue"],
            },
            config_path=path,
        )

    return make


def scored(
    lead_id: str,
    email: str | None = None,
    size: str = "1000+",
    company: str | None = None,
    stage: str = "sql",
):
    data = LeadScored(
        lead_id=lead_id,
        score=80,
        fit=70,
        engagement=10,
        grade="A1",
        stage=stage,
        ruleset_version="test",
        source="referral",
        lead=LeadSnapshot(
            contact=Contact(email=email or f"{lead_id}@example.com", company=company),
            company=Company(size=size),
        ),
    )
    return encode(new_event(data, source="leadrelay/scoring", subject=lead_id))


async def handoffs_of(client, lead_id: str, count: int = 1):
    response = await client.get(f"/v1/decisions/{lead_id}")
    if response.status_code != 200:
        return None
    handoffs = response.json()["handoffs"]
    return handoffs if len(handoffs) >= count else None


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    found = re.search(rf"^{name}{{{re.escape(wanted)}}} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


async def test_an_account_match_wins_over_rules_and_a_returning_person_gets_their_owner(make_settings):
    settings = await make_settings()
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        bad = await client.post(
            "/v1/accounts/import",
            content="name,domain,owner_id\nBigCo,bigco.example,rep-nobody\n,x,rep-ada\n",
            headers={**ADMIN, "content-type": "text/csv"},
        )
        imported = await client.post(
            "/v1/accounts/import",
            content="name,domain,owner_id\nBigCo,bigco.example,rep-katherine\nOther Inc,,rep-alan\n",
            headers={**ADMIN, "content-type": "text/csv"},
        )
        await produce(bs, topics.scored, scored("by-domain", email="cio@bigco.example"), key="k")
        await produce(bs, topics.scored, scored("by-name", company="other inc"), key="k")
        await produce(bs, topics.scored, scored("first-visit", email="pat@returning.example"), key="k")
        await produce(bs, topics.scored, scored("second-visit", email="Pat@returning.example"), key="k")
        [by_domain] = await wait_until(lambda: handoffs_of(client, "by-domain"), what="by-domain")
        [by_name] = await wait_until(lambda: handoffs_of(client, "by-name"), what="by-name")
        [first] = await wait_until(lambda: handoffs_of(client, "first-visit"), what="first visit")
        [second] = await wait_until(lambda: handoffs_of(client, "second-visit"), what="second visit")
        trace = (await client.get("/v1/decisions/by-domain")).json()["decisions"][0]
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"line 3.name", "line 3.domain"}
    assert imported.json() == {"imported": 2}
    assert (by_domain["owner_id"], by_domain["queue"]) == ("rep-katherine", "smb")
    assert trace["strategy"] == "account_owner" and trace["trace"]["matching"]["used"] is True
    assert trace["rule"] == "match: account_owner (account BigCo)"
    assert by_name["owner_id"] == "rep-alan"
    # round robin would have given the second lead to the other enterprise rep
    assert first["owner_id"] == "rep-ada" and second["owner_id"] == "rep-ada"


async def test_nobody_available_falls_back_then_goes_to_the_pool_with_alert_metrics(make_settings):
    now = datetime.now(UTC)
    away = {
        "out_of_office": [
            {"start": (now - timedelta(days=1)).isoformat(), "end": (now + timedelta(days=2)).isoformat()}
        ]
    }
    settings = await make_settings(config_with(reps={"rep-ada": away, "rep-grace": away}))
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        before = (await client.get("/metrics")).text
        await produce(bs, topics.scored, scored("fallback"), key="k")
        [fallback] = await wait_until(lambda: handoffs_of(client, "fallback"), what="fallback handoff")
        everyone_away = config_with(version="test-2", reps={r["id"]: away for r in SEED["reps"]})
        activated = await client.post("/v1/config?activate=true", json=everyone_away, headers=ADMIN)
        await produce(bs, topics.scored, scored("pooled"), key="k")
        [pooled] = await wait_until(lambda: handoffs_of(client, "pooled"), what="pooled handoff")
        decision = (await client.get("/v1/decisions/fallback")).json()["decisions"][0]
        after = (await client.get("/metrics")).text
        async with TopicReader(bs, topics.handoff("enterprise")) as reader:
            mirrored = [m.json()["data"] for m in await reader.wait_for(1)]
    assert activated.status_code == 201
    assert (fallback["queue"], fallback["owner_id"]) == ("smb", "rep-alan")
    enterprise = decision["trace"]["queues"][0]
    assert enterprise["queue"] == "enterprise" and enterprise["chosen"] is None
    assert all(c["why"].startswith("out of office until") for c in enterprise["candidates"])
    assert (pooled["queue"], pooled["owner_id"]) == ("enterprise", "pool:enterprise")
    assert [m["owner"]["id"] for m in mirrored] == ["pool:enterprise"]
    fell = metric(after, "leadrelay_routing_fallback_total", queue="enterprise", fallback="smb")
    assert fell - metric(before, "leadrelay_routing_fallback_total", queue="enterprise", fallback="smb") == 1
    pool = metric(after, "leadrelay_routing_pooled_total", queue="enterprise")
    assert pool - metric(before, "leadrelay_routing_pooled_total", queue="enterprise") == 1


async def test_a_rep_at_the_concurrent_cap_is_skipped_until_first_contact(make_settings):
    settings = await make_settings(
        config_with(reps={"rep-ada": {"concurrent_cap": 1}, "rep-grace": {"concurrent_cap": 1}})
    )
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        for lead in ("c1", "c2", "c3"):
            await produce(bs, topics.scored, scored(lead), key="k")
        [c1] = await wait_until(lambda: handoffs_of(client, "c1"), what="c1")
        [c2] = await wait_until(lambda: handoffs_of(client, "c2"), what="c2")
        [c3] = await wait_until(lambda: handoffs_of(client, "c3"), what="c3")
        contact = LeadContacted(handoff_id=c1["handoff_id"], lead_id="c1", at=datetime.now(UTC))
        await produce(bs, topics.contacted, encode(new_event(contact, source="crm", subject="c1")), key="k")

        async def contacted():
            [h] = await handoffs_of(client, "c1")
            return h["state"] == "contacted"

        await wait_until(contacted, what="contact recorded")
        await produce(bs, topics.scored, scored("c4"), key="k")
        [c4] = await wait_until(lambda: handoffs_of(client, "c4"), what="c4")
    assert [c1["owner_id"], c2["owner_id"], c3["owner_id"]] == ["rep-ada", "rep-grace", "rep-alan"]
    assert c4["owner_id"] == "rep-ada"


async def test_breaches_escalate_to_the_next_rep_then_the_manager_then_the_pool(make_settings):
    settings = await make_settings()
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics

    def breach(handoff: dict) -> bytes:
        event = HandoffBreached(
            handoff_id=handoff["handoff_id"],
            lead_id="late",
            owner_id=handoff["owner_id"],
            queue=handoff["queue"],
            due_at=handoff["assigned_at"],
            breached_at=datetime.now(UTC),
            overdue_seconds=1.0,
            attempt=handoff["attempt"],
        )
        return encode(new_event(event, source="leadrelay/sla-monitor", subject="late"))

    async with running(build_app(settings), key=VIEWER_KEY) as client:
        await produce(bs, topics.scored, scored("late"), key="late")
        chain = await wait_until(lambda: handoffs_of(client, "late", 1), what="first handoff")
        for attempt in (2, 3, 4):
            await produce(bs, topics.sla_breached, breach(chain[-1]), key="late")
            chain = await wait_until(
                lambda a=attempt: handoffs_of(client, "late", a), what=f"attempt {attempt}"
            )
        await produce(bs, topics.sla_breached, breach(chain[0]), key="late")  # stale: changes nothing
        async with TopicReader(bs, topics.qualified) as reader:
            await reader.wait_for(4)
            qualified = [m.json()["data"] for m in await reader.settle(1.0)]
        decisions = (await client.get("/v1/decisions/late")).json()["decisions"]
    assert [(h["attempt"], h["owner_id"]) for h in chain] == [
        (1, "rep-ada"),
        (2, "rep-grace"),
        (3, "rep-mary"),
        (4, "pool:enterprise"),
    ]
    assert [h["state"] for h in chain[:3]] == ["reassigned"] * 3
    assert [(q["attempt"], q["owner"]["id"]) for q in qualified] == [
        (h["attempt"], h["owner_id"]) for h in chain
    ]
    second = next(d for d in decisions if d["attempt"] == 2)
    excluded = {c["rep"]: c["why"] for c in second["trace"]["queues"][0]["candidates"]}
    assert excluded["rep-ada"] == "already had this lead"
    assert [d["strategy"] for d in decisions if d["attempt"] > 1] == [
        "escalation: next rep",
        "escalation: manager",
        "escalation: pool",
    ]


async def test_an_opt_out_after_the_handoff_reaches_the_escalated_handoff(make_settings):
    settings = await make_settings()
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    consenting = LeadScored.model_validate(
        {
            **json.loads(scored("optout"))["data"],
            "lead": {"contact": {"email": "o@example.com"}, "marketing_consent": True},
        }
    )
    withdrawn = ConsentChanged(
        lead_id="optout", marketing=False, purposes=["contact"], channel="opt_out", at=datetime.now(UTC)
    )
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        async with TopicReader(bs, topics.qualified) as handoffs:
            await produce(
                bs,
                topics.scored,
                encode(new_event(consenting, source="leadrelay/scoring", subject="optout")),
                key="optout",
            )
            [first] = await handoffs.wait_for(1)
            await produce(
                bs,
                topics.consent,
                encode(new_event(withdrawn, source="leadrelay/capture", subject="optout")),
                key="optout",
            )
            [handoff] = await wait_until(lambda: handoffs_of(client, "optout"), what="the handoff stored")
            breach = HandoffBreached(
                handoff_id=handoff["handoff_id"],
                lead_id="optout",
                owner_id=handoff["owner_id"],
                queue=handoff["queue"],
                due_at=handoff["assigned_at"],
                breached_at=datetime.now(UTC),
                overdue_seconds=1.0,
                attempt=1,
            )
            # the change and the breach travel on different topics: the breach goes once the change is handled

            async def consent_handled() -> bool:
                handled = REGISTRY.get_sample_value(
                    "leadrelay_messages_consumed_total",
                    {"service": "routing", "topic": topics.consent, "outcome": "ok"},
                )
                return bool(handled)

            await wait_until(consent_handled, what="the consent change handled")
            await produce(
                bs,
                topics.sla_breached,
                encode(new_event(breach, source="leadrelay/sla-monitor", subject="optout")),
                key="optout",
            )
            second = await wait_until(
                lambda: _with_attempt(handoffs, 2), what="the escalated handoff", timeout_s=30
            )
    assert first.json()["data"]["lead"]["marketing_consent"] is True
    assert second["lead"]["marketing_consent"] is False


async def _with_attempt(reader, attempt: int) -> dict | None:
    await reader.settle(0.2)
    found = [m.json()["data"] for m in reader.messages if m.json()["data"]["attempt"] == attempt]
    return found[0] if found else None


async def test_sales_tools_accept_and_reject_handoffs(make_settings):
    settings = await make_settings()
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        for lead in ("taken", "refused"):
            await produce(bs, topics.scored, scored(lead), key="k")
        [taken] = await wait_until(lambda: handoffs_of(client, "taken"), what="taken")
        [refused] = await wait_until(lambda: handoffs_of(client, "refused"), what="refused")
        anonymous = await client.post(f"/v1/handoffs/{taken['handoff_id']}/accept", headers={"X-API-Key": ""})
        viewer = await client.post(f"/v1/handoffs/{taken['handoff_id']}/accept")
        other_queue = await client.post(
            f"/v1/handoffs/{refused['handoff_id']}/reject",
            json={"reason": "not ours"},
            headers=OTHER_QUEUE_TOOL,
        )
        accepted = await client.post(f"/v1/handoffs/{taken['handoff_id']}/accept", headers=SALES)
        empty = await client.post(
            f"/v1/handoffs/{refused['handoff_id']}/reject", json={"reason": ""}, headers=SALES
        )
        rejected = await client.post(
            f"/v1/handoffs/{refused['handoff_id']}/reject",
            json={"reason": "student, no budget"},
            headers=SALES,
        )
        again = await client.post(
            f"/v1/handoffs/{refused['handoff_id']}/reject", json={"reason": "x"}, headers=SALES
        )
        async with TopicReader(bs, topics.rejected) as reader:
            [event] = await reader.wait_for(1)
        [state] = await handoffs_of(client, "refused")
    assert anonymous.status_code == 401 and viewer.status_code == 403 and other_queue.status_code == 403
    assert accepted.json()["state"] == "accepted"
    assert empty.status_code == 422
    assert rejected.status_code == 200 and again.status_code == 409
    assert state["state"] == "rejected" and state["reason"] == "student, no budget"
    assert event.json()["type"] == "leadrelay.handoff.rejected.v1"
    assert (
        event.json()["data"]["reason"] == "student, no budget"
        and event.json()["data"]["lead_id"] == "refused"
    )


async def test_configuration_versions_are_validated_exported_and_audited(make_settings):
    settings = await make_settings()
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        bad = config_with(version="broken")
        bad["rules"][0]["queue"] = "nowhere"
        bad["reps"][0]["timezone"] = "Atlantis/Capital"
        invalid = await client.post("/v1/config", json=bad, headers=ADMIN)
        exported = await client.get("/v1/config?format=yaml", headers=ADMIN)
        edited = yaml.safe_load(exported.text)
        edited["version"] = "edited-1"
        edited["reps"][0]["working_hours"] = {"mon": ["09:00-17:00"]}
        added = await client.post(
            "/v1/config",
            content=yaml.safe_dump(edited),
            headers={**ADMIN, "content-type": "application/yaml"},
        )
        clash = await client.post("/v1/config", json={**edited, "rules": edited["rules"][:1]}, headers=ADMIN)
        activated = await client.post("/v1/config/versions/edited-1/activate", headers=ADMIN)
        reps = (await client.get("/v1/reps")).json()
        versions = (await client.get("/v1/config/versions", headers=ADMIN)).json()
        audit = (await client.get("/v1/audit", headers=ADMIN)).json()
        unauthorised = await client.get("/v1/audit")
    assert invalid.status_code == 422
    assert {e["field"] for e in invalid.json()["errors"]} == {"reps.0.timezone"}
    assert exported.headers["content-type"].startswith("application/yaml")
    assert added.status_code == 201 and clash.status_code == 409 and activated.json()["active"] is True
    assert reps[0]["working_hours"] == {"mon": ["09:00-17:00"]}
    assert [(v["version"], v["active"]) for v in versions] == [("edited-1", True), ("seed-3", False)]
    assert [a["action"] for a in audit][:2] == ["config_activated", "config_added"]
    assert audit[0]["actor"].startswith("admin key ") and audit[0]["detail"] == {"previous": "seed-3"}
    assert unauthorised.status_code == 403  # a viewer key is not an admin key


UNEVALUABLE = [
    ({"lead.company.country": {"equals": "ZZ"}}, "unknown operator 'equals'"),
    ({"lead.company.size": {"gte": 1000}}, "'gte' applies to number fields"),
    ({"lead.company.country": {"in": "US"}}, "'in' needs a non-empty list"),
    ({"lead.company.sizee": "1000+"}, "is not a lead field"),
]


async def test_rules_evaluation_cannot_do_are_refused_by_the_api_the_preview_and_the_start_up_file(
    make_settings, tmp_path
):
    settings = await make_settings()
    lead = json.loads(scored("typo", size="1000+"))["data"]
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        for when, reason in UNEVALUABLE:
            draft = config_with(
                version="typo",
                rules=[
                    {"name": "z", "when": when, "queue": "smb"},
                    {"name": "all", "when": {}, "queue": "smb"},
                ],
            )
            stored = await client.post("/v1/config", json=draft, headers=ADMIN)
            previewed = await client.post(
                "/v1/route/preview", json={"lead": lead, "config": draft}, headers=ADMIN
            )
            assert stored.status_code == previewed.status_code == 422, (when, stored.text, previewed.text)
            [error] = stored.json()["errors"]
            assert error["field"] == "rules.0.when" and reason in error["reason"], error
            [error] = previewed.json()["errors"]
            assert error["field"] == "config.rules.0.when" and reason in error["reason"], error
            path = tmp_path / "routing.yaml"
            path.write_text(yaml.safe_dump(draft))
            with pytest.raises(
                ValueError, match=rf"{path} is invalid:\n  rules\.0\.when: .*{re.escape(reason)}"
            ):
                build_app(settings.model_copy(update={"config_path": path}))
        unknown_queue = config_with(version="q", rules=[{"name": "z", "when": {}, "queue": "nowhere"}])
        refused = await client.post("/v1/config", json=unknown_queue, headers=ADMIN)
        versions = (await client.get("/v1/config/versions", headers=ADMIN)).json()
    assert refused.status_code == 422
    [problem] = refused.json()["errors"]
    assert problem["field"] == "rules.0.queue" and problem["reason"].startswith(
        "rule 'z' names unknown queue 'nowhere'"
    )
    assert [v["version"] for v in versions] == ["seed-3"]  # nothing refused was stored


async def test_a_backtest_replays_recent_leads_against_a_draft(make_settings):
    settings = await make_settings()
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        for i in range(4):
            await produce(bs, topics.scored, scored(f"bt-{i}"), key="k")
        await wait_until(lambda: handoffs_of(client, "bt-3"), what="four handoffs")
        draft = config_with(version="draft", rules=[{"name": "all-to-smb", "when": {}, "queue": "smb"}])
        report = await client.post("/v1/backtest", json={"config": draft, "last": 10}, headers=ADMIN)
    result = report.json()
    assert result["replayed"] == 4 and result["changed"] == 4
    assert result["per_queue"] == {"enterprise": {"before": 4, "after": 0}, "smb": {"before": 0, "after": 4}}
    assert result["per_rep"]["rep-alan"] == {"before": 0, "after": 2}
    assert result["per_rep"]["rep-ada"] == {"before": 2, "after": 0}


SLA_POLICIES = PolicySet.model_validate(
    {
        "version": "announced-1",
        "calendars": {
            "london": {
                "timezone": "Europe/London",
                "working_hours": {d: ["09:00-17:30"] for d in ("mon", "tue", "wed", "thu", "fri")},
                "holidays": "GB",
            }
        },
        "policies": [
            {"name": "enterprise-first-contact", "clock": "business_hours", "calendar": "london",
             "deadlines": {"A": 60}},
            {"name": "smb-first-contact", "deadlines": {"A": 15}},
            {"name": "escalation", "deadlines": {"A": 15}},
        ],
    }
)  # fmt: skip


async def test_handoffs_state_the_announced_sla_policies_deadline_and_configs_must_name_their_policies(
    make_settings,
):
    settings = await make_settings()
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    announcement = SlaPoliciesActivated(policies=SLA_POLICIES, activated_at=datetime.now(UTC))
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        before = await client.get("/v1/sla-policies")
        await produce(
            bs,
            topics.sla_policies,
            encode(new_event(announcement, source="leadrelay/sla-monitor", subject=POLICIES_KEY)),
            key=POLICIES_KEY,
        )

        async def heard() -> bool:
            return (await client.get("/v1/sla-policies")).status_code == 200

        await wait_until(heard, what="the SLA policies adopted")
        typo = config_with(version="typo")
        typo["queues"][1]["sla_policy"] = "smb-frist-contact"
        refused = await client.post("/v1/config", json=typo, headers=ADMIN)
        async with TopicReader(bs, topics.qualified) as reader:
            await produce(bs, topics.scored, scored("timed", size="1000+"), key="timed")
            [handoff] = await reader.wait_for(1)
    assert before.status_code == 404
    assert refused.status_code == 422
    [problem] = refused.json()["errors"]
    assert problem["field"] == "queues.1.sla_policy" and "smb-frist-contact" in problem["reason"]
    event = handoff.json()
    started = datetime.fromisoformat(event["time"])
    due, _ = SLA_POLICIES.deadline("enterprise-first-contact", "A1", started)
    assert event["data"]["queue"] == "enterprise"
    assert datetime.fromisoformat(event["data"]["sla"]["due_at"]) == due  # in London business hours


async def test_a_rejected_lead_that_qualifies_again_goes_back_after_the_cool_down_unless_barred(
    make_settings,
):
    config = config_with(version="requalify-1")
    config["requalification"] = {"cool_down_hours": 0, "barred": [{"reason": "wrong person", "days": 30}]}
    settings = await make_settings(config)
    bs, topics = settings.kafka.bootstrap_servers, settings.kafka.topics
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        await produce(bs, topics.scored, scored("nurtured", stage="nurture"), key="nurtured")
        for lead in ("comes-back", "barred"):
            await produce(bs, topics.scored, scored(lead), key=lead)
        [first] = await wait_until(lambda: handoffs_of(client, "comes-back"), what="first handoff")
        [barred] = await wait_until(lambda: handoffs_of(client, "barred"), what="barred's handoff")
        for handoff, reason in ((first, "budget next quarter"), (barred, "Wrong person, ask the CFO")):
            answer = await client.post(
                f"/v1/handoffs/{handoff['handoff_id']}/reject", json={"reason": reason}, headers=SALES
            )
            assert answer.status_code == 200, answer.text
        # new activity: scoring finds them sales-ready (the nurtured one for the first time)
        for lead in ("comes-back", "barred", "nurtured"):
            await produce(bs, topics.scored, scored(lead), key=lead)
        _, again = await wait_until(lambda: handoffs_of(client, "comes-back", 2), what="the second handoff")
        [nurtured] = await wait_until(
            lambda: handoffs_of(client, "nurtured"), what="the nurtured lead's handoff"
        )
        async with TopicReader(bs, topics.qualified) as reader:
            messages = await reader.wait_for(4)

        async def barred_decision() -> dict | None:
            found = (await client.get("/v1/decisions/barred")).json()
            whys = [d["trace"].get("why") or "" for d in found["decisions"]]
            return found if any("barred until" in why for why in whys) else None

        decisions = await wait_until(barred_decision, what="the barred lead's decision")
    assert (again["attempt"], again["state"], again["owner_id"]) == (2, "open", first["owner_id"])
    requalified = [m.json()["data"] for m in messages if m.json()["data"]["lead_id"] == "comes-back"]
    assert [q["requalified"] for q in requalified] == [False, True]
    assert len(decisions["handoffs"]) == 1
    assert (nurtured["attempt"], nurtured["state"]) == (1, "open")  # never with sales before: no cool-down


async def test_a_queue_whose_topic_is_missing_on_a_managed_cluster_is_refused_before_activation(
    make_settings,
):
    from leadrelay.kafka.admin import ensure_topics

    settings = await make_settings()
    kafka = settings.kafka.model_copy(update={"create_topics": False})  # production: topics are applied
    managed = settings.model_copy(update={"kafka": kafka})
    seed_handoffs = [kafka.topics.handoff(q["name"]) for q in SEED["queues"]]
    await ensure_topics(kafka, [*kafka.topics.all_with_dlq(), *seed_handoffs])  # `leadrelay topics apply`
    config = config_with(version="with-partners")
    config["queues"].append({"name": "partners", "sla_policy": "smb-first-contact"})
    async with running(build_app(managed), key="test-admin-key-0123456789") as client:
        refused = await client.post("/v1/config", params={"activate": "true"}, json=config)
        stored = await client.post("/v1/config", json=config)
        refused_again = await client.post("/v1/config/versions/with-partners/activate")
        active = (await client.get("/v1/config")).json()["version"]
        await ensure_topics(kafka, [kafka.topics.handoff("partners")])
        activated = await client.post("/v1/config/versions/with-partners/activate")
    assert refused.status_code == refused_again.status_code == 409, refused.text
    assert (
        refused.json()["error"] == "handoff_topics_not_ready"
        and "handoffs.partners" in refused.json()["detail"]
    )
    assert stored.status_code == 201 and active == SEED["version"]
    assert activated.status_code == 200 and activated.json()["active"] is True
