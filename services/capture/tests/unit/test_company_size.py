"""Company size as people give it: a head count, a bucket, N+, or a range inside one bucket."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from leadrelay.capture.domain.normalise import InvalidValue, normalise_company_size
from leadrelay.capture.schemas import LeadIn


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (850, ("201-1000", 850)),
        ("1,200", ("1000+", 1200)),
        (0, ("1-10", 0)),
        (10, ("1-10", 10)),
        (11, ("11-50", 11)),
        (1000, ("201-1000", 1000)),
        (1001, ("1000+", 1001)),
        ("51-200", ("51-200", None)),
        ("5000+", ("1000+", None)),
        ("2-10", ("1-10", None)),
        (" 1000+ ", ("1000+", None)),
    ],
)
def test_head_counts_and_buckets_are_understood(given, expected):
    assert normalise_company_size(given) == expected


@pytest.mark.parametrize("given", ["100-500", "lots", "-5", "500+", "1e3", 24520477347])
def test_what_is_neither_is_refused_rather_than_guessed(given):
    with pytest.raises(InvalidValue, match="is not a head count"):
        normalise_company_size(given)


def test_a_backend_posting_a_head_count_keeps_it_with_its_bucket():
    lead = LeadIn.model_validate({"email": "ann@example.com", "company_size": 850}).to_new_lead()
    assert (lead.company_size, lead.employees) == ("201-1000", 850)
    bucket = LeadIn.model_validate({"email": "ann@example.com", "company_size": "51-200"}).to_new_lead()
    assert (bucket.company_size, bucket.employees) == ("51-200", None)
    with pytest.raises(ValidationError) as info:
        LeadIn.model_validate({"email": "ann@example.com", "company_size": True})
    assert info.value.errors()[0]["loc"] == ("company_size",)
