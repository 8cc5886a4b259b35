from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from leadrelay.routing.adapters.config_file import load_config
from leadrelay.routing.domain.conditions import compile_condition
from leadrelay.routing.domain.config import RoutingConfig
from leadrelay.routing.domain.decide import choose_queue, due_at, escalation_step
from leadrelay.routing.settings import SEED_CONFIG
from leadrelay.sla_policies import PolicySet

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


@pytest.mark.parametrize(
    ("path", "test", "value", "expected"),
    [
        ("score", {"gte": 60}, 75, True),
        ("score", {"gte": 60}, 59, False),
        ("score", {"gt": 10, "lt": 20}, 15, True),
        ("stage", {"in": ["sql", "mql"]}, "sql", True),
        ("stage", {"not_in": ["disqualified"]}, "sql", True),
        ("lead.contact.company", {"contains": "bank"}, "Acme Banking", True),
        ("lead.message", {"exists": False}, None, True),
        ("lead.message", {"exists": True}, None, False),
        ("lead.company.country", ["DE", "AT"], "CH", False),
        ("lead.company.country", "DE", "DE", True),
        ("lead.company.country", {"ne": "DE"}, "US", True),
        ("lead.company.employees", {"gte": 1000}, 850, False),
        ("lead.company.employees", {"gte": 1000}, None, False),
    ],
)
def test_conditions_test_fields_score_grade_and_stage(path, test, value, expected):
    assert all(t.holds(value) for t in compile_condition(path, test)) is expected


def test_due_at_is_the_sla_policys_deadline_for_the_grade_letter_and_none_without_policies():
    now = datetime(2026, 11, 22, 10, tzinfo=UTC)
    queue = CONFIG.queue("enterprise")
    policies = PolicySet.model_validate(
        {"version": "p", "policies": [{"name": "enterprise-first-contact", "deadlines": {"A": 5, "B": 60}}]}
    )
    assert due_at(policies, queue, "A1", now) == now + timedelta(minutes=5)
    assert due_at(policies, queue, "B3", now) == now + timedelta(minutes=60)
    assert due_at(None, queue, "A1", now) is None


def test_a_stored_configuration_with_deadlines_of_its_own_still_loads_without_them():
    document = CONFIG.model_dump(mode="json")
    document["queues"][0]["sla_minutes"] = {"A": 5}
    assert RoutingConfig.model_validate(document) == CONFIG


def test_the_escalation_ladder_is_next_rep_then_manager_then_pool():
    assert [escalation_step(a) for a in (2, 3, 4, 5)] == ["next_rep", "manager", "pool", "pool"]


def test_configuration_errors_name_what_is_wrong():
    document = CONFIG.model_dump(mode="json")
    document["queues"][0]["fallback"] = "smb"
    document["queues"][1]["fallback"] = "enterprise"
    with pytest.raises(ValidationError, match="fallbacks form a cycle"):
        RoutingConfig.model_validate(document)
    document = CONFIG.model_dump(mode="json")
    document["reps"][0]["timezone"] = "Mars/Olympus"
    document["reps"][1]["working_hours"] = {"mon": ["9-5"]}
    document["reps"][2]["holidays"] = "XX"
    with pytest.raises(ValidationError) as info:
        RoutingConfig.model_validate(document)
    locations = {".".join(map(str, e["loc"])) for e in info.value.errors()}
    assert {"reps.0.timezone", "reps.1.working_hours", "reps.2.holidays"} <= locations
