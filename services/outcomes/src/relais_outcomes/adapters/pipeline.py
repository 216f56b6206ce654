"""Overlap Python work with the database: prepare the next item while PostgreSQL runs the previous one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

Item = TypeVar("Item")
Prepared = TypeVar("Prepared")
Result = TypeVar("Result")


async def overlapped(items: Iterable[Item], prepare: Callable[[Item], Prepared],
                     send: Callable[[Prepared], Awaitable[Result]]) -> list[tuple[Prepared, Result]]:
    """`send(prepare(item))` for each item, in order, one round trip at a time (one connection, one
    transaction); each item is taken from `items` and prepared while the previous round trip runs, so the
    two cores work at once. Returns each prepared item with what its round trip returned.
    """
    done: list[tuple[Prepared, Result]] = []
    inflight: asyncio.Future[Result] | None = None
    previous: Prepared | None = None
    try:
        for item in items:
            prepared = prepare(item)
            if inflight is not None:
                done.append((previous, await inflight))  # type: ignore[arg-type]
            inflight, previous = asyncio.ensure_future(send(prepared)), prepared
            await asyncio.sleep(0)  # let it write its query before the next CPU-bound preparation
        if inflight is not None:
            done.append((previous, await inflight))  # type: ignore[arg-type]
            inflight = None
    finally:
        if inflight is not None and not inflight.done():  # never leave a query running on a failing transaction
            with contextlib.suppress(Exception):
                await inflight
    return done
