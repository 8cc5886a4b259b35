"""Strategies: strict and weighted round robin, load balanced, skills; fairness and caps as properties."""

from collections import Counter
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from leadrelay.routing.domain.config import Rep
from leadrelay.routing.domain.decide import candidates
from leadrelay.routing.domain.strategies import Candidate, QueueState, RepLoad, pick

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)


def reps(n: int, **fields) -> list[Rep]:
    return [Rep.model_validate({"id": f"r{i}", "name": f"R{i}", "queues": ["q"], **fields}) for i in range(n)]


def judge(
    team: list[Rep], eligible: set[str] | None = None, loads: dict[str, int] | None = None
) -> list[Candidate]:
    return [
        Candidate(r, eligible is None or r.id in eligible, "", RepLoad(open=(loads or {}).get(r.id, 0)))
        for r in team
    ]


@given(st.integers(1, 8), st.integers(0, 200), st.integers(0, 50), st.data())
def test_strict_round_robin_counts_differ_by_at_most_one(size, leads, cursor, data):
    team = reps(size)
    eligible = data.draw(st.sets(st.sampled_from([r.id for r in team]), min_size=1))
    state, counts = QueueState(cursor=cursor), Counter()
    for _ in range(leads):
        choice = pick("round_robin", judge(team, eligible), state, [])
        assert choice.rep is not None and choice.rep.id in eligible
        counts[choice.rep.id] += 1
        state = choice.state
    shares = [counts[r] for r in eligible]
    assert max(shares) - min(shares) <= 1


@given(st.lists(st.integers(1, 5), min_size=1, max_size=6), st.integers(1, 30))
def test_weighted_round_robin_shares_follow_the_weights(weights, rounds):
    team = [Rep(id=f"r{i}", name="R", queues=["q"], weight=w) for i, w in enumerate(weights)]
    state, counts = QueueState(), Counter()
    for _ in range(rounds * sum(weights)):
        choice = pick("weighted_round_robin", judge(team), state, [])
        counts[choice.rep.id] += 1
        state = choice.state
    assert [counts[r.id] for r in team] == [rounds * w for w in weights]


def test_absence_earns_no_credit_under_weighted_round_robin():
    team = reps(3)
    state, counts = QueueState(), Counter()
    for _ in range(30):  # r2 is away
        choice = pick("weighted_round_robin", judge(team, {"r0", "r1"}), state, [])
        state = choice.state
    for _ in range(9):  # r2 is back: it gets its third, not the backlog
        choice = pick("weighted_round_robin", judge(team), state, [])
        counts[choice.rep.id] += 1
        state = choice.state
    assert counts == Counter({"r0": 3, "r1": 3, "r2": 3})


def test_load_balanced_picks_the_fewest_open_and_a_returning_rep_is_not_flooded():
    team = reps(3)
    choice = pick("load_balanced", judge(team, loads={"r0": 4, "r1": 2, "r2": 5}), QueueState(), [])
    assert choice.rep.id == "r1" and choice.why == "fewest open handoffs (2)"
    back = [
        Candidate(r, True, "", RepLoad(open={"r0": 5, "r1": 5, "r2": 0}[r.id]), returning=r.id == "r2")
        for r in team
    ]
    given_out = Counter()
    state = QueueState()
    loads = {"r0": 5, "r1": 5, "r2": 0}
    for _ in range(6):
        back = [Candidate(c.rep, True, "", RepLoad(open=loads[c.rep.id]), c.returning) for c in back]
        choice = pick("load_balanced", back, state, [])
        loads[choice.rep.id] += 1
        given_out[choice.rep.id] += 1
        state = choice.state
    assert given_out["r2"] <= 3  # counted at the median (5): it shares, it does not take all six


def test_skills_match_needs_every_skill_asked_for():
    team = [
        Rep(id="en", name="EN", queues=["q"], skills=["en"]),
        Rep(id="de", name="DE", queues=["q"], skills=["de", "en"]),
    ]
    assert pick("skills_match", judge(team), QueueState(), ["de"]).rep.id == "de"
    nobody = pick("skills_match", judge(team, {"en"}), QueueState(), ["de"])
    assert nobody.rep is None and nobody.why == "no rep with skills de can take a lead now"


@settings(max_examples=50)
@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=6),
    st.integers(0, 40),
    st.sampled_from(["round_robin", "weighted_round_robin", "load_balanced", "skills_match"]),
)
def test_no_rep_exceeds_a_cap_and_every_lead_gets_an_owner_or_none_is_eligible(caps, leads, strategy):
    team = [Rep(id=f"r{i}", name="R", queues=["q"], concurrent_cap=c) for i, c in enumerate(caps)]
    open_now = Counter()
    state = QueueState()
    for _ in range(leads):
        judged = candidates(
            team,
            NOW,
            {r.id: RepLoad(open=open_now[r.id]) for r in team},
        )
        choice = pick(strategy, judged, state, [])
        room = any(open_now[r.id] < r.concurrent_cap for r in team)
        if choice.rep is None:
            assert not room  # nobody left out while someone had room: the caller falls back or pools
        else:
            open_now[choice.rep.id] += 1
            state = choice.state
    assert all(open_now[r.id] <= r.concurrent_cap for r in team)
