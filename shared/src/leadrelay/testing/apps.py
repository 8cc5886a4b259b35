"""Running a service's app in-process, lifespan included, with an HTTP client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from leadrelay.kafka.consumer import ConsumerRunner


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's background work (consumers, relay, timers) and yield a client; stop it after."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


def consumer_lanes(app: FastAPI) -> dict[bool, ConsumerRunner]:
    """The app's consumers by lane: False for the capture-to-handoff path, True for the background."""
    return {consumer.background: consumer for consumer in app.state.runtime.consumers}
