"""Double opt-in tokens: a signed, expiring statement that a person's leads may get marketing again."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime


class InvalidToken(ValueError):
    """The token is damaged, forged or expired (the reason is not told to the holder)."""


@dataclass(frozen=True)
class ConsentGrant:
    """What a confirmation link grants: marketing consent for these leads, until it expires."""

    lead_ids: tuple[str, ...]
    expires_at: datetime


def sign(grant: ConsentGrant, secret: str) -> str:
    """Return a URL-safe token of the grant, signed with secret (no personal data: lead ids and a time)."""
    payload = json.dumps(
        {"l": list(grant.lead_ids), "x": grant.expires_at.isoformat()}, separators=(",", ":")
    )
    body = _b64(payload.encode())
    return f"{body}.{_b64(_mac(body, secret))}"


def verify(token: str, secret: str, now: datetime) -> ConsentGrant:
    """Return the grant a token carries; InvalidToken when it is not ours or has expired."""
    body, _, signature = token.partition(".")
    try:
        if not hmac.compare_digest(_unb64(signature), _mac(body, secret)):
            raise InvalidToken("bad signature")
        payload = json.loads(_unb64(body))
        grant = ConsentGrant(tuple(str(i) for i in payload["l"]), datetime.fromisoformat(payload["x"]))
    except InvalidToken:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidToken("malformed") from exc
    if grant.expires_at <= now:
        raise InvalidToken("expired")
    return grant


def _mac(body: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
