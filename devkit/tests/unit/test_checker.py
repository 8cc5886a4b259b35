"""The whole-system checker catches planted losses, duplicates and inversions, so it cannot pass vacuously."""

from __future__ import annotations

from dataclasses import replace

from leadrelay.devkit.testing.checker import Observations, Seen, check


def event(lead: str, kind: str, offset: int, **data: object) -> Seen:
    return Seen(
        partition=hash(lead) % 3, offset=offset, event_id=f"{kind}-{lead}-{offset}", lead_id=lead, data=data
    )


def clean_run(leads: list[str]) -> Observations:
    obs = Observations(accepted=set(leads))
    for i, lead in enumerate(leads):
        obs.captured.append(event(lead, "c", i, lead_id=lead))
        obs.scored.append(event(lead, "s", i, lead_id=lead, stage="sql"))
        obs.qualified.append(event(lead, "q", i, lead_id=lead, handoff_id=f"h-{lead}", attempt=1))
    return obs


def test_a_clean_run_passes_and_redeliveries_of_one_event_are_not_duplicates():
    obs = clean_run(["a", "b", "c"])
    obs.qualified.append(obs.qualified[0])  # the relay sent it again after a crash: same event id
    report = check(obs)
    assert report.ok, report.summary()
    assert (report.accepted, report.captured, report.scored, report.handed_off) == (3, 3, 3, 3)


def test_a_planted_loss_is_caught_at_the_stage_it_happened():
    obs = clean_run(["a", "b", "c"])
    obs.accepted.add("never-captured")
    obs.qualified = [e for e in obs.qualified if e.lead_id != "b"]
    report = check(obs)
    assert not report.ok
    assert report.lost["not_captured"] == ["never-captured"]
    assert report.lost["sql_not_handed_off"] == ["b"]


def test_a_planted_duplicate_handoff_and_breach_are_caught():
    obs = clean_run(["a", "b"])
    obs.qualified.append(event("a", "q", 99, lead_id="a", handoff_id="h-a-again", attempt=1))
    obs.scored.append(event("b", "s", 98, lead_id="b", stage="sql"))
    for offset in (5, 6):
        obs.breached.append(event("b", "b", offset, lead_id="b", handoff_id="h-b", attempt=1))
    report = check(obs)
    assert not report.ok
    assert report.duplicates["handoffs_per_attempt"] == ["a#1"]
    assert report.duplicates["scored_twice"] == ["b"]
    assert report.duplicates["breaches_per_handoff"] == ["b:h-b"]


def test_an_escalation_published_before_its_first_attempt_is_an_inversion():
    obs = clean_run(["a"])
    obs.qualified.insert(0, event("a", "q", -1, lead_id="a", handoff_id="h-a-2", attempt=2))
    report = check(obs)
    assert report.inversions == ["a qualified: attempt 1 after 2"]


def test_a_published_handoff_missing_from_routings_database_is_a_phantom():
    obs = clean_run(["a"])
    obs.routing_db_handoffs = {}
    assert check(obs).duplicates["published_not_in_routing_db"] == ["a:h-a"]


def handed_off_at(obs: Observations, lead: str, time: str) -> None:
    """Give a lead's first handoff its envelope time."""
    obs.qualified = [replace(e, time=time) if e.lead_id == lead else e for e in obs.qualified]


def test_a_breach_sooner_after_its_handoff_than_the_deadline_is_caught():
    obs = clean_run(["a", "b"])
    obs.first_contact_s = 60
    handed_off_at(obs, "a", "2026-12-04T10:00:00+00:00")
    handed_off_at(obs, "b", "2026-12-04T10:00:00+00:00")
    obs.breached.append(
        event("a", "b", 1, handoff_id="h-a", attempt=1, breached_at="2026-12-04T10:01:00.2+00:00")
    )
    obs.breached.append(
        event("b", "b", 2, handoff_id="h-b", attempt=1, breached_at="2026-12-04T10:00:12+00:00")
    )
    report = check(obs)
    assert not report.ok
    assert report.early_breaches == ["b:h-b breached 12.0 s after its handoff"]


def test_breach_times_are_not_checked_without_a_known_deadline():
    obs = clean_run(["a"])
    handed_off_at(obs, "a", "2026-12-04T10:00:00+00:00")
    obs.breached.append(
        event("a", "b", 1, handoff_id="h-a", attempt=1, breached_at="2026-12-04T10:00:01+00:00")
    )
    assert check(obs).ok


def test_a_handoff_that_never_reached_the_receiver_or_changed_its_webhook_id_is_caught():
    obs = clean_run(["a", "b", "c"])
    ids = [e.event_id for e in obs.qualified]
    # sent twice under one id after a crash: fine; c never arrived; b arrived under two ids
    obs.webhooks = [("msg_a", ids[0]), ("msg_a", ids[0]), ("msg_b", ids[1]), ("msg_b2", ids[1])]
    report = check(obs)
    assert not report.ok
    assert report.lost["handoff_not_delivered"] == [ids[2]]
    assert report.duplicates["webhook_id_changed"] == [ids[1]]
    assert report.delivered == 2
    obs.webhooks = [("msg_a", ids[0]), ("msg_a", ids[0]), ("msg_b", ids[1]), ("msg_c", ids[2])]
    assert check(obs).ok and check(obs).delivered == 3
