"""Keeping the active rule set and model current in every replica (activations happen through any of them)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

import structlog

from leadrelay.db.documents import VersionedDocuments
from leadrelay.scoring.adapters.model_registry import ModelRegistry
from leadrelay.scoring.domain.rules import RuleSet
from leadrelay.scoring.model.artifact import ArtifactError
from leadrelay.scoring.model.features import FeatureMap
from leadrelay.scoring.model.forest import LeanModel
from leadrelay.scoring.scorer import Scoring, ServedModel
from leadrelay.service.stopping import sleep_or_stop

log = structlog.get_logger(__name__)


def served(version: str, predictor: LeanModel, feature_map: dict[str, Any]) -> ServedModel:
    """Return a registered model ready to serve (it was compiled when it was registered)."""
    return ServedModel(version, predictor, FeatureMap.model_validate(feature_map))


class ModelCache:
    """Compiled models by version, for previews against a version that is not active (a few kept)."""

    def __init__(self, registry: ModelRegistry, size: int = 4) -> None:
        self._registry = registry
        self._size = size
        self._models: OrderedDict[str, ServedModel] = OrderedDict()

    async def get(self, version: str) -> ServedModel | None:
        """Return the version compiled; None when unknown; ValueError when it has no feature map."""
        if version in self._models:
            self._models.move_to_end(version)
            return self._models[version]
        found = await self._registry.load(version)
        if found is None:
            return None
        predictor, feature_map = found
        if feature_map is None:
            raise ValueError(f"model {version} has no feature map, so it cannot score leads")
        model = served(version, predictor, feature_map)
        self._models[version] = model
        if len(self._models) > self._size:
            self._models.popitem(last=False)
        return model


class ScoringState:
    """Holds the Scoring in use; refresh() reloads what changed in the database."""

    def __init__(
        self, rulesets: VersionedDocuments[RuleSet], registry: ModelRegistry, scoring: Scoring
    ) -> None:
        self._rulesets = rulesets
        self._registry = registry
        self.current = scoring
        self._stopping = asyncio.Event()

    async def refresh(self) -> None:
        """Load the active rule set and model when their versions changed."""
        version = await self._rulesets.active_version()
        if version is not None and version != self.current.ruleset.version:
            ruleset = await self._rulesets.active()
            if ruleset is not None:
                self.current = Scoring(ruleset, self.current.model)
                log.info("ruleset_activated", version=ruleset.version)
        model_version = await self._registry.active_version()
        in_use = self.current.model.version if self.current.model else None
        if model_version != in_use:
            self.current = Scoring(self.current.ruleset, await self._load_model())

    async def _load_model(self) -> ServedModel | None:
        try:
            found = await self._registry.active()
        except ArtifactError as exc:  # e.g. a model stored by an older version, as a pickle: never loaded
            log.warning("model_not_servable", reason=str(exc), hint="train and activate a new version")
            return None
        if found is None:
            return None
        version, predictor, feature_map = found
        if feature_map is None:
            log.warning("model_not_servable", version=version, reason="no feature map")
            return None
        log.info("model_activated", version=version)
        return served(version, predictor, feature_map)

    def stop(self) -> None:
        """End keep_fresh."""
        self._stopping.set()

    async def keep_fresh(self, interval_s: float = 5.0) -> None:
        """Refresh every interval (other replicas may activate versions) until stopped."""
        while not await sleep_or_stop(self._stopping, interval_s):
            try:
                await self.refresh()
            except Exception as exc:  # a database blip: keep the versions in use, try again later
                log.warning("scoring_state_refresh_failed", error=type(exc).__name__)
