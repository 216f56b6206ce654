"""Processes that take part of a big file next to the intake worker: a file's chunks are read, validated and
written by several lanes at once, each in a process of its own (the worker itself runs the first), so one
partner's million rows use more than the one core a Python process can.

A lane is an ordinary coroutine run in a child process with a pool of its own; the children are spawned (never
forked from a worker with threads and a running loop) when the worker starts and kept for every file after.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import asyncpg
import structlog

from relais_platform.db import create_pool
from relais_platform.logging import configure_logging
from relais_platform.runtime import tune_gc

log = structlog.get_logger(__name__)

LANE_POOL_SIZE = 4  # a lane's transaction, the chunk fetch of its reading thread, its listener, one spare


class FileLanes:
    """`count` lanes: the worker's own and `count - 1` child processes; files smaller than `min_bytes` take one."""

    def __init__(self, *, dsn: str, schema: str, count: int, min_bytes: int, log_level: str = "INFO",
                 log_json: bool = True) -> None:
        self.dsn, self.schema, self.count, self.min_bytes = dsn, schema, count, min_bytes
        self._log = (log_level, log_json)
        self._executor: ProcessPoolExecutor | None = None

    def lanes_for(self, size: int) -> int:
        """How many lanes a file of `size` bytes takes."""
        return self.count if size >= self.min_bytes else 1

    async def start(self) -> None:
        """Spawn the child processes now rather than when the first big file is already being read."""
        if self.count > 1:
            await asyncio.gather(*(self._submit(_ready) for _ in range(self.count - 1)))

    async def run(self, lane: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """`await lane(pool, *args)` in a child process (`lane` and `args` pickled), with a pool on the schema."""
        return await self._submit(_run_with_pool, self.dsn, self.schema, lane, *args)

    def close(self) -> None:
        """Stop the child processes (a lane still running is waited for: it stops at its next chunk)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    async def _submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(max_workers=self.count - 1,
                                                 mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_init_child, initargs=self._log)
        try:
            return await asyncio.wrap_future(self._executor.submit(fn, *args))
        except BrokenProcessPool:  # a child died (killed, out of memory): new ones for the next file
            log.error("a file lane process died; its file is resumed when its lease runs out")
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
            raise


def _init_child(log_level: str, log_json: bool) -> None:
    configure_logging(service="relais-intake-lane", level=log_level, json=log_json)
    tune_gc()


def _ready() -> None:
    """Submitted once per child at start, so that it is spawned and has imported what lanes run."""
    import relais_intake.service_layer.file_processing  # noqa: F401 - the import is the point


def _run_with_pool(dsn: str, schema: str, lane: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    async def with_pool() -> Any:
        pool: asyncpg.Pool = await create_pool(dsn=dsn, schema=schema, min_size=1, max_size=LANE_POOL_SIZE)
        try:
            return await lane(pool, *args)
        finally:
            await pool.close()

    return asyncio.run(with_pool())
