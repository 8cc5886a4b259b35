"""The embedded broker's CPU under a constant load as its topics fill up, against the same load on new topics.

Tansu's in-memory storage keeps each produced batch as an object and lists every object of a partition on each
fetch that finds new data, so a fetch costs more the more batches the partition holds. A producer sends to three
topics of three partitions at a fixed rate while one consumer per topic reads them; the broker's CPU is sampled
per window. The last window runs the same load on three new topics: its CPU, against the first window's, shows
that the growth comes from the stored batches. The load runs twice: one record per send (a relay that publishes
after every commit), and the same records ten at a time (a busy relay publishing at most once per 50 ms).

Prints figures; with --write, updates the broker section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from doc_sections import write_section
from proc_stats import window

from leadrelay.devkit.infra.broker import EmbeddedBroker
from leadrelay.kafka.admin import ensure_topics
from leadrelay.settings import KafkaSettings


class Load:
    """A producer at a fixed rate per topic and one reading consumer per topic, until stopped."""

    def __init__(self, bootstrap_servers: str, topics: list[str], rate: int, per_send: int) -> None:
        self.bootstrap_servers, self.topics = bootstrap_servers, topics
        self.rate, self.per_send = rate, per_send
        self.stop = asyncio.Event()
        self.received = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._clients: list[AIOKafkaConsumer | AIOKafkaProducer] = []

    async def start(self) -> None:
        await ensure_topics(KafkaSettings(bootstrap_servers=self.bootstrap_servers), self.topics, 3)
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, linger_ms=2)
        await producer.start()
        self._clients.append(producer)
        for topic in self.topics:
            consumer = AIOKafkaConsumer(
                topic,
                bootstrap_servers=self.bootstrap_servers,
                group_id=f"growth-{uuid.uuid4().hex[:8]}",
                auto_offset_reset="earliest",
                fetch_max_wait_ms=KafkaSettings().fetch_max_wait_ms,
            )
            await consumer.start()
            self._clients.append(consumer)
            self._tasks.append(asyncio.create_task(self._read(consumer)))
        self._tasks.append(asyncio.create_task(self._produce(producer)))

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        while not self.stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            self.received += sum(len(records) for records in batches.values())

    async def _produce(self, producer: AIOKafkaProducer) -> None:
        begin, sent = time.monotonic(), 0
        value = b"x" * 1000  # about the size of a LeadCaptured event
        while not self.stop.is_set():
            sent += self.per_send
            delay = begin + sent / self.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            for topic in self.topics:
                # Sent together, so they share a batch per partition.
                for key in range(sent - self.per_send, sent):
                    await producer.send(topic, value, key=str(key).encode())

    async def close(self) -> None:
        self.stop.set()
        await asyncio.gather(*self._tasks)
        for client in self._clients:
            await client.stop()


def new_topics() -> list[str]:
    """Names for three topics no earlier load wrote to."""
    return [f"growth.{uuid.uuid4().hex[:8]}.{i}" for i in range(3)]


async def measure(
    rate: int, windows: int, seconds: float, per_send: int
) -> tuple[list[tuple[int, float]], float]:
    """Broker CPU per window as the topics fill, then one window on new topics."""
    broker = EmbeddedBroker(Path(tempfile.mkdtemp(prefix="lr-growth-"))).start()
    assert broker.process is not None
    print(f"{per_send} record(s) per send:", flush=True)
    try:
        load = Load(broker.bootstrap_servers, new_topics(), rate, per_send)
        await load.start()
        filling = []
        for _ in range(windows):
            cpu = await window(broker.process.pid, seconds)
            filling.append((load.received, cpu))
            print(f"{load.received:,} records read so far: broker {cpu:.0%}", flush=True)
        await load.close()
        fresh = Load(broker.bootstrap_servers, new_topics(), rate, per_send)
        await fresh.start()
        fresh_cpu = await window(broker.process.pid, seconds)
        print(f"same load on new topics: broker {fresh_cpu:.0%}", flush=True)
        await fresh.close()
        return filling, fresh_cpu
    finally:
        broker.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=200, help="records per second per topic")
    parser.add_argument("--windows", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--batched", type=int, default=10, help="records per send in the second load")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    single, single_fresh = asyncio.run(measure(args.rate, args.windows, args.seconds, 1))
    batched, batched_fresh = asyncio.run(measure(args.rate, args.windows, args.seconds, args.batched))
    if args.write:
        rows = "\n".join(
            f"| {i * args.seconds:.0f}-{(i + 1) * args.seconds:.0f} s | {read:,} | {cpu:.0%} | {cpu10:.0%} |"
            for i, ((read, cpu), (_, cpu10)) in enumerate(zip(single, batched, strict=True))
        )
        write_section(
            "broker-growth",
            f"""## The embedded broker: fetch cost grows with what a topic holds

`bench/broker_growth.py` ({time.strftime("%Y-%m-%d")}): three topics of three partitions, {args.rate} records a second
to each (1 KB), one consumer per topic with a {KafkaSettings().fetch_max_wait_ms} ms fetch wait; the records are sent
one at a time (as a relay publishing after every commit sends them), then, on a new broker, {args.batched} at a time
(a busy relay publishing at most once per {args.batched * 1000 // args.rate} ms). The broker's CPU (share of one core)
per {args.seconds:.0f} s window, as the topics fill:

| window | records read by then | broker CPU, 1 record per send | {args.batched} records per send |
|---|---|---|---|
{rows}
| the same load on three new topics | | {single_fresh:.0%} | {batched_fresh:.0%} |

The load is constant; only what the topics hold grows. Tansu's in-memory storage keeps every produced batch as an
object and lists all of a partition's objects on each fetch that finds new data, so each fetch costs more as the
partition fills: one record per send went from {single[0][1]:.0%} of a core in the first window to {single[-1][1]:.0%}
in the last, and back to {single_fresh:.0%} for the same load on new topics; the same records {args.batched} at a time
make a few times fewer objects, and went from {batched[0][1]:.0%} to {batched[-1][1]:.0%}. The outbox relays therefore
send a pass as one batch per partition, and capture's, whose rows come one request at a time, publishes at most
once per 50 ms when busy (`LEADRELAY_<SERVICE>_OUTBOX_MIN_PASS_INTERVAL_MS`). The broker cannot delete records (DeleteRecords closes the
connection) and this build has no PostgreSQL storage engine (`FeatureNotEnabled`), so a long run on the embedded
broker still slows down, only more slowly: the end-to-end figures use fresh topics for every run.""",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
