"""Whom a handoff's emails go to, which links they carry, and what an SMTP reply means."""

from __future__ import annotations

from leadrelay.delivery.domain.notifications import actions_for, recipients
from leadrelay.delivery.domain.retry import Verdict, mail_verdict_of
from leadrelay.delivery.domain.subscriptions import HandoffFacts, Person
from leadrelay.events.handoff import HandoffAtRisk, HandoffBreached, HandoffRejected, LeadQualified

REP = Person(id="rep-ada", name="Ada", email="ada@sales.example")
BOSS = Person(id="rep-mary", name="Mary", email="mary@sales.example")


def facts(owner: Person | None = REP, manager: Person | None = BOSS) -> HandoffFacts:
    return HandoffFacts(queue="enterprise", owner_id=owner.id if owner else "x", owner=owner, manager=manager)


def test_the_rep_hears_of_a_handoff_and_the_manager_too_when_it_is_late():
    assert [(r.person.id, r.role) for r in recipients(LeadQualified.EVENT_TYPE, facts())] == [
        ("rep-ada", "owner")
    ]
    for late in (HandoffAtRisk.EVENT_TYPE, HandoffBreached.EVENT_TYPE):
        assert [r.role for r in recipients(late, facts())] == ["owner", "manager"]
    assert recipients(HandoffRejected.EVENT_TYPE, facts()) == []


def test_nobody_without_an_address_no_pool_and_each_address_once():
    no_address = Person(id="rep-x", name="X")
    assert recipients(HandoffAtRisk.EVENT_TYPE, facts(no_address, None)) == []
    pool = Person(id="pool:enterprise", name="pool", email="pool@sales.example")
    assert recipients(LeadQualified.EVENT_TYPE, facts(pool)) == []
    manages_self = Person(id="rep-mary", name="Mary", email="MARY@sales.example")
    assert [r.role for r in recipients(HandoffBreached.EVENT_TYPE, facts(manages_self))] == ["owner"]


def test_only_the_owner_of_an_open_handoff_gets_links():
    assert actions_for(LeadQualified.EVENT_TYPE, "owner") == ("accept", "contacted", "reject")
    assert actions_for(HandoffAtRisk.EVENT_TYPE, "owner")
    assert actions_for(HandoffBreached.EVENT_TYPE, "owner") == ()
    assert actions_for(LeadQualified.EVENT_TYPE, "manager") == ()
    assert actions_for(LeadQualified.EVENT_TYPE, "subscriber") == ()


def test_an_smtp_refusal_for_good_is_not_retried_and_a_temporary_one_is():
    assert mail_verdict_of(250) is Verdict.DELIVERED
    assert mail_verdict_of(550) is Verdict.GONE
    assert mail_verdict_of(451) is Verdict.RETRY
    assert mail_verdict_of(None) is Verdict.RETRY


def test_email_settings_name_what_is_missing():
    import pytest
    from pydantic import ValidationError

    from leadrelay.delivery.settings import DeliverySettings

    with pytest.raises(ValidationError, match="LEADRELAY_DELIVERY_LINK_SECRET"):
        DeliverySettings(smtp_host="mail.example", sales_key="k" * 32)
    with pytest.raises(ValidationError, match="LEADRELAY_DELIVERY_SALES_KEY"):
        DeliverySettings(smtp_host="mail.example", link_secret="s" * 32)
    with pytest.raises(ValidationError, match="at least 32"):
        DeliverySettings(smtp_host="mail.example", link_secret="short", sales_key="k" * 32)
    assert DeliverySettings(smtp_host="mail.example", link_secret="s" * 32, sales_key="k" * 32).email_enabled


def test_a_broken_template_stops_the_service_naming_the_file(tmp_path):
    from datetime import UTC, datetime, timedelta

    import pytest

    from leadrelay.delivery.emails import EmailComposer, TemplateProblem

    (tmp_path / "qualified.txt").write_text("Hello {{ recipient.nmae }}")
    composer = EmailComposer("http://x", "s" * 32, timedelta(hours=1), tmp_path)
    with pytest.raises(TemplateProblem, match="qualified"):
        composer.check(datetime.now(UTC))
    (tmp_path / "qualified.txt").write_text("Hi {{ recipient.name }}, yours: {{ lead.name }}")
    EmailComposer("http://x", "s" * 32, timedelta(hours=1), tmp_path).check(datetime.now(UTC))
