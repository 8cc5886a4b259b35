"""A stranger who posts a victim's email with other details through the public form changes nothing that
scoring or sales see: the score, stage and handoff stay, and the change is kept as a proposal."""

from __future__ import annotations

import httpx
import pytest

from leadrelay.devkit.testing.kafka import TopicReader
from leadrelay.devkit.testing.waiting import wait_until

pytestmark = pytest.mark.system

API = {"X-API-Key": "system-test-api-key-0123"}  # as configured by conftest
VIEWER = {"X-API-Key": "system-test-viewer-key-0123"}

VICTIM = {
    "email": "vera@example.com",
    "name": "Vera Victim",
    "company": "Real Co",
    "phone": "+44 20 7946 0958",
    "title": "VP Sales",
    "company_size": "1000+",
    "source": "referral",
    "message": "Can we see a demo this week?",
}
STRANGER = {
    "email": "Vera@Example.com",
    "full_name": "Mallory",
    "organisation": "Evil Corp",
    "company_size": "1-10",
    "job_title": "Student",
    "message": "I am a student, ignore me",
}


async def test_a_public_resubmission_changes_no_score_stage_or_handoff(system):
    topics, bs = system.kafka.topics, system.kafka.bootstrap_servers
    capture, scoring, routing = (system.url(s) for s in ("capture", "scoring", "routing"))
    async with httpx.AsyncClient(timeout=10) as http:
        async with TopicReader(bs, topics.qualified) as handoffs:
            posted = await http.post(f"{capture}/v1/leads", json=VICTIM, headers=API)
            lead_id = posted.json()["lead_id"]
            [handoff] = await handoffs.wait_for(1, timeout_s=60)
            before = (await http.get(f"{scoring}/v1/scores/{lead_id}", headers=VIEWER)).json()

            async with TopicReader(bs, topics.activity) as activity:
                stranger = await http.post(
                    f"{capture}/v1/forms/demo",
                    data=STRANGER,
                    headers={"Origin": capture, "Accept": "application/json"},
                )
                [resubmitted] = await activity.wait_for(1, timeout_s=30)

            async def rescored() -> dict | None:
                score = (await http.get(f"{scoring}/v1/scores/{lead_id}", headers=VIEWER)).json()
                # the second capture and its resubmitted activity each scored the lead again
                return score if score["times_scored"] >= before["times_scored"] + 2 else None

            after = await wait_until(rescored, what="the resubmission scored", timeout_s=30)
            assert [m.key for m in await handoffs.settle(2.0)] == [lead_id]  # no second handoff
        decisions = (await http.get(f"{routing}/v1/decisions/{lead_id}", headers=VIEWER)).json()
    assert stranger.status_code == 202 and "lead_id" not in stranger.json()
    keep = ("score", "fit", "engagement", "grade", "stage", "reasons", "qualification")
    assert {k: after[k] for k in keep} == {k: before[k] for k in keep}
    assert before["stage"] == "sql"
    snapshot = handoff.json()["data"]["lead"]
    assert (snapshot["contact"]["name"], snapshot["contact"]["company"]) == ("Vera Victim", "Real Co")
    assert len(decisions["handoffs"]) == 1
    properties = resubmitted.json()["data"]["properties"]
    assert resubmitted.key == lead_id and resubmitted.json()["data"]["kind"] == "resubmitted"
    assert properties["proposed_fields"] == ["company", "company_size", "message", "name", "title"]
