from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from leadrelay.routing.adapters.config_file import load_config
from leadrelay.routing.domain.config import Rep
from leadrelay.routing.domain.decide import choose_queue, due_at, pick_round_robin
from leadrelay.routing.settings import SEED_CONFIG

CONFIG = load_config(SEED_CONFIG)


def test_first_matching_rule_wins_and_every_check_is_explained():
    choice = choose_queue({"lead": {"company": {"size": "1000+"}}}, CONFIG)
    assert choice.queue is not None and choice.queue.name == "enterprise"
    assert choice.rule == "large-companies"
    assert [c.matched for c in choice.checks] == [True]


def test_non_matching_rule_says_why():
    choice = choose_queue({"lead": {"company": {"size": "1-10"}}}, CONFIG)
    assert choice.queue is not None and choice.queue.name == "smb"
    assert choice.checks[0].matched is False
    assert "lead.company.size='1-10'" in choice.checks[0].why


def test_due_at_uses_the_grade_letter():
    now = datetime(2026, 11, 22, 10, tzinfo=UTC)
    queue = CONFIG.queue("enterprise")
    assert due_at(queue, "A1", now) == now + timedelta(minutes=5)
    assert due_at(queue, "B3", now) == now + timedelta(minutes=60)


@given(st.integers(min_value=1, max_value=7), st.integers(min_value=0, max_value=200), st.integers(0, 50))
def test_round_robin_never_differs_by_more_than_one(rep_count, leads, start):
    reps = [Rep(id=f"r{i}", name=f"R{i}", queue="q") for i in range(rep_count)]
    counts = dict.fromkeys((r.id for r in reps), 0)
    cursor = start
    for _ in range(leads):
        rep, cursor = pick_round_robin(reps, cursor)
        counts[rep.id] += 1
    assert max(counts.values()) - min(counts.values()) <= 1
