"""Kafka plumbing: topic creation, the idempotent producer and its partitioner, the faust app and the at-least-once
bulk consumer."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from murmurhash2 import murmurhash2 as _murmurhash2

from relais_platform.contracts import Topics
from relais_platform.ids import derived_id
from relais_platform.metrics import counter

log = structlog.get_logger(__name__)

BATCH_FAILURES = counter("relais_consumer_batch_failures_total", "Batches that failed and were retried", ["consumer"])

DEFAULT_PARTITIONS = 6


async def ensure_topics(bootstrap: str, topics: Sequence[str] = Topics.ALL, *, partitions: int = DEFAULT_PARTITIONS,
                        replication: int = 1) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            try:
                await admin.create_topics([NewTopic(t, partitions, replication) for t in missing])
            except TopicAlreadyExistsError:
                pass  # another process won the race: fine
        return missing
    finally:
        await admin.close()


async def delete_namespace(bootstrap: str, namespace: str) -> list[str]:
    """Delete every topic of a topic namespace (a benchmark's or a test's private copy of the topics); returns
    their names. A namespace left behind keeps its records on disk for the retention time: gigabytes a run."""
    if not namespace:
        raise ValueError("the contract topics themselves are not a namespace to delete")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = sorted(t for t in await admin.list_topics() if t.startswith(f"{namespace}."))
        if names:
            await admin.delete_topics(names)
        return names
    finally:
        await admin.close()


def make_producer(bootstrap: str, **overrides: Any) -> AIOKafkaProducer:
    """An idempotent producer (acks=all): a retried send never duplicates a record on the broker."""
    options: dict[str, Any] = {"enable_idempotence": True, "acks": "all", "linger_ms": 5,
                               "compression_type": None, "max_batch_size": 256 * 1024}
    options.update(overrides)
    return AIOKafkaProducer(bootstrap_servers=bootstrap, **options)


_KAFKA_SEED = 0x9747B28C


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 hash of a key (the Java client's `Utils.murmur2`, unsigned), in C: ~0.2 µs a key against
    2.8 µs for the same loop in Python, which the relay paid once per record."""
    return _murmurhash2(data, _KAFKA_SEED)


def partition_for(key: bytes, partitions: Sequence[int]) -> int:
    """The partition Kafka's default partitioner gives a keyed record (Java client, librdkafka, aiokafka)."""
    return partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]


def namespaced(topic: str, namespace: str = "") -> str:
    """The real Kafka name of a contract topic in a namespace ("" = the contract name itself)."""
    return f"{namespace}.{topic}" if namespace else topic


class RelaisApp(faust.App):
    """A faust app whose topics live in the process's topic namespace."""

    topic_namespace: str = ""
    consumed_topics: dict[str, str]  # real topic name -> consumer name, filled by consume_in_batches

    def topic(self, *topics: str, **kwargs: Any) -> Any:
        """Same as faust's, with every name namespaced."""
        return super().topic(*(namespaced(t, self.topic_namespace) for t in topics), **kwargs)


