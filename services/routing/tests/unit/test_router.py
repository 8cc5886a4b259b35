"""The whole decision with loads in memory: every lead gets an owner who may take it, or a pool."""

import asyncio
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from leadrelay.routing.domain.config import RoutingConfig
from leadrelay.routing.domain.decide import candidate
from leadrelay.routing.domain.strategies import RepLoad
from leadrelay.routing.router import Match, MemoryLedger, escalate, route

NOW = datetime(2026, 11, 25, 15, tzinfo=UTC)  # a Wednesday


def config(reps: list[dict]) -> RoutingConfig:
    return RoutingConfig.model_validate(
        {
            "version": "t",
            "queues": [
                {
                    "name": "a",
                    "strategy": "load_balanced",
                    "sla_policy": "p",
                    "fallback": "b",
                },
                {
                    "name": "b",
                    "strategy": "round_robin",
                    "sla_policy": "p",
                    "manager": "boss",
                },
                {"name": "m", "sla_policy": "p"},
            ],
            "reps": [*reps, {"id": "boss", "name": "Boss", "queues": ["m"]}],
            "rules": [{"name": "big", "when": {"score": {"gte": 50}}, "queue": "a"}],
        }
    )


rep_strategy = st.fixed_dictionaries(
    {
        "queues": st.sampled_from([["a"], ["b"], ["a", "b"]]),
        "active": st.booleans(),
        "concurrent_cap": st.integers(0, 3),
        "timezone": st.sampled_from(["UTC", "Asia/Tokyo", "America/Los_Angeles"]),
        "working_hours": st.sampled_from([None, {"wed": ["09:00-17:00"]}, {"tue": ["22:00-06:00"]}]),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(rep_strategy, min_size=0, max_size=6), st.lists(st.integers(0, 100), min_size=1, max_size=25))
def test_every_lead_gets_an_eligible_owner_or_a_pool_and_no_cap_is_exceeded(reps, scores):
    team = config([{"id": f"r{i}", "name": f"R{i}", **r} for i, r in enumerate(reps)])
    ledger = MemoryLedger()

    async def run() -> None:
        for score in scores:
            decision = await route({"score": score, "lead": {}}, team, NOW, ledger)
            if decision.owner is None:
                assert decision.strategy == "pool"
                continue
            judged = candidate(decision.owner, NOW, ledger.load_of.get(decision.owner.id, RepLoad()))
            assert judged.eligible, judged.why
            ledger.assigned(decision.owner.id)

    asyncio.run(run())
    for rep in team.reps:
        if rep.concurrent_cap is not None:
            assert ledger.load_of.get(rep.id, RepLoad()).open <= rep.concurrent_cap


def test_an_available_account_owner_wins_and_an_absent_one_does_not():
    team = config(
        [
            {"id": "owner", "name": "O", "queues": ["b"]},
            {"id": "other", "name": "X", "queues": ["a"]},
        ]
    )
    match = Match("account_owner", "owner", "account Acme")
    decision = asyncio.run(route({"score": 90}, team, NOW, MemoryLedger(), match))
    assert decision.owner.id == "owner" and decision.strategy == "account_owner"
    assert decision.rule == "match: account_owner (account Acme)"
    previous = Match("previous_owner", "owner", "an earlier lead of the same person")
    decision = asyncio.run(route({"score": 90}, team, NOW, MemoryLedger(), previous))
    assert decision.rule == "match: previous_owner (an earlier lead of the same person)"
    away = config(
        [
            {
                "id": "owner",
                "name": "O",
                "queues": ["b"],
                "out_of_office": [
                    {
                        "start": (NOW - timedelta(hours=1)).isoformat(),
                        "end": (NOW + timedelta(hours=1)).isoformat(),
                    }
                ],
            },
            {"id": "other", "name": "X", "queues": ["a"]},
        ]
    )
    decision = asyncio.run(route({"score": 90}, away, NOW, MemoryLedger(), match))
    assert decision.owner.id == "other" and decision.trace["matching"]["used"] is False
    assert decision.rule != "match: account_owner (account Acme)"  # the rule that found the queue decided


def test_escalation_never_returns_to_a_previous_owner():
    team = config([{"id": "r1", "name": "1", "queues": ["b"]}, {"id": "r2", "name": "2", "queues": ["b"]}])
    second = asyncio.run(escalate("b", 2, ["r1"], team, NOW, MemoryLedger()))
    assert second.owner.id == "r2"
    lonely = config([{"id": "r1", "name": "1", "queues": ["b"]}])
    straight_to_manager = asyncio.run(escalate("b", 2, ["r1"], lonely, NOW, MemoryLedger()))
    assert straight_to_manager.owner.id == "boss" and straight_to_manager.strategy == "escalation: manager"
    pooled = asyncio.run(escalate("b", 3, ["r1", "boss"], lonely, NOW, MemoryLedger()))
    assert pooled.owner is None and pooled.strategy == "escalation: pool"
