"""What every intake router shares: the idempotency scope."""

from __future__ import annotations

from fastapi import Request

from relais_platform.auth import Principal


def scope_of(principal: Principal, request: Request) -> str:
    """Idempotency scope: the concrete path (a key is per resource) and the caller's partner, so that two
    partners whose tokens happen to share a subject never replay each other's responses."""
    return f"{principal.partner_id or '-'}|{request.method} {request.url.path}"
