"""Standard Webhooks signatures: each subscription's own secrets, several at once while one is rotated out."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret in the specification's form: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_secret(secret: str) -> str:
    """A secret given from outside (the seed's environment): `whsec_` and at least 24 bytes in base64."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a signing secret starts with {SECRET_PREFIX}")
    try:
        raw = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except ValueError:
        raise ValueError("a signing secret is base64 after its prefix") from None
    if len(raw) < 24:
        raise ValueError("a signing secret holds at least 24 random bytes")
    return secret


def _live(stored: dict[str, Any], now: datetime) -> bool:
    return stored["expires_at"] is None or datetime.fromisoformat(stored["expires_at"]) > now


def live_secrets(stored: Sequence[dict[str, Any]], now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and rotated ones until their overlap ends."""
    return [s["secret"] for s in stored if _live(s, now)]


def rotated(
    stored: Sequence[dict[str, Any]], secret: str, now: datetime, overlap: timedelta
) -> list[dict[str, Any]]:
    """The secrets after a rotation: the new one current, the live old ones expiring when the overlap ends
    (one already expiring keeps its own end), the expired ones dropped."""
    ends = (now + overlap).isoformat()
    kept = [{**s, "expires_at": s["expires_at"] or ends} for s in stored if _live(s, now)]
    return [{"secret": secret, "expires_at": None}, *kept]


def webhook_headers(
    webhook_id: str, at: datetime, body: str, signing_secrets: Sequence[str]
) -> dict[str, str]:
    """The three headers of a signed delivery; one signature per live secret, so a receiver holding either the
    old or the new secret verifies it during a rotation."""
    if not signing_secrets:
        raise ValueError("a delivery needs at least one signing secret")
    signatures = " ".join(Webhook(secret).sign(webhook_id, at, body) for secret in signing_secrets)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