def make_faust_app(*, app_id: str, bootstrap: str, datadir: str | Path | None = None, topic_namespace: str = "",
                   **overrides: Any) -> RelaisApp:
    """A faust app that consumes raw bytes, commits only acked offsets, and has no web server of its own.

    Its data directory defaults to the temp dir (faust would otherwise write `<app_id>-data/` into the cwd).
    """
    datadir = Path(datadir) if datadir else Path(tempfile.gettempdir()) / "relais-faust" / app_id
    datadir.parent.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {
        "broker": f"kafka://{bootstrap}",
        "datadir": str(datadir),
        "value_serializer": "raw",
        "key_serializer": "raw",
        "web_enabled": False,
        "consumer_auto_offset_reset": "earliest",
        "topic_partitions": DEFAULT_PARTITIONS,
        "topic_allow_declare": False,
        "broker_commit_interval": 1.0,
        "stream_wait_empty": True,
        "producer_acks": -1,
    }
    options.update(overrides)
    app = RelaisApp(app_id, **options)
    app.topic_namespace = topic_namespace
    app.consumed_topics = {}
    return app


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    """A consumed Kafka record with its log position, for consumers that need more than the value
    (partners route their raw records with keys and headers)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]

    @property
    def record_id(self) -> uuid.UUID:
        """A stable id of the record (its log position): take it once however often it is delivered."""
        return derived_id("kafka-record", self.topic, self.partition, self.offset)

    @classmethod
    def of(cls, message: Any) -> KafkaRecord:
        """From a consumed record (aiokafka's ConsumerRecord, or a faust message: both carry these fields)."""
        items = message.headers.items() if isinstance(message.headers, dict) else (message.headers or [])
        headers = [(str(k), v if isinstance(v, bytes) else str(v).encode()) for k, v in items]
        return cls(topic=message.topic, partition=message.partition, offset=message.offset, key=message.key,
                   value=message.value, headers=headers)


BatchHandler = Callable[[list[Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class StagedHandler:
    """A batch handler in two stages: `prepare` (CPU only — decode, validate, build rows; no I/O, no state) and
    `apply` (the one transaction). The bulk consumer prepares batch N+1 in a thread of its own while batch N's
    transaction runs, so the worker's CPU and PostgreSQL's work at the same time. Called directly, it runs both.
    """

    prepare: Callable[[list[Any]], Any]
    apply: Callable[[Any], Awaitable[None]]

    async def __call__(self, batch: list[Any]) -> None:
        """Prepare then apply one batch."""
        await self.apply(self.prepare(batch))


def consume_in_batches(app: RelaisApp, topic: str, handler: BatchHandler | StagedHandler, *, consumer: str,
                       max_batch: int = 5000, records: bool = False, members: int = 1) -> None:
    """Run `handler` on batches of `topic` in the worker `app` (one of its tasks), at least once, in order per
    partition; an offset is committed only after the batch's handler returned.

    The records are fetched with aiokafka's `getmany` in a consumer group of their own, `<app id>.<topic>`:
    faust's stream machinery costs ~80 µs a record (12k records/s measured on a 2-core machine, against
    198k for `getmany` on the same topic), which the bulk topics — one record per case or attempt — cannot
    afford. The handler gets raw values, or KafkaRecords with `records=True`; it does all its side effects
    in one DB transaction and must be idempotent (a record is redelivered after a crash or a rebalance).
    A StagedHandler's next batch is fetched and prepared while the current one is applied.

    `members` > 1 runs that many consumers of the group in this process, each with the partitions Kafka gives
    it, so as many transactions run at once (the database has more than one core); a handler that takes
    locks must take them in a consistent order.
    """
    real_topic = namespaced(topic, app.topic_namespace)
    app.consumed_topics[real_topic] = consumer
    staged = handler if isinstance(handler, StagedHandler) else StagedHandler(prepare=list, apply=handler)

    async def run() -> None:
        await asyncio.gather(*(
            _consume(bootstrap=_bootstrap_of(app), topic=real_topic, group_id=f"{app.conf.id}.{topic}",
                     handler=staged, consumer=consumer, max_batch=max_batch, records=records)
            for _ in range(members)))

    run.__name__ = run.__qualname__ = f"consume_{consumer}"
    app.task(run)


def _bootstrap_of(app: faust.App) -> str:
    return ",".join(f"{url.host}:{url.port or 9092}" for url in app.conf.broker)


Fetched = dict[Any, list[Any]]


async def _consume(*, bootstrap: str, topic: str, group_id: str, handler: StagedHandler, consumer: str,
                   max_batch: int, records: bool) -> None:
    kafka = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False,
                             auto_offset_reset="earliest", max_partition_fetch_bytes=8 << 20,
                             fetch_max_bytes=64 << 20)
    preparer = ThreadPoolExecutor(1, thread_name_prefix=f"prepare-{consumer}")
    loop = asyncio.get_running_loop()

    async def prepared(fetched: Fetched) -> Any:
        got = [r for partition in fetched.values() for r in partition]
        batch = [KafkaRecord.of(r) for r in got] if records else [r.value for r in got]
        try:
            return await loop.run_in_executor(preparer, handler.prepare, batch)
        except Exception:  # a bug in preparing: apply retries the whole handler (and logs) until it works
            return _Unprepared(batch)

    await kafka.start()
    log.info("consuming", topic=topic, group=group_id)
    try:
        fetched: Fetched = {}
        while True:
            if not fetched:
                fetched = await kafka.getmany(timeout_ms=1000, max_records=max_batch)
                current = await prepared(fetched) if fetched else None
                continue
            applying = asyncio.ensure_future(_apply(handler, current, consumer=consumer))
            await asyncio.sleep(0)  # the apply's first step (handing work to other processes) before the parse below
            upcoming = await kafka.getmany(timeout_ms=0, max_records=max_batch)  # already buffered: parsed at once
            following = await prepared(upcoming) if upcoming else None  # while the transaction runs
            await applying
            await _commit(kafka, fetched, consumer=consumer)
            fetched, current = upcoming, following
    finally:
        preparer.shutdown(wait=False, cancel_futures=True)
        await kafka.stop()


@dataclass(frozen=True, slots=True)
class _Unprepared:
    batch: list[Any]


async def _commit(kafka: AIOKafkaConsumer, fetched: Fetched, *, consumer: str) -> None:
    try:
        await kafka.commit({tp: rs[-1].offset + 1 for tp, rs in fetched.items()})
    except KafkaError as exc:  # a rebalance took the partitions: their new owner gets the records again
        log.warning("offsets not committed; the records will be redelivered", consumer=consumer,
                    error=type(exc).__name__)


async def _apply(handler: StagedHandler, prepared: Any, *, consumer: str, max_backoff: float = 5.0) -> None:
    """Apply a prepared batch until it succeeds: a failure (database down, say) is retried with backoff, forever,
    so a record is never committed before its effects are durable."""
    backoff = 0.1
    while True:
        try:
            if isinstance(prepared, _Unprepared):
                await handler(prepared.batch)
            else:
                await handler.apply(prepared)
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            BATCH_FAILURES.labels(consumer).inc()
            log.exception("batch failed, retrying", consumer=consumer, backoff=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, max_backoff)
