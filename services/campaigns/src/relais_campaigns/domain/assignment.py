"""Who takes a case: an active agent of the case's site who works its channel and has room,
the least loaded relative to capacity first; and which cases an agent gives back."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

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


@dataclass(frozen=True, slots=True)
class Assignment:
    """A decision: this case goes to this agent."""

    case_id: uuid.UUID
    agent_id: str


def plan_assignments(cases: Iterable[QueuedCase], agents_with_load: Iterable[AgentLoad]) -> list[Assignment]:
    """Give waiting cases to agents, most urgent first, counting each assignment against capacity (the same
    choice as `choose_agent`, looking only at the agents of the case's site and channel)."""
    loads = {al.agent.agent_id: al for al in agents_with_load}
    teams: dict[tuple[str, Channel], list[str]] = {}
    for al in loads.values():
        for channel in al.agent.channels:
            teams.setdefault((al.agent.site_id, channel), []).append(al.agent.agent_id)
    plan: list[Assignment] = []
    for case in sorted(cases, key=priority_key):
        team = [loads[a] for a in teams.get((case.site_id or "", case.channel), [])]
        agent = choose_agent(case, team)
        if agent is None:
            continue
        current = loads[agent.agent_id]
        loads[agent.agent_id] = AgentLoad(agent=current.agent, load=current.load + 1)
        plan.append(Assignment(case_id=case.case_id, agent_id=agent.agent_id))
    return plan


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
