"""The `leadrelay` command: follow a topic, list and replay dead letters, write event schemas."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import datetime
from pathlib import Path

STATE_DIR = Path(os.environ.get("LEADRELAY_STATE_DIR", ".leadrelay"))
STACK_FILE = STATE_DIR / "stack.json"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run a subcommand."""
    parser = argparse.ArgumentParser(prog="leadrelay", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    tail = sub.add_parser("tail", help="print the events on a topic as JSON lines")
    tail.add_argument("topic", help="e.g. leads.qualified or handoffs.enterprise")
    tail.add_argument(
        "--bootstrap-servers", help="default: LEADRELAY_KAFKA_BOOTSTRAP_SERVERS or the running stack"
    )
    tail.add_argument("--from-beginning", action="store_true", help="start at the oldest message")
    tail.add_argument("--max", type=int, default=0, help="stop after this many messages (0: follow)")
    dlq = sub.add_parser("dlq", help="list dead letters of a topic, or replay them to it")
    dlq.add_argument("action", choices=["list", "replay"])
    dlq.add_argument(
        "topic", help="the original topic, e.g. leads.captured (its dead letters are in <topic>.dlq)"
    )
    dlq.add_argument(
        "--since", type=datetime.fromisoformat, help="only those dead-lettered at or after (ISO time)"
    )
    dlq.add_argument("--event-id", help="only the dead letters of this event id")
    dlq.add_argument(
        "--bootstrap-servers", help="default: LEADRELAY_KAFKA_BOOTSTRAP_SERVERS or the running stack"
    )
    schemas = sub.add_parser("schemas", help="write each event's JSON Schema")
    schemas.add_argument("--out", type=Path, default=Path("docs/events"))
    args = parser.parse_args(argv)
    if args.command == "dlq":
        return asyncio.run(
            dead_letters(
                args.action, args.topic, _bootstrap(args.bootstrap_servers), args.since, args.event_id
            )
        )
    if args.command == "tail":
        return asyncio.run(
            tail_topic(args.topic, _bootstrap(args.bootstrap_servers), args.from_beginning, args.max)
        )
    from leadrelay.events.schemas import write_schemas

    for path in write_schemas(args.out):
        print(path)
    return 0


def _bootstrap(explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("LEADRELAY_KAFKA_BOOTSTRAP_SERVERS"):
        return os.environ["LEADRELAY_KAFKA_BOOTSTRAP_SERVERS"]
    if STACK_FILE.exists():
        return str(json.loads(STACK_FILE.read_text())["bootstrap_servers"])
    raise SystemExit("no broker known: set LEADRELAY_KAFKA_BOOTSTRAP_SERVERS or pass --bootstrap-servers")


async def dead_letters(
    action: str, topic: str, bootstrap: str, since: datetime | None, event_id: str | None
) -> int:
    """List a topic's dead letters as JSON lines (ids and reasons, no event data), or replay them."""
    from leadrelay.kafka.deadletters import read_dead_letters, replay, selected

    if since is not None and since.tzinfo is None:
        since = since.astimezone()  # a time without offset is local time
    letters = selected(await read_dead_letters(bootstrap, topic), since, event_id)
    if action == "list":
        for letter in letters:
            print(json.dumps(letter.summary()), flush=True)
        return 0
    original = topic.removesuffix(".dlq")
    sent = await replay(
        bootstrap, letters, original, lambda d: print(json.dumps({"replayed": d.summary()}), flush=True)
    )
    print(f"replayed {sent} dead letter(s)", file=sys.stderr)
    return 0


async def tail_topic(topic: str, bootstrap: str, from_beginning: bool, limit: int) -> int:
    """Print every message of a topic as one JSON line (value, plus key and headers)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest" if from_beginning else "latest",
    )
    await consumer.start()
    seen = 0
    try:
        async for record in consumer:
            try:
                value = json.loads(record.value) if record.value else None
            except ValueError:
                value = (record.value or b"").decode(errors="replace")
            headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
            line = {"key": (record.key or b"").decode(errors="replace"), "value": value}
            if headers:
                line["headers"] = headers
            print(json.dumps(line), flush=True)
            seen += 1
            if limit and seen >= limit:
                break
    finally:
        await consumer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
