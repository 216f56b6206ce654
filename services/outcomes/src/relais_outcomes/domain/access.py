"""Who may record or read a case's outcome. A refusal for a case the caller may not see is a 404."""

from __future__ import annotations

from dataclasses import dataclass

from relais_platform.auth import Principal, Role


@dataclass(frozen=True, slots=True)
class CaseScope:
    """The facts about a case that decide access: its partner and who holds it now."""

    partner_id: str
    holder_agent_id: str | None = None
    holder_site_id: str | None = None
    holder_status: str | None = None


def may_record_outcome(principal: Principal, case: CaseScope) -> bool:
    """The agent holding the case, a supervisor of the holder's site, or an admin."""
    match principal.role:
        case Role.ADMIN:
            return True
        case Role.AGENT:
            return case.holder_status == "assigned" and case.holder_agent_id == principal.agent_id
        case Role.SUPERVISOR:
            return case.holder_site_id is not None and case.holder_site_id == principal.site_id
        case _:
            return False


def may_read_outcome(principal: Principal, case: CaseScope) -> bool:
    """The partner owning the case, its holder agent, a supervisor of the holder's site, finance, admin."""
    match principal.role:
        case Role.ADMIN | Role.FINANCE:
            return True
        case Role.PARTNER:
            return case.partner_id == principal.partner_id
        case Role.AGENT:
            return case.holder_agent_id is not None and case.holder_agent_id == principal.agent_id
        case Role.SUPERVISOR:
            return case.holder_site_id is not None and case.holder_site_id == principal.site_id
    return False


def sees_internals(principal: Principal) -> bool:
    """Agent notes and who recorded an outcome are internal: never shown to partners."""
    return principal.role != Role.PARTNER
