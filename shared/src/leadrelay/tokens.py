"""Signed, expiring tokens for links sent to people: claims in the clear, an HMAC-SHA256 over them, a deadline."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any


class InvalidToken(ValueError):
    """The token is damaged, forged or expired (the reason is not told to the holder)."""


def sign(claims: dict[str, Any], secret: str, expires_at: datetime) -> str:
    """Return a URL-safe token of the claims (keep personal data out: anyone holding the link reads them)."""
    payload = json.dumps({**claims, "x": expires_at.isoformat()}, separators=(",", ":"))
    body = _b64(payload.encode())
    return f"{body}.{_b64(_mac(body, secret))}"


def verify(token: str, secret: str, now: datetime) -> dict[str, Any]:
    """Return a token's claims (with its deadline as `x`); InvalidToken when it is not ours or has expired."""
    body, _, signature = token.partition(".")
    try:
        if not hmac.compare_digest(_unb64(signature), _mac(body, secret)):
            raise InvalidToken("bad signature")
        claims = json.loads(_unb64(body))
        if not isinstance(claims, dict):
            raise InvalidToken("malformed")
        expires_at = datetime.fromisoformat(claims["x"])
    except InvalidToken:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidToken("malformed") from exc
    if expires_at <= now:
        raise InvalidToken("expired")
    return {**claims, "x": expires_at}


def _mac(body: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
