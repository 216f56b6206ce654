"""Metrics of processes without an HTTP API: counters whose increments travel from a lane's child to its worker,
and a /metrics endpoint of their own."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from relais_platform import metrics
from relais_platform.config import PlatformSettings
from relais_platform.metrics import add_increments, counter, counter_values, increments_since, serve_metrics

WORK_DONE = counter("relais_test_work_done_total", "Work done by a test", ["kind"])
PLAIN = counter("relais_test_plain_total", "A counter without labels")


def test_increments_are_what_each_count_grew_by_and_add_up_elsewhere() -> None:
    before = counter_values()
    WORK_DONE.labels("visit").inc(2)
    WORK_DONE.labels("call").inc()
    PLAIN.inc(4)
    increments = increments_since(before)
    assert increments == {("relais_test_work_done_total", (("kind", "visit"),)): 2.0,
                          ("relais_test_work_done_total", (("kind", "call"),)): 1.0,
                          ("relais_test_plain_total", ()): 4.0}
    assert increments_since(counter_values()) == {}  # nothing moved since

    add_increments(increments)  # as the worker does with its lane's: the same counters, grown again
    assert increments_since(before)[("relais_test_work_done_total", (("kind", "visit"),))] == 4.0
    assert increments_since(before)[("relais_test_plain_total", ())] == 8.0


def test_increments_of_a_counter_this_process_never_made_are_dropped() -> None:
    before = counter_values()
    add_increments({("relais_test_never_imported", ()): 1.0})
    assert increments_since(before) == {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_process_serves_its_metrics_on_its_metrics_port() -> None:
    port = _free_port()
    PLAIN.inc()
    count = PLAIN._value.get()
    serve_metrics(PlatformSettings(env="test", metrics_port=port))
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    assert "relais_test_plain_total" in text
    assert f"relais_test_plain_total {count}" in text.splitlines()  # this process's count, as it is now
    assert "# TYPE relais_consumer_poison_events_total counter" in text  # the platform's counters too


def test_no_metrics_port_serves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []
    monkeypatch.setattr(metrics, "start_http_server", lambda port, addr: started.append(port))
    serve_metrics(PlatformSettings(env="test"))  # metrics_port 0: no server, no error
    assert started == []
    serve_metrics(PlatformSettings(env="test", metrics_port=9100))
    assert started == [9100]
