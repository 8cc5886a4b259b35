"""The `leadrelay` command: follow a topic, list and replay dead letters, plan and apply the declared topics and
ACLs, write event schemas."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadrelay.settings import KafkaSettings

STATE_DIR = Path(os.environ.get("LEADRELAY_STATE_DIR", ".leadrelay"))
STACK_FILE = STATE_DIR / "stack.json"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run a subcommand."""
    parser = argparse.ArgumentParser(prog="leadrelay", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    tail = sub.add_parser("tail", help="print the events on a topic as JSON lines")
    tail.add_argument("topic", help="e.g. leads.qualified or handoffs.enterprise")
    _broker_flag(tail)
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
    _broker_flag(dlq)
    topics = sub.add_parser(
        "topics",
        help="show (plan) or make (apply) the difference between the declared topics and the cluster",
        description="Every topic, its dead letters and the named queues' handoff topics, shaped by "
        "LEADRELAY_KAFKA_PARTITIONS, _REPLICATION_FACTOR, _MIN_INSYNC_REPLICAS, _RETENTION_MS and _DLQ_RETENTION_MS. "
        "apply creates topics, adds partitions and alters configs; it never deletes. "
        "plan exits 2 when there are differences.",
    )
    topics.add_argument("action", choices=["plan", "apply"])
    topics.add_argument(
        "--queue",
        action="append",
        default=[],
        help="a routing queue whose handoff topic is declared (repeat)",
    )
    _broker_flag(topics)
    acls = sub.add_parser(
        "acls",
        help="show (plan) or create (apply) the ACLs each service's principal needs",
        description="Each service may write only the topics it owns (and the dead letters of those it reads), "
        "read only those it consumes, with its own consumer groups. apply never deletes an ACL. "
        "plan exits 2 when some are missing.",
    )
    acls.add_argument("action", choices=["plan", "apply"])
    acls.add_argument(
        "--principal",
        action="append",
        default=[],
        metavar="SERVICE=PRINCIPAL",
        help="e.g. capture=User:leadrelay-capture (default: User:<service>; repeat per service)",
    )
    _broker_flag(acls)
    schemas = sub.add_parser("schemas", help="write each event's JSON Schema and the AsyncAPI document")
    schemas.add_argument("--out", type=Path, default=Path("docs/events"))
    schemas.add_argument("--asyncapi", type=Path, default=Path("docs/asyncapi.json"))
    args = parser.parse_args(argv)
    if args.command == "dlq":
        return asyncio.run(
            dead_letters(args.action, args.topic, _kafka(args.bootstrap_servers), args.since, args.event_id)
        )
    if args.command == "tail":
        return asyncio.run(
            tail_topic(args.topic, _kafka(args.bootstrap_servers), args.from_beginning, args.max)
        )
    if args.command == "acls":
        principals = _principals(args.principal)
        return asyncio.run(acls_command(args.action, _kafka(args.bootstrap_servers), principals))
    if args.command == "topics":
        return asyncio.run(topics_command(args.action, _kafka(args.bootstrap_servers), args.queue))
    from leadrelay.events.asyncapi import asyncapi_document, render_document
    from leadrelay.events.schemas import write_schemas

    for path in write_schemas(args.out):
        print(path)
    args.asyncapi.write_text(render_document(asyncapi_document()))
    print(args.asyncapi)
    return 0


def _broker_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap-servers", help="default: LEADRELAY_KAFKA_BOOTSTRAP_SERVERS or the running stack"
    )


def _kafka(explicit: str | None) -> KafkaSettings:
    """The connection settings (LEADRELAY_KAFKA_*, as the services read them) with the broker to use: the flag,
    the environment, or the stack `make run` started (with the settings it gave its services)."""
    from leadrelay.settings import KafkaSettings, load_settings

    if not explicit and not os.environ.get("LEADRELAY_KAFKA_BOOTSTRAP_SERVERS"):
        if not STACK_FILE.exists():
            raise SystemExit(
                "no broker known: set LEADRELAY_KAFKA_BOOTSTRAP_SERVERS or pass --bootstrap-servers"
            )
        stack = json.loads(STACK_FILE.read_text())
        explicit = str(stack["bootstrap_servers"])
        for name, value in stack.get("settings", {}).items():
            os.environ.setdefault(name, value)
    settings = load_settings(KafkaSettings)
    return settings.model_copy(update={"bootstrap_servers": explicit}) if explicit else settings


def _principals(given: list[str]) -> dict[str, str]:
    from leadrelay.kafka.acls import default_principals

    principals = default_principals()
    for item in given:
        service, _, principal = item.partition("=")
        if service not in principals or not principal.startswith("User:"):
            raise SystemExit(
                f"--principal {item!r}: expected SERVICE=User:NAME with SERVICE one of {', '.join(principals)}"
            )
        principals[service] = principal
    return principals


async def acls_command(action: str, kafka: KafkaSettings, principals: dict[str, str]) -> int:
    """Print the declared ACLs the cluster lacks; with apply, create them."""
    from leadrelay.kafka.acls import apply_acls, declared_acls, plan_acls

    declared = declared_acls(kafka.topics, principals)
    missing = await (apply_acls if action == "apply" else plan_acls)(kafka, declared)
    for acl in missing:
        print(("created " if action == "apply" else "missing ") + str(acl), flush=True)
    print(f"{len(missing)} of {len(declared)} declared ACL(s) {'created' if action == 'apply' else 'missing'}",
          file=sys.stderr)  # fmt: skip
    return 2 if action == "plan" and missing else 0


async def topics_command(action: str, kafka: KafkaSettings, queues: list[str]) -> int:
    """Print the differences between the declared topics and the cluster; with apply, make the fixable ones."""
    from leadrelay.kafka.admin import apply, plan
    from leadrelay.kafka.topology import declared_topics

    declared = declared_topics(kafka, queues)
    changes = await (apply if action == "apply" else plan)(kafka, declared)
    for change in changes:
        print(change, flush=True)
    unfixable = [c for c in changes if not c.fixable]
    if action == "plan":
        print(f"{len(changes)} difference(s), {len(unfixable)} that apply cannot make", file=sys.stderr)
        return 2 if changes else 0
    print(
        f"applied {len(changes) - len(unfixable)} change(s); {len(unfixable)} left to do by hand",
        file=sys.stderr,
    )
    return 1 if unfixable else 0


async def dead_letters(
    action: str, topic: str, kafka: KafkaSettings, since: datetime | None, event_id: str | None
) -> int:
    """List a topic's dead letters as JSON lines (ids and reasons, no event data), or replay them."""
    from leadrelay.kafka.deadletters import read_dead_letters, replay, selected

    if since is not None and since.tzinfo is None:
        since = since.astimezone()  # a time without offset is local time
    letters = selected(await read_dead_letters(kafka, topic), since, event_id)
    if action == "list":
        for letter in letters:
            print(json.dumps(letter.summary()), flush=True)
        return 0
    original = topic.removesuffix(".dlq")
    sent = await replay(
        kafka, letters, original, lambda d: print(json.dumps({"replayed": d.summary()}), flush=True)
    )
    print(f"replayed {sent} dead letter(s)", file=sys.stderr)
    return 0


async def tail_topic(topic: str, kafka: KafkaSettings, from_beginning: bool, limit: int) -> int:
    """Print every message of a topic as one JSON line (value, plus key and headers)."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic,
        **kafka.client_options(),
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
