"""Running a service's app in-process, lifespan included, with an HTTP client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from leadrelay.kafka.consumer import ConsumerRunner


@asynccontextmanager
async def running(app: FastAPI, key: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's background work (consumers, relay, timers) and yield a client that sends key as
    X-API-Key unless a request says otherwise; stop it after."""
    headers = {"X-API-Key": key} if key else {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service", headers=headers
        ) as client:
            yield client


def assert_path_and_background_lanes(app: FastAPI, path: list[str], background: set[str]) -> None:
    """Assert the app reads `path` in one consumer on the capture-to-handoff path, the rest in a background group."""
    consumers: list[ConsumerRunner] = app.state.runtime.consumers
    lanes = {consumer.background: consumer for consumer in consumers}
    assert len(consumers) == 2 and set(lanes) == {False, True}, [(c.background, c.topics) for c in consumers]
    assert lanes[False].topics == path, lanes[False].topics
    assert set(lanes[True].topics) == background, lanes[True].topics
    assert lanes[True].group_id != lanes[False].group_id
