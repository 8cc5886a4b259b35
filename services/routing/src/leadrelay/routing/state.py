"""Keeping the active routing configuration current in every replica."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from leadrelay.routing.adapters.config_store import ConfigStore
from leadrelay.routing.domain.config import RoutingConfig

log = structlog.get_logger(__name__)


class ConfigState:
    """Holds the configuration in use; refresh() loads a newly activated version."""

    def __init__(
        self, store: ConfigStore, config: RoutingConfig, on_change: Callable[[RoutingConfig], Awaitable[None]]
    ) -> None:
        self._store = store
        self._on_change = on_change
        self.current = config
        self._stopping = asyncio.Event()

    async def refresh(self) -> None:
        """Load the active version when it changed (and prepare its handoff topics)."""
        version = await self._store.active_version()
        if version is None or version == self.current.version:
            return
        config = await self._store.active()
        if config is not None:
            await self._on_change(config)
            self.current = config
            log.info("routing_config_activated", version=config.version)

    def stop(self) -> None:
        """End keep_fresh."""
        self._stopping.set()

    async def keep_fresh(self, interval_s: float) -> None:
        """Refresh every interval (another replica may activate a version) until stopped."""
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), interval_s)
                return
            except TimeoutError:
                pass
            try:
                await self.refresh()
            except Exception as exc:  # a database blip: keep the version in use
                log.warning("routing_config_refresh_failed", error=type(exc).__name__)
