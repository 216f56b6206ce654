"""FastAPI dependencies shared by the outcomes routers: the pool, role guards, path parameters."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Path, Request

from relais_outcomes.domain.calendar import PERIOD_PATTERN
from relais_outcomes.domain.invoices import INVOICE_NUMBER_PATTERN
from relais_platform.auth import Principal, Role
from relais_platform.http import CurrentPrincipal, allow


async def _pool(request: Request) -> asyncpg.Pool:
    return await request.app.state.resources.pool()


def roles(*allowed: Role) -> Any:
    """A principal dependency that refuses (403) any other role before the request is even parsed."""
    def dependency(principal: CurrentPrincipal) -> Principal:
        allow(principal, *allowed)
        return principal
    return Annotated[Principal, Depends(dependency)]


Pool = Annotated[asyncpg.Pool, Depends(_pool)]
PartnerId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Period = Annotated[str, Path(pattern=PERIOD_PATTERN, description="Billing month YYYY-MM (Europe/Paris)")]
Number = Annotated[str, Path(pattern=INVOICE_NUMBER_PATTERN, description="REL-YYYY-NNNNNN")]
FinanceOnly = roles(Role.FINANCE, Role.ADMIN)
BillingReader = roles(Role.PARTNER, Role.FINANCE, Role.ADMIN)
