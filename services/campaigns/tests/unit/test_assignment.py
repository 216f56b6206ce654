"""Choosing the agent who takes a case, planning a queue, giving cases back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from relais_campaigns.domain.assignment import (
    cases_to_release,
    choose_agent,
    free_slots,
    plan_assignments,
    plan_others_first,
    reassignment_refusal,
)
from relais_campaigns.domain.model import Agent, AgentLoad, HeldCase, QueuedCase, priority_key
from relais_platform.contracts import Channel

T0 = datetime(2025, 3, 3, 9, tzinfo=UTC)
PHONE, DOOR = Channel.PHONE, Channel.DOOR_TO_DOOR


def agent(agent_id: str, *, capacity: int = 5, channels=(PHONE, DOOR), site: str = "s1", active: bool = True):
    return Agent(agent_id=agent_id, site_id=site, channels=frozenset(channels), daily_capacity=capacity,
                 active=active)


def case(*, channel: Channel = PHONE, site: str | None = "s1", priority: int = 0, amount: int = 1000,
         age: int = 0) -> QueuedCase:
    return QueuedCase(case_id=uuid.uuid4(), site_id=site, channel=channel, campaign_priority=priority,
                      amount_due_cents=amount, opened_at=T0 - timedelta(hours=age))


def test_the_least_loaded_agent_relative_to_capacity_takes_the_case() -> None:
    loads = [AgentLoad(agent("a", capacity=10), 5), AgentLoad(agent("b", capacity=4), 1)]
    assert choose_agent(case(), loads).agent_id == "b"  # 1/4 < 5/10


def test_ties_go_to_the_smallest_agent_id() -> None:
    loads = [AgentLoad(agent("b"), 1), AgentLoad(agent("a"), 1), AgentLoad(agent("c"), 1)]
    assert choose_agent(case(), loads).agent_id == "a"


def test_nobody_takes_a_case_when_no_agent_qualifies() -> None:
    assert choose_agent(case(), [AgentLoad(agent("full", capacity=2), 2)]) is None
    assert choose_agent(case(), [AgentLoad(agent("off", active=False), 0)]) is None
    assert choose_agent(case(channel=DOOR), [AgentLoad(agent("phone-only", channels=(PHONE,)), 0)]) is None
    assert choose_agent(case(site="s2"), [AgentLoad(agent("other-site"), 0)]) is None
    assert choose_agent(case(site=None), [AgentLoad(agent("x"), 0)]) is None
    assert choose_agent(case(), []) is None


def test_plan_serves_the_most_urgent_cases_first_when_capacity_is_short() -> None:
    low, high, big, old = case(priority=1), case(priority=5), case(priority=1, amount=9999), case(priority=1, age=9)
    plan = plan_assignments([low, old, big, high], [AgentLoad(agent("a", capacity=3), 0)])
    assert [p.case_id for p in plan] == [high.case_id, big.case_id, old.case_id]


def test_plan_counts_its_own_assignments_against_capacity() -> None:
    plan = plan_assignments([case() for _ in range(7)], [AgentLoad(agent("a", capacity=2), 0),
                                                         AgentLoad(agent("b", capacity=3), 1)])
    per_agent = {a: sum(1 for p in plan if p.agent_id == a) for a in ("a", "b")}
    assert per_agent == {"a": 2, "b": 2}


def test_free_slots_are_counted_per_site_and_channel() -> None:
    loads = [AgentLoad(agent("a", capacity=3, channels=(PHONE,)), 1), AgentLoad(agent("b", capacity=2), 0),
             AgentLoad(agent("c", capacity=9, active=False), 0), AgentLoad(agent("d", capacity=1), 1)]
    assert free_slots(loads) == {("s1", "phone"): 4, ("s1", "door_to_door"): 2}


def held(c: QueuedCase, attempted: bool = False) -> HeldCase:
    return HeldCase(case=c, attempted=attempted)


def test_an_inactive_or_moved_agent_gives_everything_back() -> None:
    cases = [held(case()), held(case(), attempted=True)]
    ids = {h.case.case_id for h in cases}
    assert set(cases_to_release(agent("a", active=False), cases)) == ids
    assert set(cases_to_release(agent("a"), cases, moved_site=True)) == ids


def test_above_capacity_the_least_urgent_untouched_cases_go_back() -> None:
    urgent, attempted_low, low, mid = case(priority=9), case(priority=0), case(priority=0), case(priority=5)
    cases = [held(low), held(urgent), held(attempted_low, attempted=True), held(mid)]
    released = cases_to_release(agent("a", capacity=2), cases)
    assert set(released) == {low.case_id, mid.case_id}  # attempted ones are kept first


def test_a_channel_the_agent_no_longer_works_goes_back_even_below_capacity() -> None:
    visit, call = case(channel=DOOR), case(channel=PHONE)
    assert cases_to_release(agent("a", capacity=9, channels=(PHONE,)), [held(visit), held(call)]) == [visit.case_id]
    assert cases_to_release(agent("a", capacity=9), [held(visit), held(call)]) == []


def test_reassignment_refusals_name_the_reason() -> None:
    c = case(channel=DOOR)
    assert reassignment_refusal(c, AgentLoad(agent("a", site="s2"), 0), holder_id=None) == "agent_not_in_site"
    assert reassignment_refusal(c, AgentLoad(agent("a"), 0), holder_id="a") == "already_assigned_to_agent"
    assert reassignment_refusal(c, AgentLoad(agent("a", active=False), 0), holder_id=None) == "agent_inactive"
    assert reassignment_refusal(c, AgentLoad(agent("a", channels=(PHONE,)), 0), holder_id=None) == "agent_lacks_channel"
    assert reassignment_refusal(c, AgentLoad(agent("a", capacity=1), 1), holder_id=None) == "agent_at_capacity"
    assert reassignment_refusal(c, AgentLoad(agent("a", capacity=2), 1), holder_id="b") is None


agents_st = st.lists(
    st.builds(lambda i, cap, ch, act, load: (agent(f"a{i:02d}", capacity=cap, channels=ch, active=act), load),
              st.integers(0, 99), st.integers(1, 6), st.sampled_from([(PHONE,), (DOOR,), (PHONE, DOOR)]),
              st.booleans(), st.integers(0, 7)),
    min_size=0, max_size=8, unique_by=lambda t: t[0].agent_id)


@given(agents_st, st.sampled_from([PHONE, DOOR]))
def test_choose_never_picks_an_agent_at_capacity_inactive_or_without_the_channel(pairs, channel) -> None:
    loads = [AgentLoad(a, min(load, a.daily_capacity)) for a, load in pairs]
    chosen = choose_agent(case(channel=channel), loads)
    eligible = [al for al in loads if al.agent.active and channel in al.agent.channels and al.has_room]
    if not eligible:
        assert chosen is None
        return
    assert chosen is not None
    picked = next(al for al in loads if al.agent.agent_id == chosen.agent_id)
    assert picked.has_room and picked.agent.active and channel in picked.agent.channels


@given(st.integers(1, 8), st.integers(1, 10), st.integers(0, 80), st.lists(st.integers(1, 10), max_size=3))
def test_assigning_one_by_one_spreads_cases_evenly_among_equal_capacities(n_agents, capacity, n_cases, others):
    team = [agent(f"a{i}", capacity=capacity) for i in range(n_agents)]
    team += [agent(f"z{i}", capacity=c) for i, c in enumerate(others)]  # other capacities mixed in
    loads = {a.agent_id: 0 for a in team}
    for _ in range(n_cases):
        chosen = choose_agent(case(), [AgentLoad(a, loads[a.agent_id]) for a in team])
        if chosen is None:
            assert all(loads[a.agent_id] == a.daily_capacity for a in team)
            break
        loads[chosen.agent_id] += 1
        assert loads[chosen.agent_id] <= chosen.daily_capacity
        equal = [loads[a.agent_id] for a in team if a.daily_capacity == chosen.daily_capacity]
        assert max(equal) - min(equal) <= 1


@given(agents_st, st.lists(st.tuples(st.sampled_from([PHONE, DOOR]), st.integers(0, 9)), max_size=40))
def test_a_plan_never_overfills_an_agent_nor_assigns_a_case_twice(pairs, specs) -> None:
    loads = [AgentLoad(a, min(load, a.daily_capacity)) for a, load in pairs]
    cases = [case(channel=ch, priority=p) for ch, p in specs]
    plan = plan_assignments(cases, loads)
    assert len({p.case_id for p in plan}) == len(plan)
    by_id = {c.case_id: c for c in cases}
    for al in loads:
        mine = [p for p in plan if p.agent_id == al.agent.agent_id]
        assert al.load + len(mine) <= al.agent.daily_capacity
        assert all(by_id[p.case_id].channel in al.agent.channels for p in mine)
        assert al.agent.active or not mine


def reference_plan(cases, agents_with_load):
    """The rule as first written: each case in work order to `choose_agent` over its site's agents."""
    loads = {al.agent.agent_id: al for al in agents_with_load}
    plan = []
    for c in sorted(cases, key=priority_key):
        chosen = choose_agent(c, list(loads.values()))
        if chosen is not None:
            loads[chosen.agent_id] = AgentLoad(chosen, loads[chosen.agent_id].load + 1)
            plan.append((c.case_id, chosen.agent_id))
    return plan


