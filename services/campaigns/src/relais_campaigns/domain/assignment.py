"""Who takes a case: an active agent of the case's site who works its channel and has room,
the least loaded relative to capacity first; and which cases an agent gives back."""

from __future__ import annotations

import heapq
import math
import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from fractions import Fraction
from typing import NamedTuple

from relais_campaigns.domain.model import Agent, AgentLoad, HeldCase, QueuedCase, priority_key
from relais_platform.contracts import Channel


def can_take(agent_load: AgentLoad, case: QueuedCase) -> bool:
    """True when the agent may receive this case now."""
    agent = agent_load.agent
    return (agent.active and agent.site_id == case.site_id and case.channel in agent.channels
            and agent_load.has_room)


def choose_agent(case: QueuedCase, agents_with_load: Iterable[AgentLoad]) -> Agent | None:
    """The agent who should take `case`, or None when nobody can (the case waits)."""
    candidates = [al for al in agents_with_load if can_take(al, case)]
    if not candidates:
        return None
    best = min(candidates, key=lambda al: (Fraction(al.load, al.agent.daily_capacity), al.agent.agent_id))
    return best.agent


class Assignment(NamedTuple):
    """A decision: this case goes to this agent (one for every case assigned)."""

    case_id: uuid.UUID
    agent_id: str


def plan_assignments(cases: Iterable[QueuedCase], agents_with_load: Iterable[AgentLoad]) -> list[Assignment]:
    """Give waiting cases to agents, most urgent first, counting each assignment against capacity (the same
    choice as `choose_agent`, looking only at the agents of the case's site and channel)."""
    teams = _Teams(agents_with_load)
    plan: list[Assignment] = []
    for case in sorted(cases, key=priority_key):
        agent_id = teams.take(case.site_id or "", case.channel)
        if agent_id is not None:
            plan.append(Assignment(case_id=case.case_id, agent_id=agent_id))
    return plan


def plan_others_first(cases: Iterable[QueuedCase], agents_with_load: Sequence[AgentLoad], *,
                      last: Collection[str]) -> list[Assignment]:
    """`plan_assignments`, except that the agents in `last` (who just gave cases back) take only the cases
    nobody else can: first a plan without them, then one with everybody for what is left."""
    queue = list(cases)
    first = plan_assignments(queue, [al for al in agents_with_load if al.agent.agent_id not in last])
    taken, placed = Counter(p.agent_id for p in first), {p.case_id for p in first}
    rest = plan_assignments([c for c in queue if c.case_id not in placed],
                            [AgentLoad(agent=al.agent, load=al.load + taken[al.agent.agent_id])
                             for al in agents_with_load])
    return first + rest


class _Teams:
    """Per (site, channel), a heap of the agents with room keyed like `choose_agent` (load relative to
    capacity, then agent_id); an entry whose load is out of date is dropped when it comes up.

    Load/capacity is kept as the exact integer load × (common multiple of the capacities / capacity):
    the same order and ties as the fractions, at the price of an integer comparison.
    """

    def __init__(self, agents_with_load: Iterable[AgentLoad]) -> None:
        pairs = list(agents_with_load)
        self._scale = math.lcm(*(al.agent.daily_capacity for al in pairs)) if pairs else 1
        self._agents = {al.agent.agent_id: al.agent for al in pairs}
        self._loads = {al.agent.agent_id: al.load for al in pairs}
        self._heaps: dict[tuple[str, Channel], list[tuple[int, str, int]]] = {}
        for al in pairs:
            if al.agent.active:
                self._push(al.agent, al.load)

    def _push(self, agent: Agent, load: int) -> None:
        if load >= agent.daily_capacity:
            return
        entry = (load * (self._scale // agent.daily_capacity), agent.agent_id, load)
        for channel in agent.channels:
            heapq.heappush(self._heaps.setdefault((agent.site_id, channel), []), entry)

    def take(self, site_id: str, channel: Channel) -> str | None:
        """The agent who takes the next case of this site and channel (counted), or None."""
        heap = self._heaps.get((site_id, channel), [])
        while heap:
            _, agent_id, load = heapq.heappop(heap)
            if self._loads[agent_id] == load:
                self._loads[agent_id] = load + 1
                self._push(self._agents[agent_id], load + 1)
                return agent_id
        return None


def free_slots(agents_with_load: Iterable[AgentLoad]) -> dict[tuple[str, str], int]:
    """Per (site, channel), how many more cases the active agents able to work that channel can take."""
    slots: dict[tuple[str, str], int] = {}
    for al in agents_with_load:
        if not al.agent.active or not al.has_room:
            continue
        for channel in al.agent.channels:
            key = (al.agent.site_id, str(channel))
            slots[key] = slots.get(key, 0) + al.agent.daily_capacity - al.load
    return slots


def cases_to_release(agent: Agent, held: Sequence[HeldCase], *, moved_site: bool = False) -> list[uuid.UUID]:
    """The cases an agent must give back after a change: all of them when inactive or moved to another
    site; those of a channel they no longer work; and, above capacity, the least urgent untouched ones
    (cases already attempted stay with the agent who knows the customer)."""
    if not agent.active or moved_site:
        return [h.case.case_id for h in held]
    wrong_channel = [h for h in held if h.case.channel not in agent.channels]
    kept = [h for h in held if h.case.channel in agent.channels]
    kept.sort(key=lambda h: (not h.attempted, priority_key(h.case)))
    excess = kept[agent.daily_capacity:]
    return [h.case.case_id for h in (*wrong_channel, *excess)]


def reassignment_refusal(case: QueuedCase, target: AgentLoad, *, holder_id: str | None) -> str | None:
    """Why `target` may not take `case` from a supervisor's hand, as a reason code; None when they may."""
    agent = target.agent
    if agent.site_id != case.site_id:
        return "agent_not_in_site"
    if holder_id == agent.agent_id:
        return "already_assigned_to_agent"
    if not agent.active:
        return "agent_inactive"
    if case.channel not in agent.channels:
        return "agent_lacks_channel"
    if not target.has_room:
        return "agent_at_capacity"
    return None
