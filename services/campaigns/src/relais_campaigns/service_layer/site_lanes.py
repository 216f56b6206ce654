"""A batch of opened cases shared out by site between lanes (the worker and its child processes,
`relais_platform.lanes`), each share decoded and applied in a transaction of its own, all at once.

Cases are keyed by case on Kafka, so every batch holds cases of every site; a second consumer or worker would lock
the same agents and wait. Shared out by the site that covers them, the lanes lock disjoint agents and run side by
side. The split is only about speed: every share still takes its agents' locks, so a share routed with sites
that changed meanwhile (or a case whose fields could not be read) is only slower, never wrong.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from relais_campaigns.adapters import staff_repo
from relais_campaigns.adapters.opened_codec import RoutingKey, decode_opened
from relais_campaigns.domain.routing import PostcodeRouter
from relais_campaigns.service_layer.case_events import open_cases


def shares_by_site(keyed: Sequence[tuple[bytes, RoutingKey]], *, router: PostcodeRouter,
                   count: int) -> list[list[bytes]]:
    """`count` shares of the batch, in batch order, each site's cases (and the unrouted ones) in one share only; the
    sites placed biggest first on the lightest share."""
    site_of = functools.cache(functools.partial(_site_id, router))  # a batch holds many cases of each postcode
    sites = [site_of(key) for _, key in keyed]
    loads, share_of = [0] * count, {}
    for site, size in sorted(Counter(sites).items(), key=lambda item: item[1], reverse=True):
        share_of[site] = lightest = loads.index(min(loads))
        loads[lightest] += size
    shares: list[list[bytes]] = [[] for _ in range(count)]
    for (raw, _), site in zip(keyed, sites, strict=True):
        shares[share_of[site]].append(raw)
    return shares


def _site_id(router: PostcodeRouter, key: RoutingKey) -> str | None:
    site = router.site_for(key.postcode, key.department) if key.department else None
    return site.site_id if site else None


async def router_of(pool: asyncpg.Pool) -> PostcodeRouter:
    """The sites as they are now, to share a batch out."""
    async with pool.acquire() as conn:
        return PostcodeRouter(await staff_repo.load_sites(conn))


async def open_share(pool: asyncpg.Pool, values: list[bytes], now: datetime, consumer: str) -> int:
    """Decode and apply one share in its own transaction; the cases that were new."""
    cases = decode_opened(values, consumer=consumer)
    if not cases:
        return 0
    async with pool.acquire() as conn, conn.transaction():
        return await open_cases(conn=conn, cases=cases, consumer=consumer, now=now)
