"""A repeat submission fills gaps and proposes changes; only an authenticated update replaces."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from leadrelay.capture.domain.lead import NewLead
from leadrelay.capture.domain.merge import PERSON_FIELDS, StoredLead, merge_submission

ADA = NewLead(
    email="ada@example.com",
    source="referral",
    name="Ada Lovelace",
    company="Analytical Engines",
    company_size="201-1000",
    message=None,
    consent_marketing=True,
    consent_purposes=("contact", "marketing"),
)


def test_a_stranger_changes_nothing_known_and_its_changes_are_proposed():
    stranger = NewLead(
        email=ADA.email,
        source="web_form",
        name="Mallory",
        company="Evil Corp",
        company_size="1-10",
        phone="+4930123456",
        message="please call me",
    )
    merge = merge_submission(StoredLead(ADA), stranger, may_update=False)
    assert (merge.lead.name, merge.lead.company, merge.lead.company_size) == (
        "Ada Lovelace",
        "Analytical Engines",
        "201-1000",
    )
    assert merge.lead.phone == "+4930123456" and merge.lead.message == "please call me"  # gaps filled
    assert merge.proposed == {"name": "Mallory", "company": "Evil Corp", "company_size": "1-10"}
    assert merge.lead.source == "referral" and merge.updated == ()


def test_an_authenticated_update_replaces_and_says_what_it_replaced():
    crm = NewLead(email=ADA.email, source="api", company="Babbage & Co", name=None)
    merge = merge_submission(StoredLead(ADA), crm, may_update=True)
    assert merge.lead.company == "Babbage & Co" and merge.lead.name == "Ada Lovelace"
    assert merge.updated == ("company",) and merge.proposed == {}


def test_an_opt_out_is_undone_only_by_a_confirmed_channel():
    opted_out = StoredLead(
        NewLead(
            email=ADA.email, source="api", consent_marketing=False, consent_purposes=("contact", "marketing")
        ),
        marketing_opted_out=True,
    )
    again = NewLead(
        email=ADA.email, source="web_form", consent_marketing=True, consent_purposes=("contact", "marketing")
    )
    public = merge_submission(opted_out, again, may_update=False)
    confirmed = merge_submission(opted_out, again, may_update=True)
    assert public.lead.consent_marketing is False and "marketing" not in public.lead.consent_purposes
    assert not public.consent_regranted
    assert confirmed.lead.consent_marketing is True and confirmed.consent_regranted


def test_consent_never_withdrawn_can_be_given_by_a_later_form():
    stored = StoredLead(NewLead(email=ADA.email, source="api"))
    later = NewLead(
        email=ADA.email, source="web_form", consent_marketing=True, consent_purposes=("contact", "marketing")
    )
    assert merge_submission(stored, later, may_update=False).lead.consent_marketing is True


texts = st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))
leads = st.builds(
    NewLead, email=st.just(ADA.email), source=st.just("api"), **{name: texts for name in PERSON_FIELDS}
)


@given(stored=leads, submitted=leads)
def test_a_public_submission_never_changes_a_known_value(stored, submitted):
    merged = merge_submission(StoredLead(stored), submitted, may_update=False)
    for name in PERSON_FIELDS:
        old, new = getattr(stored, name), getattr(submitted, name)
        if old is not None:
            assert getattr(merged.lead, name) == old
            assert (name in merged.proposed) == (new is not None and new != old)
        else:
            assert getattr(merged.lead, name) == new


def test_a_head_count_and_its_bucket_change_together():
    counted = NewLead(email=ADA.email, source="api", company_size="201-1000", employees=850)
    # the bucket a stored head count falls in says nothing new
    same = merge_submission(
        StoredLead(counted), NewLead(email=ADA.email, source="web_form", company_size="201-1000"), False
    )
    assert (same.lead.company_size, same.lead.employees, same.proposed) == ("201-1000", 850, {})
    # a backend's new head count replaces both; a bucket from a stranger is only proposed
    grown = NewLead(email=ADA.email, source="api", company_size="1000+", employees=1200)
    updated = merge_submission(StoredLead(counted), grown, True)
    assert (updated.lead.company_size, updated.lead.employees, updated.updated) == (
        "1000+",
        1200,
        ("company_size",),
    )
    stranger = NewLead(email=ADA.email, source="web_form", company_size="1-10")
    assert merge_submission(StoredLead(counted), stranger, False).proposed == {"company_size": "1-10"}
    # a backend's bucket replaces a head count that it contradicts
    bucket = merge_submission(StoredLead(counted), stranger, True)
    assert (bucket.lead.company_size, bucket.lead.employees) == ("1-10", None)
    # a head count fills a gap
    filled = merge_submission(StoredLead(NewLead(email=ADA.email, source="api")), counted, False)
    assert (filled.lead.company_size, filled.lead.employees) == ("201-1000", 850)
