"""Rule validation refuses what evaluation cannot do, and evaluation does everything validation accepts."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from leadrelay.routing.domain.conditions import EVALUATE, ConditionError, compile_condition
from leadrelay.routing.domain.config import Rule
from leadrelay.routing.domain.decide import choose_queue
from leadrelay.routing.domain.fields import rule_fields

FIELDS = rule_fields()

# The operators as documented (README, Rule's docstring): which kinds of field each one applies to.
DOCUMENTED = {
    "eq": {"number", "text", "boolean"},
    "ne": {"number", "text", "boolean"},
    "in": {"number", "text"},
    "not_in": {"number", "text"},
    "gte": {"number"},
    "gt": {"number"},
    "lte": {"number"},
    "lt": {"number"},
    "contains": {"text"},
    "exists": {"number", "text", "boolean", "time", "list", "mapping"},
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10_000, 10_000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8),
    st.sampled_from(["sql", "mql", "US", "1000+", "51-200"]),
)
operands = st.one_of(
    scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=3), scalars, max_size=1)
)
operators = st.sampled_from([*DOCUMENTED, "equals", "between", "regex", "IN", ""])
paths = st.one_of(st.sampled_from(list(FIELDS)), st.sampled_from(["lead.company.sizee", "country", "lead.x"]))


def values_of(kind: str):
    """What a scored lead can carry in a field of this kind."""
    return {
        "number": st.one_of(st.none(), st.integers(0, 100_000), st.floats(0, 1)),
        "text": st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["sql", "US", "1000+"])),
        "boolean": st.one_of(st.none(), st.booleans()),
        "time": st.one_of(st.none(), st.just("2026-12-07T10:00:00+00:00")),
        "list": st.one_of(st.none(), st.lists(st.text(max_size=3), max_size=2)),
        "mapping": st.one_of(st.none(), st.just({"a": "b"})),
    }[kind]


def documented_valid(path: str, op: str, operand) -> bool:
    """The documentation's reading of a condition: known field, operator for its kind, operand of its type."""
    if path not in FIELDS or op not in DOCUMENTED:
        return False
    field = FIELDS[path]
    if field.kind not in DOCUMENTED[op]:
        return False
    if op == "exists":
        return isinstance(operand, bool)
    items = operand if op in ("in", "not_in") else [operand]
    if op in ("in", "not_in") and (not isinstance(operand, list) or not operand):
        return False

    def fits(item) -> bool:
        if field.kind == "number":
            return isinstance(item, int | float) and not isinstance(item, bool)
        if field.kind == "boolean":
            return isinstance(item, bool)
        return isinstance(item, str) and (not field.choices or item in field.choices)

    return all(fits(item) for item in items)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=paths, op=operators, operand=operands, data=st.data())
def test_validation_and_evaluation_agree_on_every_operator_and_field(path, op, operand, data):
    try:
        tests = compile_condition(path, {op: operand})
    except ConditionError:
        assert not documented_valid(path, op, operand)
        return
    assert documented_valid(path, op, operand)
    value = data.draw(values_of(FIELDS[path].kind))
    for test in tests:
        assert test.op in EVALUATE  # evaluation has this operator: it is never skipped
        assert isinstance(test.holds(value), bool)


def test_documentation_and_evaluation_know_the_same_operators():
    assert set(EVALUATE) == set(DOCUMENTED)
    assert all(EVALUATE[op][0] == DOCUMENTED[op] for op in DOCUMENTED)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ({"lead.company.country": {"equals": "ZZ"}}, "unknown operator 'equals'"),
        ({"lead.company.size": {"gte": 1000}}, "'lead.company.size' is text: 'gte' applies to number fields"),
        ({"lead.company.country": {"in": "US"}}, "'in' needs a non-empty list, not 'US'"),
        (
            {"lead.company.sizee": "1000+"},
            "'lead.company.sizee' is not a lead field; did you mean 'lead.company.size'?",
        ),
        ({"lead.company.country": False}, "'eq' needs text (quote it in YAML), not False"),
        ({"stage": {"in": ["sqll"]}}, "'sqll' is not one of nurture, mql, sql, disqualified"),
        ({"score": {"gte": "50"}}, "'score' is a number: 'gte' needs a number, not '50'"),
        ({"score": {}}, "no operator"),
    ],
)
def test_what_cannot_be_evaluated_is_refused_with_the_rules_path(when, message):
    with pytest.raises(ValidationError) as info:
        Rule.model_validate({"name": "r", "when": when, "queue": "q"})
    [error] = info.value.errors()
    assert error["loc"] == ("when",) and message in error["msg"]


def test_a_typo_no_longer_sends_every_lead_through_the_rule():
    from leadrelay.routing.adapters.config_file import load_config
    from leadrelay.routing.settings import SEED_CONFIG

    config = load_config(SEED_CONFIG)
    document = config.model_dump(mode="json")
    document["rules"].insert(
        0, {"name": "zz", "when": {"lead.company.country": {"eq": "ZZ"}}, "queue": "smb"}
    )
    draft = type(config).model_validate(document)
    choice = choose_queue({"lead": {"company": {"country": "US", "size": "1000+"}}}, draft)
    assert choice.rule == "large-companies"
