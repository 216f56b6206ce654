"""Who may see and change what. A foreign or unknown id is answered with 404, never 403."""

from __future__ import annotations

from relais_platform.auth import Principal, Role
from relais_platform.errors import NotFound


def manages_site(principal: Principal, site_id: str | None) -> bool:
    """Admins manage every site; a supervisor only their own."""
    if principal.role is Role.ADMIN:
        return True
    return principal.role is Role.SUPERVISOR and site_id is not None and principal.site_id == site_id


def ensure_site_visible(principal: Principal, site_id: str | None, *, what: str) -> None:
    """Raise 404 (naming `what`, e.g. "site paris") unless the principal manages `site_id`."""
    if not manages_site(principal, site_id):
        raise NotFound(f"{what} not found")


def may_work_as(principal: Principal, *, agent_id: str | None, site_id: str | None) -> bool:
    """The agent themself, their site's supervisor, or an admin."""
    if principal.role is Role.AGENT:
        return agent_id is not None and principal.agent_id == agent_id
    return manages_site(principal, site_id)
