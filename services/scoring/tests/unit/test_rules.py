from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadrelay.scoring.adapters.ruleset_file import load_ruleset
from leadrelay.scoring.domain.rules import Activity, RuleSetError, parse_ruleset, score_lead
from leadrelay.scoring.settings import DEFAULT_RULESET

RULESET = load_ruleset(DEFAULT_RULESET)


def facts(**overrides):
    base = {
        "source": "api",
        "completeness": "partial",
        "company": {},
        "contact": {"email": "a@example.com"},
        "consent": {"marketing": False, "purposes": ["contact"]},
    }
    base.update(overrides)
    return base


def test_hot_referral_from_a_large_company_is_sql_grade_a():
    result = score_lead(
        facts(
            source="referral",
            completeness="complete",
            company={"size": "1000+"},
            contact={"title": "VP of Sales"},
            message="Can we get a demo next week?",
            consent={"marketing": True, "purposes": ["contact", "marketing"]},
        ),
        RULESET,
    )
    assert result.stage == "sql"
    assert result.grade == "A1"
    assert result.score == result.fit + result.engagement
    assert {c.text for c in result.contributions} >= {
        "source: referral",
        "title: vp",
        "question asked: given",
    }


def test_bare_api_lead_is_nurture_grade_d():
    result = score_lead(facts(), RULESET)
    assert (result.stage, result.grade, result.score) == ("nurture", "D4", 10)


def test_negative_keywords_lower_the_fit_but_never_below_zero():
    result = score_lead(facts(source="import", contact={"title": "Student"}), RULESET)
    assert result.fit == 0
    assert any(c.points < 0 for c in result.contributions)


def test_groups_are_capped():
    many = parse_ruleset(
        {
            **RULESET.model_dump(),
            "caps": {"fit": 30, "engagement": 15},
        }
    )
    result = score_lead(facts(source="referral", completeness="complete", company={"size": "1000+"}), many)
    assert result.fit == 30


def test_mid_score_is_mql():
    result = score_lead(facts(source="web_form", completeness="complete", company={"size": "11-50"}), RULESET)
    assert result.score == 40
    assert result.stage == "mql"


def test_invalid_ruleset_reports_every_error_with_its_path():
    with pytest.raises(RuleSetError) as info:
        parse_ruleset(
            {
                "version": "",
                "caps": {"fit": 10},
                "stages": {"sql": 1, "mql": 1},
                "grades": {"fit": {}, "engagement": {}},
                "rules": [
                    {"factor": "x", "group": "looks", "field": "source", "points": {"a": 1}, "present": 3}
                ],
            }
        )
    errors = info.value.errors
    assert any(e.startswith("version:") for e in errors)
    assert any(e.startswith("rules.0.group:") for e in errors)


def test_a_misspelt_field_is_refused_naming_the_closest_one_and_free_form_maps_take_any_key():
    document = RULESET.model_dump()
    document["rules"] = [
        *document["rules"],
        {"factor": "size", "group": "fit", "field": "company.sise", "points": {"1000+": 5}},
        {"factor": "campaign", "group": "fit", "field": "utm.campaign", "points": {"spring": 5}},
    ]
    document["qualification"] = {"disqualify": [{"reason": "x", "field": "contact.titel", "keywords": ["x"]}]}
    with pytest.raises(RuleSetError) as info:
        parse_ruleset(document)
    errors = info.value.errors
    assert any(e.startswith("rules.") and "did you mean 'company.size'" in e for e in errors), errors
    assert any("did you mean 'contact.title'" in e for e in errors), errors
    assert not any("utm.campaign" in e for e in errors)


NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def test_activity_adds_decayed_engagement_and_can_promote_an_mql():
    mql = facts(source="web_form", completeness="complete", company={"size": "11-50"})
    before = score_lead(mql, RULESET, [], NOW)
    after = score_lead(mql, RULESET, [Activity("demo_request", NOW), Activity("webinar", NOW)], NOW)
    assert before.stage == "mql" and after.stage == "sql"
    assert any(c.text == "recent activity: demo_request, webinar" for c in after.contributions)
    two_weeks_later = score_lead(mql, RULESET, [Activity("demo_request", NOW)], NOW + timedelta(days=14))
    assert [c.points for c in two_weeks_later.contributions if c.factor == "recent activity"] == [10.0]


@given(
    st.lists(
        st.tuples(st.sampled_from(["demo_request", "webinar", "page_view", "unknown"]), st.integers(0, 60)),
        max_size=20,
    ),
    st.integers(0, 90),
    st.integers(0, 90),
)
def test_decay_never_increases_a_score_and_caps_hold(events, later_a, later_b):
    activities = [Activity(kind, NOW - timedelta(days=age)) for kind, age in events]
    earlier, later = sorted((later_a, later_b))
    lead = facts(source="referral", completeness="complete", company={"size": "1000+"})
    first = score_lead(lead, RULESET, activities, NOW + timedelta(days=earlier))
    second = score_lead(lead, RULESET, activities, NOW + timedelta(days=later))
    assert second.score <= first.score
    assert second.engagement <= first.engagement <= RULESET.caps["engagement"]
    assert first.fit <= RULESET.caps["fit"] and 0 <= second.score <= 100


def test_a_head_count_earns_the_points_of_the_highest_threshold_it_reaches():
    from leadrelay.scoring.domain.rules import Rule, apply_rule

    rule = Rule.model_validate(
        {
            "factor": "head count",
            "group": "fit",
            "field": "company.employees",
            "at_least": {"50": 10, 1000: 25},
        }
    )
    assert apply_rule(rule, {"company": {"employees": 850, "size": "201-1000"}}).points == 10
    assert apply_rule(rule, {"company": {"employees": 1000}}).text == "head count: 1000"
    assert apply_rule(rule, {"company": {"employees": 12}}) is None
    assert apply_rule(rule, {"company": {"size": "1000+"}}) is None  # a bucket is not a count
    with pytest.raises(ValueError, match="exactly one of points, keywords, at_least or present"):
        Rule.model_validate(
            {"factor": "x", "group": "fit", "field": "source", "at_least": {1: 1}, "present": 1}
        )
