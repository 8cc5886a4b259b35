"""Subscriptions: targets with one destination each, known event types, filters on the handoff."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from standardwebhooks import Webhook

from leadrelay.delivery.domain.signing import live_secrets, new_secret, rotated, webhook_headers
from leadrelay.delivery.domain.subscriptions import HandoffFacts, SubscriptionSpec

QUALIFIED = "leadrelay.lead.qualified.v1"
BREACHED = "leadrelay.handoff.breached.v1"


def spec(**overrides) -> SubscriptionSpec:
    body = {
        "name": "crm",
        "target": {"type": "webhook", "url": "https://crm.example.com/hook"},
        "events": [QUALIFIED],
    }
    return SubscriptionSpec.model_validate(body | overrides)


def error_of(**overrides) -> tuple[tuple, str]:
    with pytest.raises(ValidationError) as caught:
        spec(**overrides)
    first = caught.value.errors()[0]
    return first["loc"], first["msg"]


def test_each_target_type_needs_its_own_destination():
    assert "needs 'address'" in error_of(target={"type": "email", "url": "https://x.example.com"})[1]
    assert "needs 'url'" in error_of(target={"type": "slack", "address": "rep@example.com"})[1]
    assert error_of(target={"type": "sms", "url": "https://x.example.com"})[0][:2] == ("target", "type")
    assert spec(target={"type": "email", "address": "rep@example.com"}).target.address == "rep@example.com"


def test_unknown_or_repeated_event_types_are_named():
    loc, msg = error_of(events=["leadrelay.lead.captured.v1"])
    assert loc == ("events",) and "'leadrelay.lead.captured.v1' is not a deliverable event type" in msg
    assert "twice" in error_of(events=[QUALIFIED, QUALIFIED])[1]
    assert error_of(events=[])[0] == ("events",)


def test_filters_match_the_handoff_and_every_given_one_must_hold():
    handoff = HandoffFacts(queue="enterprise", owner_id="rep-1", grade="A")
    assert spec().wants(QUALIFIED, handoff)
    assert not spec().wants(BREACHED, handoff)
    assert spec(filters={"queue": "enterprise", "grade": "A"}).wants(QUALIFIED, handoff)
    assert not spec(filters={"queue": "enterprise", "owner": "rep-2"}).wants(QUALIFIED, handoff)
    assert error_of(filters={"region": "emea"})[0] == ("filters", "region")


def test_a_delivery_verifies_with_either_secret_during_a_rotation():
    old, new = new_secret(), new_secret()
    at = datetime.now(UTC)
    body = '{"id":"e1"}'
    headers = webhook_headers("msg_1", at, body, [old, new])
    assert headers["webhook-id"] == "msg_1" and headers["webhook-timestamp"] == str(int(at.timestamp()))
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers) == {"id": "e1"}
    with pytest.raises(Exception, match="signature"):
        Webhook(new_secret()).verify(body, headers)


def test_a_rotation_keeps_live_old_secrets_until_the_overlap_ends_and_drops_expired_ones():
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    day = timedelta(days=1)
    stored = [
        {"secret": "current", "expires_at": None},
        {"secret": "rotated-earlier", "expires_at": (now + timedelta(hours=2)).isoformat()},
        {"secret": "expired", "expires_at": (now - timedelta(seconds=1)).isoformat()},
    ]
    after = rotated(stored, "new", now, day)
    assert after == [
        {"secret": "new", "expires_at": None},
        {"secret": "current", "expires_at": (now + day).isoformat()},
        {"secret": "rotated-earlier", "expires_at": (now + timedelta(hours=2)).isoformat()},
    ]
    assert live_secrets(after, now + timedelta(hours=3)) == ["new", "current"]
    assert live_secrets(after, now + 2 * day) == ["new"]
