"""With a CAPTCHA verifier configured, browser posts need a token it accepts; an unreachable one refuses."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest

from leadrelay.capture.bootstrap import build_app
from leadrelay.devkit.infra.net import free_port
from leadrelay.devkit.testing.apps import running

ORIGIN = "http://127.0.0.1:8001"


class Siteverify(BaseHTTPRequestHandler):
    """A stand-in for the provider's siteverify endpoint: token 'good' with secret 's3cret' passes."""

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        ok = form.get("response") == ["good"] and form.get("secret") == ["s3cret"]
        body = json.dumps({"success": ok}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def verifier() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Siteverify)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/siteverify"
    server.shutdown()


async def test_browser_posts_need_an_accepted_captcha(settings, verifier):
    guarded = settings.model_copy(update={"captcha_verify_url": verifier, "captcha_secret": "s3cret"})
    async with running(build_app(guarded)) as client:
        page = {"Origin": ORIGIN}
        missing = await client.post("/v1/forms/demo", data={"email": "a@example.com"}, headers=page)
        wrong = await client.post(
            "/v1/forms/demo", data={"email": "b@example.com", "cf-turnstile-response": "bad"}, headers=page
        )
        good = await client.post(
            "/v1/forms/demo", data={"email": "c@example.com", "cf-turnstile-response": "good"}, headers=page
        )
        chat = await client.post(
            "/v1/chat",
            json={"visitor": {"email": "d@example.com"}},
            headers={"X-Form-Key": "pk_demo_2c8f1b7e4a9d4f00", "Origin": ORIGIN, "X-Captcha-Token": "good"},
        )
        backend = await client.post(
            "/v1/leads", json={"email": "e@example.com"}, headers={"X-API-Key": "test-api-key-0123456789"}
        )
    assert missing.status_code == wrong.status_code == 403
    assert wrong.json()["error"] == "captcha_failed"
    assert good.status_code == 303 and chat.status_code == 202
    assert backend.status_code == 202  # backends authenticate with their key, not a CAPTCHA


async def test_an_unreachable_verifier_fails_closed(settings):
    guarded = settings.model_copy(update={"captcha_verify_url": f"http://127.0.0.1:{free_port()}/siteverify"})
    async with running(build_app(guarded)) as client:
        response = await client.post(
            "/v1/forms/demo",
            data={"email": "a@example.com", "captcha_token": "good"},
            headers={"Origin": ORIGIN},
        )
    assert response.status_code == 403 and "could not be checked" in response.json()["detail"]
