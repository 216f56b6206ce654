"""Where the service reads the time: the system clock, optionally shifted (local/test stacks only), or a
clock a test sets by hand. Injected through bootstrap so contact rules can be exercised at any moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current instant."""

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock plus an offset (zero in production; settable in local and test mode)."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        return datetime.now(UTC) + self.offset

    def set_now(self, moment: datetime) -> None:
        """Shift the clock so that it reads `moment` now (it keeps running from there)."""
        self.offset = moment - datetime.now(UTC)


class ManualClock:
    """A clock that stands still until told otherwise (unit and integration tests)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        """The instant the clock was set to."""
        return self.moment

    def set_now(self, moment: datetime) -> None:
        """Move the clock to `moment`."""
        self.moment = moment

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by `delta`; returns the new instant."""
        self.moment += delta
        return self.moment
