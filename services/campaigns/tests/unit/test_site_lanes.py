"""A batch of opened cases shared out by site between lanes: nothing lost or doubled, each site in one share."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from relais_campaigns.adapters.opened_codec import RoutingKey
from relais_campaigns.domain.model import Site
from relais_campaigns.domain.routing import PostcodeRouter
from relais_campaigns.service_layer.site_lanes import shares_by_site

SITES = [Site("lyon", ("69",)), Site("marseille", ("13",)), Site("paris", ("75",)), Site("paris-15", ("75015",)),
         Site("ajaccio", ("2A",))]
ROUTER = PostcodeRouter(SITES)
keys = st.one_of(
    st.builds(RoutingKey, st.sampled_from(["69001", "13002", "75011", "75015", "33000", "20000"]),
              st.sampled_from(["69", "13", "75", "33", "2A"])),
    st.builds(RoutingKey, st.none(), st.sampled_from(["69", "13", "75", "2A", "33"])),
    st.just(RoutingKey(None, None)))


def site_of(key: RoutingKey) -> str | None:
    site = ROUTER.site_for(key.postcode, key.department) if key.department else None
    return site.site_id if site else None


@given(st.lists(keys, max_size=200), st.integers(1, 4))
def test_each_site_goes_whole_to_one_share_in_batch_order_and_nothing_is_lost(batch_keys, count) -> None:
    keyed = [(f"case-{i}".encode(), key) for i, key in enumerate(batch_keys)]
    shares = shares_by_site(keyed, router=ROUTER, count=count)
    assert len(shares) == count
    assert Counter(v for share in shares for v in share) == Counter(raw for raw, _ in keyed)
    site = {raw: site_of(key) for raw, key in keyed}
    holders = Counter(s for share in shares for s in {site[v] for v in share})
    assert max(holders.values(), default=1) == 1  # unrouted and unreadable cases (None) together too
    for share in shares:
        assert share == sorted(share, key=lambda v: int(v.decode().removeprefix("case-")))
    groups = Counter(site.values())
    sizes = [len(share) for share in shares]
    assert max(sizes) - min(sizes) <= max(groups.values(), default=0)  # biggest sites first on the lightest


def test_sites_are_spread_so_two_lanes_get_about_half_each() -> None:
    keyed = [(f"{i}".encode(), RoutingKey(f"{prefix}001", prefix)) for i in range(400)
             for prefix in ("69", "13", "75")[i % 3:i % 3 + 1]]
    keyed += [(b"x", RoutingKey("33000", "33"))] * 130 + [(b"y", RoutingKey(None, None))] * 10
    assert sorted(len(share) for share in shares_by_site(keyed, router=ROUTER, count=2)) == [267, 273]
