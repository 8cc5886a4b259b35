"""The whole-system checker: every accepted lead accounted for downstream, no duplicate side effects, no
order inversions. `check` is pure (so a planted fault proves it is not vacuous); `collect` reads the topics."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from aiokafka import AIOKafkaConsumer

from leadrelay.events import Topics
from leadrelay.kafka.metadata import partitions_of


@dataclass(frozen=True)
class Seen:
    """One event as read from a topic, in offset order within its partition."""

    partition: int
    offset: int
    event_id: str
    lead_id: str
    data: Mapping[str, Any]
    time: str = ""  # the envelope's time: when the event was made
    published: float | None = None  # the record's own timestamp (s): when a relay handed it to its producer


@dataclass
class Observations:
    """What the load generator got accepted, what each lead topic holds, and what routing's database holds."""

    accepted: set[str]
    captured: list[Seen] = field(default_factory=list)
    scored: list[Seen] = field(default_factory=list)
    qualified: list[Seen] = field(default_factory=list)
    breached: list[Seen] = field(default_factory=list)
    capture_db_leads: set[str] | None = None  # None: the database was not read
    routing_db_handoffs: dict[str, tuple[str, int]] | None = None  # handoff_id -> (lead_id, attempt)
    first_contact_s: float | None = None  # every handoff's deadline; None: breach times are not checked
    # (webhook-id, CloudEvent id) of each webhook a subscribed receiver got; None: webhooks are not checked
    webhooks: list[tuple[str, str]] | None = None


@dataclass
class Report:
    """The checker's verdict: counts per stage, then every loss, duplicate and inversion by lead."""

    accepted: int
    captured: int
    scored: int
    handed_off: int
    breached: int
    lost: dict[str, list[str]]
    duplicates: dict[str, list[str]]
    inversions: list[str]
    early_breaches: list[str] = field(default_factory=list)  # breached before the deadline allows
    delivered: int | None = None  # handoffs that reached the webhook receiver (None: not checked)

    @property
    def ok(self) -> bool:
        """True when nothing was lost, duplicated, reordered or breached early."""
        return (
            not any(self.lost.values())
            and not any(self.duplicates.values())
            and not self.inversions
            and not self.early_breaches
        )

    def summary(self) -> str:
        """One line for logs and test failures."""
        lost = sum(len(v) for v in self.lost.values())
        duplicates = sum(len(v) for v in self.duplicates.values())
        detail = {k: v[:5] for k, v in {**self.lost, **self.duplicates}.items() if v}
        return (
            f"accepted {self.accepted}, captured {self.captured}, scored {self.scored}, "
            f"handed off {self.handed_off}, breached {self.breached}; lost {lost}, duplicates {duplicates}, "
            f"inversions {len(self.inversions)}, early breaches {len(self.early_breaches)}"
            + (f", webhooks delivered {self.delivered}" if self.delivered is not None else "")
            + (f"; {detail} {self.inversions[:5]} {self.early_breaches[:5]}" if not self.ok else "")
        )


def _distinct(events: Iterable[Seen]) -> list[Seen]:
    """Drop redeliveries of the same event (at-least-once publishing repeats an event id, harmlessly)."""
    seen: set[str] = set()
    out = []
    for event in sorted(events, key=lambda e: (e.partition, e.offset)):
        if event.event_id not in seen:
            seen.add(event.event_id)
            out.append(event)
    return out


def _by_lead(events: Iterable[Seen]) -> dict[str, list[Seen]]:
    grouped: dict[str, list[Seen]] = defaultdict(list)
    for event in events:
        grouped[event.lead_id].append(event)
    return grouped


