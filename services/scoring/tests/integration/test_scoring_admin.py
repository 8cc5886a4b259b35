"""Rule set versions through the admin API: validation with paths, activation, re-score jobs, previews."""

from __future__ import annotations

import pytest
import yaml

from leadrelay.devkit.testing.apps import running
from leadrelay.devkit.testing.kafka import TopicReader, produce
from leadrelay.devkit.testing.keys import VIEWER_KEY, role_keys
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import encode, new_event
from leadrelay.events.lead import Company, Consent, Contact, LeadCaptured
from leadrelay.scoring.adapters.ruleset_file import load_ruleset
from leadrelay.scoring.bootstrap import MIGRATIONS, build_app
from leadrelay.scoring.settings import DEFAULT_RULESET, ScoringSettings

ADMIN = {"X-Admin-Key": "test-admin-key-0123456789"}
DEFAULT = load_ruleset(DEFAULT_RULESET)


@pytest.fixture
async def settings(create_database, kafka_settings, postgres_settings) -> ScoringSettings:
    database = await create_database("scoring", MIGRATIONS)
    return ScoringSettings(
        database=database,
        kafka=kafka_settings,
        postgres=postgres_settings,
        outbox_poll_interval_s=0.2,
        **role_keys(),
    )


def web_lead(lead_id: str) -> LeadCaptured:
    """A web form lead from a mid-size company: mql under the default rules (40 points)."""
    return LeadCaptured(
        lead_id=lead_id,
        source="web_form",
        completeness="complete",
        contact=Contact(email=f"{lead_id}@acme.example"),
        company=Company(size="11-50"),
        consent=Consent(purposes=["contact"]),
    )


def generous() -> dict:
    """The default rules with every web form worth 45 more points: those leads become sql."""
    document = DEFAULT.model_dump(mode="json")
    document["version"] = "generous-1"
    document["rules"][0]["points"]["web_form"] = 60
    document["caps"]["fit"] = 100
    return document


async def score_of(client, lead_id: str):
    response = await client.get(f"/v1/scores/{lead_id}")
    return response.json() if response.status_code == 200 else None


async def test_the_admin_api_needs_a_key(settings):
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        for method, path in [
            ("GET", "/v1/rulesets"),
            ("POST", "/v1/rulesets"),
            ("POST", "/v1/rulesets/x/activate"),
            ("GET", "/v1/models"),
            ("POST", "/v1/models/retrain"),
            ("POST", "/v1/score/preview"),
            ("GET", "/v1/rescore-jobs/x"),
        ]:
            wrong = await client.request(
                method, path, headers={"X-API-Key": "", "X-Admin-Key": "wrong-key-0123456789"}
            )
            viewer = await client.request(method, path)
            assert wrong.status_code == 401 and viewer.status_code == 403, path


async def test_an_invalid_rule_set_is_refused_with_every_error_and_its_path(settings):
    bad = generous()
    bad["version"] = ""
    bad["rules"][1]["group"] = "looks"
    bad["qualification"]["disqualify"][0] = {"reason": "x", "field": "contact.title"}
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        stored = await client.post("/v1/rulesets", json=bad, headers=ADMIN)
        checked = await client.post(
            "/v1/rulesets/validate",
            content=yaml.safe_dump(bad),
            headers={**ADMIN, "content-type": "application/yaml"},
        )
        garbage = await client.post(
            "/v1/rulesets", content=b"rules: [unclosed", headers={**ADMIN, "content-type": "application/yaml"}
        )
        listed = (await client.get("/v1/rulesets", headers=ADMIN)).json()
    assert stored.status_code == 422
    fields = {e["field"] for e in stored.json()["errors"]}
    assert {"version", "rules.1.group", "qualification.disqualify.0"} <= fields
    assert checked.status_code == 200 and checked.json()["valid"] is False
    assert {e["field"] for e in checked.json()["errors"]} == fields
    assert garbage.status_code == 422 and garbage.json()["errors"][0]["field"] == "<body>"
    assert [r["version"] for r in listed] == [DEFAULT.version]  # only the seeded file's version


