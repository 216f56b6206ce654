"""Lanes: a worker's work split over processes, so one service uses more than the one core a Python process can.

Lane 0 is the worker itself; lanes 1 … count-1 are child processes, spawned (never forked from a worker with
threads and a running loop) when the worker starts and kept for its life. A lane runs an ordinary coroutine
function `fn(pool, *args)`; each child keeps one event loop and one pool on the service's schema for every call,
so a call costs the pickling of its arguments, not a new pool.
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import os
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import util
from typing import Any

import asyncpg
import structlog

from relais_platform.db import create_pool
from relais_platform.logging import configure_logging
from relais_platform.metrics import CounterValues, add_increments, counter_values, increments_since
from relais_platform.runtime import tune_gc

log = structlog.get_logger(__name__)

PARENT_CHECK_SECONDS = 0.5
LaneFn = Callable[..., Awaitable[Any]]


class ProcessLanes:
    """`count` lanes: the caller's own and `count - 1` child processes, each with a pool of `pool_size`."""

    def __init__(self, *, service: str, dsn: str, schema: str, count: int, pool_size: int = 4,
                 imports: Sequence[str] = (), log_level: str = "INFO", log_json: bool = True) -> None:
        self.count = count
        self._child = (service, dsn, schema, pool_size, tuple(imports), log_level, log_json)
        self._executor: ProcessPoolExecutor | None = None

    async def start(self) -> None:
        """Spawn the children now (each imports `imports` and freezes them out of the GC) rather than on first use."""
        if self.count > 1:
            await asyncio.gather(*(self._call(_ready) for _ in range(self.count - 1)))

    def run(self, fn: LaneFn, *args: Any) -> Awaitable[Any]:
        """`await fn(pool, *args)` in a child process (`fn` and `args` pickled; `fn` importable by name), handed to
        the child at once, before the caller's next await. What the call added to the child's counters is added to
        this process's, which Prometheus scrapes (a call that fails adds nothing: it is retried)."""
        return self._call(_run, fn, *args)

    def close(self) -> None:
        """Stop the children now, without waiting for a call still running (an intake lane may have a long file to
        go): it is abandoned as in a crash — its transaction rolls back, its caller sees BrokenProcessPool, and the
        work is resumed by the next worker (a file's lease, a batch's uncommitted offsets)."""
        if self._executor is not None:
            for process in list(self._executor._processes.values()):  # no public way to stop a busy child
                process.terminate()
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _call(self, fn: Callable[..., tuple[Any, CounterValues]], *args: Any) -> Awaitable[Any]:
        """`fn(*args)` submitted to a child now; awaiting gives its result, its counter increments added here."""
        if self._executor is None:
            self._executor = ProcessPoolExecutor(max_workers=self.count - 1,
                                                 mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_init_child, initargs=self._child)
        executor = self._executor
        try:
            submitted = asyncio.wrap_future(executor.submit(fn, *args))
        except BrokenProcessPool as exc:  # a child died before this call: the same handling as during it
            submitted = asyncio.get_running_loop().create_future()
            submitted.set_exception(exc)
        return self._outcome(executor, submitted)

    async def _outcome(self, executor: ProcessPoolExecutor, submitted: Awaitable[tuple[Any, CounterValues]]) -> Any:
        try:
            result, increments = await submitted
        except BrokenProcessPool:  # a child died (killed, out of memory, closed): new ones for the next call
            if executor is self._executor:
                log.error("a lane process died; its work is retried")
                executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
            raise
        add_increments(increments)
        return result


class _Child:
    """A child's loop and pool, kept from one call to the next."""

    def __init__(self, dsn: str, schema: str, pool_size: int) -> None:
        self.dsn, self.schema, self.pool_size = dsn, schema, pool_size
        self.runner = asyncio.Runner()
        self.pool: asyncpg.Pool | None = None
        util.Finalize(self, self.close, exitpriority=10)  # when the executor stops the child

    def run(self, fn: LaneFn, *args: Any) -> Any:
        return self.runner.run(self._call(fn, *args))

    async def _call(self, fn: LaneFn, *args: Any) -> Any:
        if self.pool is None:  # made on first use: a database not up yet fails a call, not the child
            self.pool = await create_pool(dsn=self.dsn, schema=self.schema, min_size=1, max_size=self.pool_size)
        return await fn(self.pool, *args)

    def close(self) -> None:
        if self.pool is not None:
            self.runner.run(self.pool.close())
            self.pool = None
        self.runner.close()


_child: _Child | None = None


def _init_child(service: str, dsn: str, schema: str, pool_size: int, imports: tuple[str, ...], log_level: str,
                log_json: bool) -> None:
    global _child
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="lane-parent-watch", daemon=True).start()
    configure_logging(service=f"{service}-lane", level=log_level, json=log_json)
    for name in imports:
        importlib.import_module(name)
    tune_gc()
    _child = _Child(dsn, schema, pool_size)


def _exit_with_parent(parent: int) -> None:
    """A child whose worker died (SIGKILL, out of memory) stops at once: its work is retried by the next worker,
    and it must not hold its connections and its memory, nor go on with a share nobody waits for."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _ready() -> tuple[None, CounterValues]:
    """Submitted once per child at start, so that it is spawned and initialised before the first call."""
    return None, {}


def _run(fn: LaneFn, *args: Any) -> tuple[Any, CounterValues]:
    assert _child is not None, "lanes run only in a child initialised by ProcessLanes"
    before = counter_values()
    return _child.run(fn, *args), increments_since(before)
