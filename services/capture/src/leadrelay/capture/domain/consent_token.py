"""Double opt-in tokens: a signed, expiring statement that a person's leads may get marketing again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leadrelay import tokens
from leadrelay.tokens import InvalidToken

__all__ = ["ConsentGrant", "InvalidToken", "sign", "verify"]


@dataclass(frozen=True)
class ConsentGrant:
    """What a confirmation link grants: marketing consent for these leads, until it expires."""

    lead_ids: tuple[str, ...]
    expires_at: datetime


def sign(grant: ConsentGrant, secret: str) -> str:
    """Return a URL-safe token of the grant, signed with secret (no personal data: lead ids and a time)."""
    return tokens.sign({"l": list(grant.lead_ids)}, secret, grant.expires_at)


def verify(token: str, secret: str, now: datetime) -> ConsentGrant:
    """Return the grant a token carries; InvalidToken when it is not ours or has expired."""
    claims = tokens.verify(token, secret, now)
    lead_ids = claims.get("l")
    if not isinstance(lead_ids, list):
        raise InvalidToken("malformed")
    return ConsentGrant(tuple(str(i) for i in lead_ids), claims["x"])
