"""A request that loses its database answers 503 with Retry-After, whichever layer raised."""

from __future__ import annotations

import asyncpg
import pytest
from fastapi.testclient import TestClient

from leadrelay.service.app import create_app


async def _ready() -> bool:
    return True


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
    ],
)
def test_driver_connection_errors_answer_503(error):
    app = create_app(service="test", title="t", description="d", readiness=_ready)

    @app.post("/write")
    async def write() -> None:
        raise error

    response = TestClient(app, raise_server_exceptions=False).post("/write")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["error"] == "unavailable"
