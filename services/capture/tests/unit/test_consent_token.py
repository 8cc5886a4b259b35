"""Double opt-in tokens: only ours, only until they expire, and nothing personal inside."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.capture.domain.consent_token import ConsentGrant, InvalidToken, sign, verify

SECRET = "a-consent-secret-of-at-least-32-characters"
NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
GRANT = ConsentGrant(("lead-1", "lead-2"), NOW + timedelta(hours=72))


def test_a_token_carries_its_grant_until_it_expires():
    token = sign(GRANT, SECRET)
    assert verify(token, SECRET, NOW) == GRANT
    with pytest.raises(InvalidToken):
        verify(token, SECRET, NOW + timedelta(hours=72))


def test_a_forged_or_damaged_token_is_refused():
    token = sign(GRANT, SECRET)
    body, signature = token.split(".")
    other = sign(ConsentGrant(("someone-else",), GRANT.expires_at), SECRET).split(".")[0]
    for bad in (
        f"{other}.{signature}",
        sign(GRANT, "another-secret-of-32-characters-or-more"),
        "x.y",
        "",
        body,
    ):
        with pytest.raises(InvalidToken):
            verify(bad, SECRET, NOW)


def test_a_token_holds_lead_ids_and_a_time_only():
    payload = base64.urlsafe_b64decode(sign(GRANT, SECRET).split(".")[0] + "==").decode()
    assert payload == '{"l":["lead-1","lead-2"],"x":"2026-12-10T12:00:00+00:00"}'
