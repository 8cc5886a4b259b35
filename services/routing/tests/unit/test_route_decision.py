"""The routing decision as a pure function of the lead, the configuration, the loads and the queues' states:
no ledger, no lock, the same answer for the same situation; refusals (a cap filled meanwhile) are inputs."""

from __future__ import annotations

from datetime import UTC, datetime

from leadrelay.routing.domain.config import RoutingConfig
from leadrelay.routing.domain.route import Match, Situation, decide_escalation, decide_route
from leadrelay.routing.domain.strategies import QueueState, RepLoad

NOW = datetime(2026, 11, 25, 15, tzinfo=UTC)  # a Wednesday afternoon
CONFIG = RoutingConfig.model_validate(
    {
        "version": "t",
        "queues": [
            {
                "name": "a",
                "strategy": "round_robin",
                "sla_policy": "p",
                "manager": "boss",
            },
            {"name": "m", "sla_policy": "p"},
        ],
        "reps": [
            {"id": "ada", "name": "Ada", "queues": ["a"], "concurrent_cap": 2},
            {"id": "bo", "name": "Bo", "queues": ["a"]},
            {"id": "boss", "name": "Boss", "queues": ["m"]},
        ],
        "rules": [{"name": "big", "when": {"score": {"gte": 50}}, "queue": "a"}],
    }
)
LEAD = {"score": 80, "grade": "A1", "stage": "sql", "lead": {"company": {}}}


def test_the_same_situation_gives_the_same_decision_and_the_queues_next_turn():
    situation = Situation(loads={}, states={"a": QueueState(cursor=0)})
    first, again = decide_route(LEAD, CONFIG, NOW, situation), decide_route(LEAD, CONFIG, NOW, situation)
    assert first.owner is not None and first.owner == again.owner and first.rule == "big"
    assert first.queue_state is not None and first.queue_state != QueueState(cursor=0)
    assert situation.states["a"] == QueueState(cursor=0)  # nothing read is changed


def test_a_refused_rep_is_passed_over_and_the_refusal_is_in_the_trace():
    chosen = decide_route(LEAD, CONFIG, NOW, Situation(loads={}, states={})).owner
    assert chosen is not None
    other = decide_route(LEAD, CONFIG, NOW, Situation({}, {}, refused={chosen.id: "at its cap"}))
    assert other.owner is not None and other.owner.id != chosen.id
    [queue] = other.trace["queues"]
    assert {c["rep"]: c["why"] for c in queue["candidates"]}[chosen.id] == "at its cap"


def test_a_matched_owner_at_cap_leaves_the_lead_to_the_rules():
    match = Match("account_owner", "ada", "account Acme")
    free = decide_route(LEAD, CONFIG, NOW, Situation({}, {}), match)
    full = decide_route(LEAD, CONFIG, NOW, Situation({"ada": RepLoad(open=2)}, {}), match)
    assert free.owner.id == "ada" and free.strategy == "account_owner" and free.queue_state is None
    assert full.owner.id == "bo" and full.trace["matching"]["used"] is False


def test_an_escalation_goes_to_a_rep_who_never_had_the_lead_then_the_manager_then_the_pool():
    situation = Situation({}, {})
    assert decide_escalation("a", 2, ["ada"], CONFIG, NOW, situation).owner.id == "bo"
    manager = decide_escalation("a", 2, ["ada", "bo"], CONFIG, NOW, situation)
    assert manager.owner.id == "boss" and manager.confirm is False
    assert decide_escalation("a", 4, ["ada", "bo", "boss"], CONFIG, NOW, situation).pooled