mixed_agents_st = st.lists(
    st.builds(lambda i, site, cap, ch, act, load: (agent(f"a{i:02d}", site=site, capacity=cap, channels=ch,
                                                         active=act), load),
              st.integers(0, 99), st.sampled_from(["s1", "s2"]), st.integers(1, 12),
              st.sampled_from([(PHONE,), (DOOR,), (PHONE, DOOR)]), st.booleans(), st.integers(0, 12)),
    min_size=0, max_size=10, unique_by=lambda t: t[0].agent_id)


@given(mixed_agents_st, st.lists(st.tuples(st.sampled_from([PHONE, DOOR]), st.sampled_from(["s1", "s2", None]),
                                           st.integers(0, 3), st.integers(0, 3)), max_size=60))
def test_a_plan_makes_the_same_choices_as_choosing_case_by_case(pairs, specs) -> None:
    loads = [AgentLoad(a, min(load, a.daily_capacity)) for a, load in pairs]
    cases = [case(channel=ch, site=site, priority=p, amount=1000 * m) for ch, site, p, m in specs]
    plan = plan_assignments(cases, loads)
    assert [(p.case_id, p.agent_id) for p in plan] == reference_plan(cases, loads)


def test_agents_who_gave_cases_back_take_only_what_nobody_else_can() -> None:
    holder, other = AgentLoad(agent("a", capacity=5), 0), AgentLoad(agent("b", capacity=1), 0)
    urgent, next_one, last_one = case(priority=9), case(priority=5), case(priority=1)
    plan = plan_others_first([last_one, urgent, next_one], [holder, other], last={"a"})
    assert [(p.case_id, p.agent_id) for p in plan] == [(urgent.case_id, "b"), (next_one.case_id, "a"),
                                                       (last_one.case_id, "a")]
    assert plan_others_first([urgent], [holder, other], last=set()) == plan_assignments([urgent], [holder, other])
