"""An agent's day: work order, callbacks, the local day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from relais_campaigns.domain.model import QueuedCase, priority_key
from relais_campaigns.domain.worklist import WorkItem, day_window, worklist_for_day, worklist_order
from relais_platform.contracts import Channel

T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)


def item(*, priority: int = 0, amount: int = 1000, age_h: int = 0, callback_at: datetime | None = None) -> WorkItem:
    case = QueuedCase(case_id=uuid.uuid4(), site_id="s1", channel=Channel.PHONE, campaign_priority=priority,
                      amount_due_cents=amount, opened_at=T0 - timedelta(hours=age_h))
    return WorkItem(case=case, callback_at=callback_at)


def test_priority_then_amount_then_age() -> None:
    a = item(priority=1, amount=100)
    b = item(priority=2, amount=50)
    c = item(priority=1, amount=900)
    d = item(priority=1, amount=100, age_h=5)
    assert worklist_order([a, b, c, d], due_before=T0) == [b, c, d, a]


def test_callbacks_due_come_first_earliest_first() -> None:
    urgent = item(priority=9)
    later_cb = item(callback_at=T0 + timedelta(hours=3))
    early_cb = item(callback_at=T0 + timedelta(hours=1))
    assert worklist_order([urgent, later_cb, early_cb], due_before=T0 + timedelta(days=1)) == [
        early_cb, later_cb, urgent]


def test_a_callback_not_due_yet_does_not_jump_the_queue() -> None:
    urgent = item(priority=9)
    tomorrow = item(callback_at=T0 + timedelta(days=2))
    assert worklist_order([tomorrow, urgent], due_before=T0 + timedelta(hours=12)) == [urgent, tomorrow]


def test_the_day_is_the_sites_local_day_across_dst() -> None:
    start, end = day_window(date(2025, 3, 30), "Europe/Paris")  # spring forward: a 23-hour day
    assert start == datetime(2025, 3, 29, 23, tzinfo=UTC)
    assert end - start == timedelta(hours=23)
    start, end = day_window(date(2025, 3, 30), "America/Martinique")
    assert start == datetime(2025, 3, 30, 4, tzinfo=UTC)
    assert end - start == timedelta(hours=24)


def test_a_customer_who_asked_for_a_later_day_is_left_out_of_today() -> None:
    day = date(2025, 3, 4)  # Paris: 2025-03-03T23:00Z .. 2025-03-04T23:00Z
    today_cb = item(callback_at=datetime(2025, 3, 4, 16, tzinfo=UTC))
    tomorrow_cb = item(callback_at=datetime(2025, 3, 4, 23, 30, tzinfo=UTC))
    overdue_cb = item(callback_at=datetime(2025, 3, 1, 10, tzinfo=UTC))
    plain = item(priority=9)
    assert worklist_for_day([plain, tomorrow_cb, today_cb, overdue_cb], day=day, zone="Europe/Paris") == [
        overdue_cb, today_cb, plain]


@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 10_000), st.integers(0, 100)), max_size=30))
def test_without_callbacks_the_order_is_the_priority_order(specs) -> None:
    items = [item(priority=p, amount=a, age_h=h) for p, a, h in specs]
    ordered = worklist_order(items, due_before=T0)
    assert [priority_key(i.case) for i in ordered] == sorted(priority_key(i.case) for i in items)
