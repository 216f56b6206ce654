"""Process wiring shared by every service: lazily created pool and producer, readiness checks,
and the long-running pieces of a worker (outbox relay)."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import faust
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from relais_platform.config import PlatformSettings
from relais_platform.contracts import Topics
from relais_platform.db import create_pool, migrate
from relais_platform.kafka import ensure_topics, make_faust_app, make_producer, namespaced
from relais_platform.outbox import OutboxRelay

if TYPE_CHECKING:
    from relais_platform.lanes import ProcessLanes

log = structlog.get_logger(__name__)


class Resources:
    """The pool and producer of one process, created on first use, closed once."""

    def __init__(self, settings: PlatformSettings, *, schema: str) -> None:
        self.settings = settings
        self.schema = schema
        self._pool: asyncpg.Pool | None = None
        self._producer: AIOKafkaProducer | None = None
        self._admin: AIOKafkaAdminClient | None = None  # kept for /readyz: probes come every few seconds
        self._lock = asyncio.Lock()

    async def pool(self) -> asyncpg.Pool:
        """The process's asyncpg pool on the service's schema."""
        async with self._lock:
            if self._pool is None:
                s = self.settings
                self._pool = await create_pool(dsn=s.database_url, schema=self.schema,
                                               min_size=s.db_pool_min, max_size=s.db_pool_max)
            return self._pool

    async def producer(self) -> AIOKafkaProducer:
        """The process's idempotent Kafka producer, started."""
        async with self._lock:
            if self._producer is None:
                producer = make_producer(self.settings.kafka_bootstrap)
                await producer.start()
                self._producer = producer
            return self._producer

    async def close(self) -> None:
        """Release what was created."""
        if self._admin is not None:
            await self._admin.close()
            self._admin = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def readiness(self) -> dict[str, str]:
        """`ok` or the reason, for PostgreSQL and Kafka."""
        return {"postgres": await _check(self._pg_ok()), "kafka": await _check(self._kafka_ok())}

    async def _pg_ok(self) -> None:
        pool = await self.pool()
        await pool.fetchval("SELECT 1")

    async def _kafka_ok(self) -> None:
        if self._admin is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap, request_timeout_ms=2000)
            await admin.start()
            self._admin = admin
        await self._admin.describe_cluster()

    async def run_outbox_relay(self) -> None:
        """Publish this schema's outbox until cancelled (leader-elected across processes)."""
        relay = OutboxRelay(pool=await self.pool(), producer=await self.producer(), schema=self.schema,
                            poll_seconds=self.settings.outbox_poll_seconds,
                            batch_size=self.settings.outbox_batch_size,
                            topic_namespace=self.settings.topic_namespace)
        while True:
            try:
                await relay.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; restarting", schema=self.schema)
                await asyncio.sleep(1)


async def _check(probe: Any) -> str:
    try:
        await asyncio.wait_for(probe, 3)
        return "ok"
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"


async def prepare(settings: PlatformSettings, *, schema: str, migrations_dir: Path) -> None:
    """Apply migrations and create the topics: what `make up` and the test set-up run before the services."""
    applied = await migrate(dsn=settings.database_url, schema=schema, migrations_dir=migrations_dir)
    created = await ensure_topics(settings.kafka_bootstrap,
                                  [namespaced(t, settings.topic_namespace) for t in Topics.ALL])
    log.info("prepared", schema=schema, migrations=applied, topics_created=created)


# A worker allocates about ten container objects per consumed event (decoded envelope, rows, outbox bytes): with
# the default gen-0 threshold (700) the collector ran every ~70 events and walked the older generations every
# tenth time, doubling the cost of decoding a batch (measured on the billing consumer). A young collection walks
# the batch in hand, alive until its transaction ends, so its cost is set by how often it runs: at 50,000 it was
# still 6-8 % of the campaigns worker's time (py-spy), at 500,000 it no longer shows. Its objects rarely form cycles.
WORKER_GC_THRESHOLDS = (500_000, 10, 10)


def tune_gc() -> None:
    """Collect less often in a worker or relay process, and keep the objects built at start-up out of collections
    (called by their commands once everything is built, never in a test process)."""
    gc.set_threshold(*WORKER_GC_THRESHOLDS)
    gc.freeze()


def build_worker(*, app_id: str, resources: Resources, register: Callable[[faust.App, Resources], None],
                 lanes: ProcessLanes | None = None) -> faust.App:
    """A service's faust worker: its agents (from `register`), the outbox relay of its schema, and a
    clean shutdown that stops the relay before closing the pool and producer. The child processes of `lanes` are
    spawned before the worker says it is ready and stopped when it shuts down."""
    settings = resources.settings
    namespace = settings.topic_namespace
    if namespace and not app_id.endswith(namespace):
        app_id = f"{app_id}-{namespace}"  # an isolated copy never joins (and rebalances) the real group
    app = make_faust_app(app_id=app_id, bootstrap=settings.kafka_bootstrap, topic_namespace=settings.topic_namespace,
                         datadir=Path(settings.faust_datadir) / app_id)
    register(app, resources)
    relay: list[asyncio.Task[None]] = []

    @app.task
    async def outbox_relay() -> None:
        relay.append(asyncio.current_task())  # type: ignore[arg-type]
        if lanes is not None:
            await lanes.start()
        if settings.worker_ready_file:  # tells deploy/local/services.sh the worker got through start-up
            Path(settings.worker_ready_file).write_text(str(os.getpid()))  # noqa: ASYNC240 - once, tiny
        if settings.outbox_relay_in_worker:
            await resources.run_outbox_relay()

    @app.on_before_shutdown.connect
    async def close_resources(_app: Any, **_kwargs: Any) -> None:
        for task in relay:
            task.cancel()
        await asyncio.gather(*relay, return_exceptions=True)
        if lanes is not None:
            lanes.close()
        await resources.close()

    return app


async def run_relay(settings: PlatformSettings, *, schema: str) -> None:
    """The outbox relay as a process of its own (`relais-<svc> relay`), until SIGTERM or SIGINT."""
    resources = Resources(settings, schema=schema)
    relay = asyncio.create_task(resources.run_outbox_relay())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, relay.cancel)
    try:
        await relay
    except asyncio.CancelledError:
        log.info("outbox relay stopped", schema=schema)
    finally:
        await resources.close()
