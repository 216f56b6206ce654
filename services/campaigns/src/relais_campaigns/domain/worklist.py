"""An agent's work for one day: callbacks that fall due first, then the most urgent cases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from relais_campaigns.domain.model import QueuedCase, priority_key


@dataclass(frozen=True, slots=True)
class WorkItem:
    """A held case with the callback its customer asked for, if one is pending."""

    case: QueuedCase
    callback_at: datetime | None = None


def day_window(day: date, zone: str) -> tuple[datetime, datetime]:
    """Start and end (exclusive), in UTC, of `day` as lived in time zone `zone` (DST-aware)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def due_by(item: WorkItem, end: datetime) -> bool:
    """False only for a case whose customer asked to be called back after `end`."""
    return item.callback_at is None or item.callback_at < end


def worklist_order(items: Iterable[WorkItem], *, due_before: datetime) -> list[WorkItem]:
    """Callbacks due before `due_before` first (earliest first), then campaign priority desc,
    amount due desc, oldest case first."""
    def key(item: WorkItem) -> tuple[int, datetime, tuple[int, int, datetime, str]]:
        callback_due = item.callback_at is not None and item.callback_at < due_before
        anchor = item.callback_at if callback_due and item.callback_at else datetime.min.replace(tzinfo=UTC)
        return (0 if callback_due else 1, anchor, priority_key(item.case))

    return sorted(items, key=key)


def worklist_for_day(items: Iterable[WorkItem], *, day: date, zone: str) -> list[WorkItem]:
    """The day's list in work order, leaving out customers who asked to be called back on a later day."""
    _start, end = day_window(day, zone)
    return worklist_order([i for i in items if due_by(i, end)], due_before=end)