async def test_activating_a_version_rescores_old_leads_only_when_asked(settings):
    topics = settings.kafka.topics
    bs = settings.kafka.bootstrap_servers
    for i in range(5):
        lead = web_lead(f"old-{i}")
        await produce(bs, topics.captured, encode(new_event(lead, source="capture", subject=lead.lead_id)))
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        for i in range(5):
            await wait_until(lambda i=i: score_of(client, f"old-{i}"), what=f"old-{i} scored")
        assert (await score_of(client, "old-0"))["stage"] == "mql"
        # a new version, as YAML, activated without re-scoring: old scores stay, new leads use it
        added = await client.post(
            "/v1/rulesets?activate=true",
            content=yaml.safe_dump(generous()),
            headers={**ADMIN, "content-type": "application/yaml"},
        )
        assert added.status_code == 201 and added.json()["rescore_job"] is None
        again = await client.post(
            "/v1/rulesets", json={**generous(), "caps": {"fit": 1, "engagement": 1}}, headers=ADMIN
        )
        assert again.status_code == 409  # a version never changes once stored
        new = web_lead("new-0")
        await produce(bs, topics.captured, encode(new_event(new, source="capture", subject="new-0")))
        await wait_until(lambda: score_of(client, "new-0"), what="the new lead scored")
        assert (await score_of(client, "new-0"))["stage"] == "sql"
        assert (await score_of(client, "new-0"))["ruleset_version"] == "generous-1"
        assert (await score_of(client, "old-0"))["ruleset_version"] == DEFAULT.version
        # now re-score everything under it, watching the job's progress
        async with TopicReader(bs, topics.scored) as reader:
            activated = await client.post(
                "/v1/rulesets/generous-1/activate", json={"rescore": True}, headers=ADMIN
            )
            job = activated.json()["rescore_job"]
            assert job["total"] == 6 and job["state"] == "running"

            async def finished():
                progress = (await client.get(f"/v1/rescore-jobs/{job['id']}", headers=ADMIN)).json()
                return progress if progress["state"] == "done" else None

            progress = await wait_until(finished, what="the re-score job")
            await reader.wait_for(6 + 5)  # the reader starts at the topic's beginning: 6 first scores
            events = [m.json()["data"] for m in await reader.settle(1.0)]
        for i in range(5):
            score = await score_of(client, f"old-{i}")
            assert score["stage"] == "sql" and score["ruleset_version"] == "generous-1"
        audit = (await client.get("/v1/audit", headers=ADMIN)).json()
    # the seed file's version, the added one, its activations and the re-score, each with who did it
    assert [(e["action"], e["subject"]) for e in audit] == [
        ("rescore_started", "generous-1"),
        ("ruleset_activated", "generous-1"),
        ("ruleset_activated", "generous-1"),
        ("ruleset_added", "generous-1"),
        ("ruleset_activated", DEFAULT.version),
        ("ruleset_added", DEFAULT.version),
    ]
    assert audit[0]["detail"] == {"job": job["id"]} and audit[0]["actor"].startswith("admin key ")
    assert audit[3]["detail"] == {"rules": len(generous()["rules"])} and audit[-1]["actor"] == "seed file"
    assert progress["done"] == 6 and progress["changed"] == 5 and progress["percent"] == 100.0
    # only the five changed leads were announced again, each with its previous stage; new-0 was not
    rescored = [e for e in events if e["previous_stage"] is not None]
    assert sorted(e["lead_id"] for e in rescored) == [f"old-{i}" for i in range(5)]
    assert {(e["previous_stage"], e["stage"], e["ruleset_version"]) for e in rescored} == {
        ("mql", "sql", "generous-1")
    }
    assert len(events) == 11


async def test_preview_scores_a_lead_under_a_draft_without_storing_or_sending(settings):
    lead = web_lead("preview").model_dump(mode="json")
    async with running(build_app(settings), key=VIEWER_KEY) as client:
        active = await client.post("/v1/score/preview", json={"lead": lead}, headers=ADMIN)
        draft = await client.post(
            "/v1/score/preview", json={"lead": lead, "ruleset": generous()}, headers=ADMIN
        )
        broken = generous()
        broken["stages"] = {"sql": "high"}
        invalid = await client.post(
            "/v1/score/preview", json={"lead": lead, "ruleset": broken}, headers=ADMIN
        )
        asked = await client.post(
            "/v1/score/preview",
            json={"lead": lead, "activities": [{"kind": "demo_request", "at": "2026-11-22T10:00:00Z"}]},
            headers=ADMIN,
        )
        stored = await score_of(client, "preview")
        versions = (await client.get("/v1/rulesets", headers=ADMIN)).json()
    assert active.status_code == 200 and active.json()["stage"] == "mql"
    assert active.json()["ruleset_version"] == DEFAULT.version
    assert draft.json()["stage"] == "sql" and draft.json()["ruleset_version"] == "generous-1"
    assert any(r["text"] == "+60 source: web_form" for r in draft.json()["reasons"])
    assert {c["framework"] for c in draft.json()["qualification"]} == {
        "BANT",
        "CHAMP",
        "MEDDIC",
        "GPCTBA/C&I",
    }
    assert invalid.status_code == 422
    assert {e["field"] for e in invalid.json()["errors"]} >= {"ruleset.stages.sql"}
    assert asked.json()["stage"] == "sql"
    assert asked.json()["reasons"][0] == {"factor": "sales request", "text": "asked for sales: demo_request"}
    assert stored is None
    assert [v["version"] for v in versions] == [DEFAULT.version]
