"""Disqualifiers, explicit requests for sales and framework checklists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadrelay.scoring.adapters.ruleset_file import load_ruleset
from leadrelay.scoring.domain.facts import Activity
from leadrelay.scoring.domain.rules import RuleSetError, parse_ruleset, score_lead
from leadrelay.scoring.settings import DEFAULT_RULESET

RULESET = load_ruleset(DEFAULT_RULESET)
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def lead(**overrides):
    base = {
        "source": "api",
        "completeness": "partial",
        "company": {},
        "contact": {"email": "ann@acme.example"},
        "consent": {"marketing": False, "purposes": ["contact"]},
        "question_asked": False,
    }
    base.update(overrides)
    return base


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"contact": {"email": "kim@acme.example", "title": "MBA student"}}, "student (title: student)"),
        ({"contact": {"email": "kim@gmail.com"}}, "free-mail address (B2B) (email domain: gmail.com)"),
        ({"contact": {"email": "spy@competitor.example"}}, "competitor (email domain: competitor.example)"),
        ({"consent": {"marketing": False, "purposes": []}}, "missing consent (no consent to contact)"),
        ({"disposable_email": True}, "disposable email address (disposable_email: True)"),
    ],
)
def test_disqualifiers_beat_any_score(overrides, reason):
    hot = lead(source="referral", completeness="complete", company={"size": "1000+"}, **overrides)
    result = score_lead(hot, RULESET, [Activity("demo_request", NOW)], NOW)
    assert result.stage == "disqualified"
    assert reason in result.disqualified


def test_a_demo_request_or_a_complete_form_with_a_question_is_sql_whatever_the_score():
    cold = lead(source="import")
    assert score_lead(cold, RULESET, [], NOW).stage == "nurture"
    asked = score_lead(cold, RULESET, [Activity("demo_request", NOW)], NOW)
    assert asked.stage == "sql" and asked.sales_request == "asked for sales: demo_request"
    assert asked.score < RULESET.stages["sql"]
    question = score_lead(
        lead(source="import", completeness="complete", question_asked=True), RULESET, [], NOW
    )
    assert question.stage == "sql"
    assert question.sales_request == "asked for sales: a complete form with a question"


def test_framework_checklists_show_what_is_met_and_the_evidence():
    result = score_lead(
        lead(
            contact={"email": "cfo@acme.example", "title": "CFO"},
            message="Our manual process is too slow; we have budget and need it live this quarter.",
            question_asked=True,
        ),
        RULESET,
        [],
        NOW,
    )
    bant = next(c for c in result.checklists if c.framework == "BANT")
    assert {i.name: i.met for i in bant.criteria} == {
        "budget": True,
        "authority": True,
        "need": True,
        "timeline": True,
    }
    assert next(i for i in bant.criteria if i.name == "authority").evidence == "title: cfo"
    assert {c.framework for c in result.checklists} == {"BANT", "CHAMP", "MEDDIC", "GPCTBA/C&I"}
    blank = score_lead(lead(), RULESET, [], NOW)
    assert all(c.met == 0 for c in blank.checklists)


def test_invalid_qualification_rules_are_reported_with_their_paths():
    document = RULESET.model_dump(mode="json")
    document["qualification"]["disqualify"][0] = {"reason": "x", "field": "contact.title"}
    document["qualification"]["frameworks"]["BANT"][0]["any"] = []
    document["stages"] = {"sql": 10, "mql": 20}
    with pytest.raises(RuleSetError) as info:
        parse_ruleset(document)
    fields = [p["field"] for p in info.value.problems]
    assert "qualification.disqualify.0" in fields
    assert "qualification.frameworks.BANT.0.any" in fields
    with pytest.raises(RuleSetError, match="sql needs at least the mql score"):
        parse_ruleset({**RULESET.model_dump(mode="json"), "stages": {"sql": 10, "mql": 20}})
