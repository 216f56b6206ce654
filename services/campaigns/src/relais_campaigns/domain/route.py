"""Ordering a day's visits as a route: grouped by area (postcode), each area walked as a short path
(nearest neighbour, then 2-opt) when coordinates are known, else by street."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

EARTH_RADIUS_KM = 6371.0
MAX_TWO_OPT_POINTS = 300  # beyond, nearest neighbour alone (2-opt is quadratic per pass)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Stop:
    """A place to visit: its area (postcode), street line, and coordinates when the partner gave them."""

    key: str
    area: str
    street: str
    latitude: float | None = None
    longitude: float | None = None

    @property
    def located(self) -> bool:
        """True when the stop has coordinates."""
        return self.latitude is not None and self.longitude is not None


def distance_km(a: Stop, b: Stop) -> float:
    """Great-circle distance between two located stops."""
    assert a.latitude is not None and a.longitude is not None and b.latitude is not None and b.longitude is not None
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def path_length_km(stops: Sequence[Stop]) -> float:
    """Length of the open path through located stops, in order."""
    located = [s for s in stops if s.located]
    return sum(distance_km(a, b) for a, b in itertools.pairwise(located))


def nearest_neighbour(stops: Sequence[Stop]) -> list[Stop]:
    """A path from the first stop, always to the closest stop not yet visited."""
    if not stops:
        return []
    path, rest = [stops[0]], list(stops[1:])
    while rest:
        here = path[-1]
        nxt = min(rest, key=lambda s: distance_km(here, s))
        rest.remove(nxt)
        path.append(nxt)
    return path


def two_opt(path: list[Stop], *, max_passes: int = 20) -> list[Stop]:
    """Reverse segments of an open path while that shortens it (first improvement, bounded passes)."""
    best = list(path)
    n = len(best)
    for _ in range(max_passes):
        improved = False
        for i in range(n - 2):
            for j in range(i + 2, n):
                a, b = best[i], best[i + 1]
                c, d = best[j], best[j + 1] if j + 1 < n else None
                before = distance_km(a, b) + (distance_km(c, d) if d else 0.0)
                after = distance_km(a, c) + (distance_km(b, d) if d else 0.0)
                if after < before - 1e-9:
                    best[i + 1:j + 1] = reversed(best[i + 1:j + 1])
                    improved = True
        if not improved:
            break
    return best


def short_path(stops: Sequence[Stop]) -> list[Stop]:
    """A short open path through located stops: nearest neighbour improved by 2-opt."""
    path = nearest_neighbour(stops)
    return two_opt(path) if len(path) <= MAX_TWO_OPT_POINTS else path


def route_order(items: Sequence[T], stop_of: Callable[[T], Stop]) -> list[T]:
    """`items` in route order: areas by postcode, located stops of an area as a short path starting from
    its most urgent one (the first given), then the others by street."""
    by_area: dict[str, list[T]] = {}
    for item in items:
        by_area.setdefault(stop_of(item).area, []).append(item)
    ordered: list[T] = []
    for area in sorted(by_area):
        group = by_area[area]
        located = [i for i in group if stop_of(i).located]
        index = {stop_of(i).key: i for i in located}
        ordered += [index[s.key] for s in short_path([stop_of(i) for i in located])]
        ordered += sorted((i for i in group if not stop_of(i).located), key=lambda i: stop_of(i).street)
    return ordered
