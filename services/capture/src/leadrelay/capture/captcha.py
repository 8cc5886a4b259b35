"""An optional CAPTCHA check against a Turnstile/hCaptcha-style siteverify endpoint; it fails closed."""

from __future__ import annotations

import httpx
import structlog
from fastapi import HTTPException

from leadrelay.capture.domain.forms import CAPTCHA_FIELDS

log = structlog.get_logger(__name__)


class CaptchaVerifier:
    """Asks the provider whether a token is good; no URL configured means no check."""

    def __init__(self, verify_url: str | None, secret: str | None, timeout_s: float = 5.0) -> None:
        self._verify_url = verify_url
        self._secret = secret
        self._timeout_s = timeout_s

    @property
    def enabled(self) -> bool:
        return bool(self._verify_url)

    async def require(self, token: str | None, client_ip: str) -> None:
        """Raise 403 unless the provider confirms the token; an unreachable provider refuses too."""
        if not self._verify_url:
            return
        if not token:
            raise _refused("the form needs a CAPTCHA answer")
        try:
            async with httpx.AsyncClient(timeout=self._timeout_s) as client:
                response = await client.post(
                    self._verify_url,
                    data={"secret": self._secret or "", "response": token, "remoteip": client_ip},
                )
            verdict = response.json() if response.status_code == 200 else {}
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("captcha_provider_unreachable", error=type(exc).__name__)
            raise _refused("the CAPTCHA could not be checked; please try again") from exc
        if verdict.get("success") is not True:
            raise _refused("the CAPTCHA answer was not accepted")


def token_from(values: dict[str, str], header: str | None) -> str | None:
    """Return the CAPTCHA token from a form field (any provider's name) or the X-Captcha-Token header."""
    return header or next((values[f] for f in sorted(CAPTCHA_FIELDS) if values.get(f)), None)


def _refused(reason: str) -> HTTPException:
    return HTTPException(403, detail={"error": "captcha_failed", "detail": reason})
