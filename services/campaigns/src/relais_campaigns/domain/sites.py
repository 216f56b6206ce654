"""What makes a site definition valid."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from zoneinfo import available_timezones

from relais_campaigns.domain.routing import is_valid_prefix


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_time_zone(zone: str) -> bool:
    """True for an IANA zone name known to this system's tz database."""
    return zone in _zones()


def normalize_prefixes(prefixes: Iterable[str]) -> tuple[str, ...]:
    """Distinct prefixes, sorted; raises ValueError naming the first invalid one."""
    cleaned = []
    for prefix in prefixes:
        if not is_valid_prefix(prefix):
            raise ValueError(f"{prefix!r} is not 1-5 postcode digits nor 2A/2B")
        cleaned.append(prefix)
    return tuple(sorted(set(cleaned)))
