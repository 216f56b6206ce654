"""Routing: which site covers a case."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from relais_campaigns.domain.model import Site
from relais_campaigns.domain.routing import (
    PostcodeRouter,
    is_valid_prefix,
    match_strength,
    site_covers,
    site_for_postcode,
)
from relais_campaigns.domain.sites import is_valid_time_zone, normalize_prefixes

PARIS = Site("paris", ("75",))
PARIS_15 = Site("paris-15", ("75015",))
MARSEILLE = Site("marseille", ("13", "130"))
AJACCIO = Site("ajaccio", ("2A",))
CORSE = Site("corse", ("20",))
SITES = [PARIS, PARIS_15, MARSEILLE, AJACCIO, CORSE]


def test_the_longest_matching_prefix_wins() -> None:
    assert site_for_postcode("75015", "75", SITES) == PARIS_15
    assert site_for_postcode("75011", "75", SITES) == PARIS


def test_a_postcode_no_site_covers_is_unrouted() -> None:
    assert site_for_postcode("69001", "69", SITES) is None
    assert site_for_postcode("75015", "75", []) is None


def test_a_corsican_department_code_matches_the_department_not_the_postcode() -> None:
    assert site_for_postcode("20000", "2A", SITES) == AJACCIO
    assert site_for_postcode("20200", "2B", SITES) == CORSE  # 2B is not Ajaccio's: the "20" prefix covers it


def test_a_department_code_beats_two_digits_and_loses_to_three() -> None:
    bastia_port = Site("bastia-port", ("202",))
    assert site_for_postcode("20000", "2A", [CORSE, AJACCIO]) == AJACCIO
    assert site_for_postcode("20200", "2B", [AJACCIO, bastia_port, CORSE]) == bastia_port


def test_without_postcode_the_department_is_matched_by_prefixes_no_longer_than_it() -> None:
    assert site_for_postcode(None, "75", SITES) == PARIS
    assert site_for_postcode(None, "2A", SITES) == AJACCIO
    assert site_for_postcode(None, "971", [Site("gp", ("97",))]) == Site("gp", ("97",))
    assert site_for_postcode(None, "13", [Site("x", ("130",))]) is None


def test_ties_go_to_the_smallest_site_id() -> None:
    a, b = Site("b-site", ("69",)), Site("a-site", ("69",))
    assert site_for_postcode("69001", "69", [a, b]) == b


def test_match_strength_and_site_covers() -> None:
    assert match_strength("130", postcode="13001", department="13") == (3, 0)
    assert match_strength("131", postcode="13001", department="13") is None
    assert site_covers(MARSEILLE, postcode="13008", department="13")
    assert not site_covers(MARSEILLE, postcode="83000", department="83")


def test_prefix_validation() -> None:
    for good in ("7", "75", "75015", "2A", "2B", "97"):
        assert is_valid_prefix(good), good
    for bad in ("", "750150", "2C", "2a", "A1", " 75", "75 "):
        assert not is_valid_prefix(bad), bad
    assert normalize_prefixes(["75", "2A", "75"]) == ("2A", "75")


def test_time_zone_validation() -> None:
    assert is_valid_time_zone("Europe/Paris")
    assert is_valid_time_zone("America/Guadeloupe")
    assert not is_valid_time_zone("Europe/Lyon")
    assert not is_valid_time_zone("")


prefixes = st.text(alphabet="0123456789", min_size=1, max_size=5)
site_lists = st.lists(st.tuples(st.sampled_from("abcdefgh"), st.lists(prefixes, min_size=1, max_size=3)),
                      max_size=6, unique_by=lambda t: t[0])


@given(site_lists, st.text(alphabet="0123456789", min_size=5, max_size=5))
def test_the_chosen_site_covers_the_postcode_and_no_site_covers_it_more_specifically(raw, postcode) -> None:
    sites = [Site(sid, tuple(p)) for sid, p in raw]
    chosen = site_for_postcode(postcode, postcode[:2], sites)
    matches = [len(p) for s in sites for p in s.postcode_prefixes if postcode.startswith(p)]
    if not matches:
        assert chosen is None
        return
    assert chosen is not None
    assert max(len(p) for p in chosen.postcode_prefixes if postcode.startswith(p)) == max(matches)


any_prefix = st.one_of(st.text(alphabet="0123", min_size=1, max_size=5), st.sampled_from(["2A", "2B", "20", "2"]))
any_sites = st.lists(st.tuples(st.sampled_from("abcdefgh"), st.lists(any_prefix, min_size=1, max_size=4)),
                     max_size=8, unique_by=lambda t: t[0])
case_places = st.one_of(
    st.tuples(st.text(alphabet="0123", min_size=5, max_size=5), st.sampled_from(["20", "2A", "2B", "01", "97"])),
    st.tuples(st.none(), st.sampled_from(["2A", "2B", "20", "01", "013", "974"])))


@settings(max_examples=500)
@given(any_sites, case_places)
def test_the_router_picks_the_site_the_scan_picks(raw, place) -> None:
    sites = [Site(sid, tuple(p)) for sid, p in raw]
    postcode, department = place
    assert PostcodeRouter(sites).site_for(postcode, department) == site_for_postcode(postcode, department, sites)
