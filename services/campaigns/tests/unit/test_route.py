"""Visit routes: grouped by postcode, short paths on coordinates (measured against the naive order)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from relais_campaigns.domain.route import Stop, nearest_neighbour, path_length_km, route_order, short_path, two_opt


def scattered(n: int, seed: int) -> list[Stop]:
    rng = random.Random(seed)  # a 10 km x 10 km town around Paris 11e
    return [Stop(key=f"s{i}", area="75011", street=f"{i} rue", latitude=48.80 + rng.random() * 0.09,
                 longitude=2.30 + rng.random() * 0.135) for i in range(n)]


def test_the_route_is_far_shorter_than_the_naive_order() -> None:
    ratios = []
    for seed in range(10):
        stops = scattered(60, seed)
        naive, routed = path_length_km(stops), path_length_km(short_path(stops))
        ratios.append(routed / naive)
    mean = sum(ratios) / len(ratios)
    print(f"route length / naive order, 60 stops, mean of 10 towns: {mean:.2f}")
    assert max(ratios) < 0.35  # a random order of 60 stops is ~4x longer than a good path


def test_two_opt_never_lengthens_nearest_neighbour() -> None:
    for seed in range(10):
        nn = nearest_neighbour(scattered(40, seed))
        assert path_length_km(two_opt(nn)) <= path_length_km(nn) + 1e-9


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 25), seed=st.integers(0, 10_000))
def test_a_route_visits_every_stop_once_starting_from_the_first(n: int, seed: int) -> None:
    stops = scattered(n, seed)
    path = short_path(stops)
    assert sorted(s.key for s in path) == sorted(s.key for s in stops)
    assert not stops or path[0] == stops[0]


def test_areas_by_postcode_and_streets_when_there_are_no_coordinates() -> None:
    stops = [Stop("a", "75012", "9 rue B"), Stop("b", "75011", "3 rue Z"), Stop("c", "75011", "1 rue A"),
             Stop("d", "75011", "5 rue C", 48.85, 2.37)]
    assert [s.key for s in route_order(stops, lambda s: s)] == ["d", "c", "b", "a"]
