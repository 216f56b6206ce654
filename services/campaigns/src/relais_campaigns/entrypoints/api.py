"""The campaigns HTTP API, under /v1: sites and agents, worklists, attempts, reassignment, boards."""

from __future__ import annotations

from fastapi import APIRouter

from relais_campaigns.entrypoints import routes_rules, routes_staff, routes_work

router = APIRouter(prefix="/v1")
router.include_router(routes_staff.router)
router.include_router(routes_work.router)
router.include_router(routes_rules.router)
