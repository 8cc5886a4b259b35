"""The usual exports' headers are recognised whatever their case and punctuation."""

from __future__ import annotations

import pytest

from leadrelay.capture.import_columns import ColumnPlan, field_of, source_of


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Email Address", "email"),  # Mailchimp
        ("Person - Email - Work", "email"),  # Pipedrive
        ("Person - Name", "name"),
        ("Person - Phone - Mobile", "phone"),
        ("Organization - Name", "company"),
        ("Mailing Country", "country"),  # Salesforce contacts
        ("country_region", "country"),
        ("NumberOfEmployees", "company_size"),
        ("E-Mail", "email"),
        ("Mobile", "phone"),
        ("Lead Source", "source"),
        ("Badge colour", None),
        ("Notes", None),  # a rep's notes are not the person's question
    ],
)
def test_headers_of_common_exports(header, field):
    assert field_of(header) == field


def test_first_and_last_names_are_joined_and_the_first_phone_wins():
    plan = ColumnPlan.of(["First Name", "Last Name", "Phone", "Mobile", "Tags"], {})
    row = {
        "First Name": "Ada",
        "Last Name": "Lovelace",
        "Phone": "",
        "Mobile": "+44 20 7946 0958",
        "Tags": "x",
    }
    assert plan.apply(row) == {"name": "Ada Lovelace", "phone": "+44 20 7946 0958"}
    assert plan.ignored == ["Tags"]
    only_last = ColumnPlan.of(["Last Name", "Full Name"], {})
    assert only_last.apply({"Last Name": "Lovelace", "Full Name": "Ada King"}) == {"name": "Ada King"}


def test_an_explicit_mapping_overrides_the_header():
    plan = ColumnPlan.of(["Name", "Org"], {"name": "company", "Org": "company"})
    assert plan.fields == {"Name": "company", "Org": "company"}


@pytest.mark.parametrize(
    ("value", "source"),
    [
        ("Trade Show", "event"),
        ("Partner Referral", "referral"),
        ("Organic Search", "web_form"),
        ("Cold call", None),
    ],
)
def test_crm_lead_sources_read_as_capture_sources(value, source):
    assert source_of(value) == source
