"""Prometheus metrics of the processes that serve no HTTP API (stream workers, outbox relays): a `/metrics` endpoint
of their own on `RELAIS_METRICS_PORT`, and the counters their lanes' child processes move, added to the worker's.

Counters that a worker, a relay or a lane moves are made with `counter`: a lane's child process has its own copy of
every counter, which no scrape reaches, so each call's increments travel back with its result (`increments_since`)
and are added to the worker's (`add_increments`), the process Prometheus scrapes.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from prometheus_client import Counter, start_http_server

from relais_platform.config import PlatformSettings

log = structlog.get_logger(__name__)

# (counter name, its labels as sorted (name, value) pairs) -> count
CounterValues = dict[tuple[str, tuple[tuple[str, str], ...]], float]

_COUNTERS: dict[str, Counter] = {}


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
    """A Prometheus counter whose increments in a lane's child process reach the worker's `/metrics`."""
    made = _COUNTERS[name] = Counter(name, documentation, labelnames)
    return made


def counter_values() -> CounterValues:
    """Every `counter`'s current count in this process, per label set."""
    values: CounterValues = {}
    for name, made in _COUNTERS.items():
        for metric in made.collect():
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    values[(name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def increments_since(before: CounterValues) -> CounterValues:
    """What each count grew by since `before` (the counts `counter_values` gave then)."""
    increments = {}
    for key, value in counter_values().items():
        if value != before.get(key, 0.0):
            increments[key] = value - before.get(key, 0.0)
    return increments


def add_increments(increments: CounterValues) -> None:
    """Add another process's increments (`increments_since`) to this process's counters."""
    for (name, labels), amount in increments.items():
        made = _COUNTERS.get(name)
        if made is None:  # a counter of a module this process never imported: nobody scrapes it here either
            log.warning("lane counter unknown to the worker; its increments are dropped", counter=name)
            continue
        (made.labels(**dict(labels)) if labels else made).inc(amount)


def serve_metrics(settings: PlatformSettings) -> None:
    """Serve this process's metrics on `settings.metrics_port` (a thread of its own) unless it is 0."""
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.http_host)
        log.info("metrics served", url=f"http://{settings.http_host}:{settings.metrics_port}/metrics")
