"""A partial (abandoned) submission never replaces a lead's complete facts."""

from __future__ import annotations

from leadrelay.scoring.domain.facts import merge_facts

COMPLETE = {
    "lead_id": "l1",
    "completeness": "complete",
    "contact": {"email": "ada@example.com", "name": "Ada", "company": "Acme", "phone": "+1", "title": "CTO"},
    "company": {"size": "1000+", "industry": "software", "country": "GB"},
    "message": "Can we get a demo?",
    "question_asked": True,
    "consent": {"marketing": True},
}


def test_a_partial_submission_keeps_the_complete_facts_and_takes_the_new_consent():
    partial = {
        "lead_id": "l1",
        "completeness": "partial",
        "contact": {"email": "ada@example.com", "name": None, "company": "Other"},
        "company": {"size": None},
        "message": None,
        "question_asked": False,
        "consent": {"marketing": False},
    }
    merged = merge_facts(COMPLETE, partial)
    assert merged["completeness"] == "complete" and merged["question_asked"] is True
    assert merged["contact"]["name"] == "Ada" and merged["contact"]["company"] == "Acme"
    assert merged["company"]["size"] == "1000+" and merged["message"] == "Can we get a demo?"
    assert merged["consent"] == {"marketing": False}


def test_a_complete_capture_is_taken_as_capture_merged_it():
    again = {**COMPLETE, "contact": {**COMPLETE["contact"], "title": "CEO"}}
    assert merge_facts(COMPLETE, again) == again
    assert merge_facts(None, again) == again
