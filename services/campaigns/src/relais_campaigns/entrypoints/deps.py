"""FastAPI dependencies shared by the campaigns routes, declared once as Annotated aliases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import Depends, Path, Request

from relais_campaigns.entrypoints.schemas import SLUG_PATTERN
from relais_platform.auth import Role
from relais_platform.http import roles

StaffPrincipal = roles(Role.ADMIN, Role.SUPERVISOR)
FieldPrincipal = roles(Role.ADMIN, Role.SUPERVISOR, Role.AGENT)
SiteId = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=64)]
AgentId = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=64)]
CaseId = Annotated[uuid.UUID, Path()]
PartnerId = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=64)]
AdminPrincipal = roles(Role.ADMIN)


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """One connection in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        yield conn


def _now(request: Request) -> datetime:
    return request.app.state.clock.now()


Now = Annotated[datetime, Depends(_now)]  # the injected clock's reading, taken once per request
