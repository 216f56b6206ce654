"""The one place that wires the campaigns service: settings, pool, producer, handlers, HTTP app, stream worker."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

import faust
from fastapi import FastAPI

from relais_campaigns import SCHEMA, SOURCE
from relais_campaigns.adapters.clock import Clock, SystemClock
from relais_campaigns.config import Settings
from relais_campaigns.entrypoints.api import router
from relais_campaigns.entrypoints.stream import register
from relais_platform.http import build_api
from relais_platform.lanes import ProcessLanes
from relais_platform.runtime import Resources, build_worker

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
DESCRIPTION = "Relais campaigns service. All amounts are integer euro cents."
__all__ = ["MIGRATIONS", "SCHEMA", "SOURCE", "create_api", "create_worker"]


def create_api(settings: Settings, *, resources: Resources | None = None, clock: Clock | None = None) -> FastAPI:
    """The FastAPI app of the campaigns service; `clock` (default: the system clock, shifted by
    RELAIS_CLOCK_OFFSET_SECONDS outside production) is the time every rule is checked against."""
    app = build_api(title="relais-campaigns", description=DESCRIPTION, settings=settings,
                    resources=resources or Resources(settings, schema=SCHEMA), router=router)
    app.state.clock = clock or SystemClock(timedelta(seconds=settings.clock_offset_seconds))
    return app


def create_worker(settings: Settings, *, resources: Resources | None = None) -> faust.App:
    """The faust worker of the campaigns service: its stream agents, its assignment lanes and its outbox relay."""
    lanes = ProcessLanes(service="relais-campaigns", dsn=settings.database_url, schema=SCHEMA,
                         count=settings.assignment_lanes, pool_size=2,
                         imports=("relais_campaigns.service_layer.site_lanes",), log_level=settings.log_level,
                         log_json=settings.log_json)
    return build_worker(app_id=settings.consumer_group, resources=resources or Resources(settings, schema=SCHEMA),
                        register=partial(register, lanes=lanes), lanes=lanes)
