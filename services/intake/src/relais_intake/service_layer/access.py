"""Who may see what: a partner sees only its own campaigns and submissions; a foreign id is simply not found."""

from __future__ import annotations

from relais_platform.auth import Principal, Role
from relais_platform.errors import NotFound


def ensure_visible(principal: Principal, *, partner_id: str, what: str) -> None:
    """Answer 404 (never 403) when a partner asks for another partner's data."""
    if principal.role == Role.PARTNER and principal.partner_id != partner_id:
        raise NotFound(f"{what} not found")