def check(obs: Observations) -> Report:
    """Account for every accepted lead through capture, scoring and handoff; find duplicates and inversions."""
    captured, scored = _by_lead(_distinct(obs.captured)), _by_lead(_distinct(obs.scored))
    distinct_breaches = _distinct(obs.breached)
    qualified, breached = _by_lead(_distinct(obs.qualified)), _by_lead(distinct_breaches)
    accepted = obs.accepted
    sql = {lead for lead, events in scored.items() if events[-1].data.get("stage") == "sql"}
    lost = {
        "not_captured": sorted(accepted - set(captured)),
        "not_scored": sorted((accepted & set(captured)) - set(scored)),
        "sql_not_handed_off": sorted((accepted & sql) - set(qualified)),
    }
    if obs.capture_db_leads is not None:
        lost["not_in_capture_db"] = sorted(accepted - obs.capture_db_leads)
    duplicates: dict[str, list[str]] = {
        # a consumer that handled one capture twice scores the lead twice, with different event ids
        "scored_twice": sorted(
            lead for lead, events in scored.items() if len(events) > len(captured.get(lead, ()))
        ),
        "handoffs_per_attempt": sorted(
            f"{lead}#{attempt}"
            for lead, events in qualified.items()
            for attempt, count in _count(e.data.get("attempt", 1) for e in events).items()
            if count > 1
        ),
        "breaches_per_handoff": sorted(
            f"{lead}:{handoff}"
            for lead, events in breached.items()
            for handoff, count in _count(e.data["handoff_id"] for e in events).items()
            if count > 1
        ),
    }
    if obs.routing_db_handoffs is not None:
        published = {e.data["handoff_id"]: e.lead_id for events in qualified.values() for e in events}
        duplicates["published_not_in_routing_db"] = sorted(
            f"{lead}:{handoff}"
            for handoff, lead in published.items()
            if handoff not in obs.routing_db_handoffs
        )
    delivered = None
    if obs.webhooks is not None:
        # every handoff of an accepted lead reaches the subscribed receiver, each under one webhook-id however
        # often it is sent (a receiver drops repeats by that id)
        wanted = {e.event_id for e in _distinct(obs.qualified) if e.lead_id in accepted}
        ids: dict[str, set[str]] = defaultdict(set)
        for webhook_id, event_id in obs.webhooks:
            ids[event_id].add(webhook_id)
        lost["handoff_not_delivered"] = sorted(wanted - set(ids))
        duplicates["webhook_id_changed"] = sorted(e for e, found in ids.items() if len(found) > 1)
        delivered = len(wanted & set(ids))
    inversions = [
        f"{lead} {name}: attempt {a} after {b}"
        for name, grouped in (("qualified", qualified), ("breached", breached))
        for lead, events in grouped.items()
        for b, a in pairwise(e.data.get("attempt", 1) for e in events)
        if a < b
    ]
    inversions += [
        f"{lead} {name}: events in partitions {sorted(parts)}"
        for name, grouped in (("captured", captured), ("scored", scored), ("qualified", qualified))
        for lead, events in grouped.items()
        if len(parts := {e.partition for e in events}) > 1
    ]
    return Report(
        accepted=len(accepted),
        captured=len(accepted & set(captured)),
        scored=len(accepted & set(scored)),
        handed_off=len(accepted & set(qualified)),
        breached=sum(len(events) for events in breached.values()),
        lost=lost,
        duplicates=duplicates,
        inversions=inversions,
        early_breaches=_early_breaches(distinct_breaches, obs.qualified, obs.first_contact_s),
        delivered=delivered,
    )


# The SLA monitor breaches by PostgreSQL's clock, routing stamps a handoff by its own: the same machine's
# clock in every run here, so a second covers rounding and the time between reading it and writing the event.
CLOCK_TOLERANCE_S = 1.0


def _early_breaches(breaches: list[Seen], qualified: list[Seen], first_contact_s: float | None) -> list[str]:
    """Breaches that fired sooner after their handoff than every handoff's deadline allows."""
    if first_contact_s is None:
        return []
    handed_off = {e.data["handoff_id"]: datetime.fromisoformat(e.time) for e in qualified if e.time}
    early = []
    for breach in breaches:
        started = handed_off.get(breach.data["handoff_id"])
        if started is None:
            continue
        after_s = (datetime.fromisoformat(breach.data["breached_at"]) - started).total_seconds()
        if after_s < first_contact_s - CLOCK_TOLERANCE_S:
            early.append(
                f"{breach.lead_id}:{breach.data['handoff_id']} breached {after_s:.1f} s after its handoff"
            )
    return sorted(early)


def _count(values: Iterable[Any]) -> dict[Any, int]:
    counts: dict[Any, int] = defaultdict(int)
    for value in values:
        counts[value] += 1
    return counts


async def read_topic(bootstrap_servers: str, topic: str) -> list[Seen]:
    """Read a topic from the beginning to its current end; undecodable messages are skipped (the DLQ's job)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=50
    )
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, topic)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        # Tansu's high watermark can trail the log when a produce request carried several records, so
        # end_offsets is a lower bound: read past it until a whole second brings nothing new, but for at most a
        # few seconds (a topic the system still writes to, as escalations do, is never quiet for a second).
        ends = await consumer.end_offsets(partitions)
        out: list[Seen] = []
        past_ends_since: float | None = None
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            behind = [tp for tp, end in ends.items() if await consumer.position(tp) < end]
            if not behind and past_ends_since is None:
                past_ends_since = time.monotonic()
            if not behind and (not batches or time.monotonic() - past_ends_since > 5):  # type: ignore[operator]
                break
            for records in batches.values():
                for record in records:
                    try:
                        body = json.loads(record.value or b"")
                        data = body["data"]
                        seen = Seen(
                            record.partition,
                            record.offset,
                            body["id"],
                            data["lead_id"],
                            data,
                            body["time"],
                            record.timestamp / 1000,
                        )
                        out.append(seen)
                    except (ValueError, KeyError, TypeError):
                        continue
        return out
    finally:
        await consumer.stop()


async def collect(bootstrap_servers: str, topics: Topics, accepted: set[str]) -> Observations:
    """Read the four lead topics that carry the pipeline's side effects."""
    return Observations(
        accepted=set(accepted),
        captured=await read_topic(bootstrap_servers, topics.captured),
        scored=await read_topic(bootstrap_servers, topics.scored),
        qualified=await read_topic(bootstrap_servers, topics.qualified),
        breached=await read_topic(bootstrap_servers, topics.sla_breached),
    )
