"""The one place that wires the campaigns service: settings, pool, producer, handlers, HTTP app, stream worker."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import faust
from fastapi import FastAPI

from relais_platform.http import install_platform
from relais_platform.kafka import make_faust_app
from relais_platform.runtime import Resources
from relais_campaigns.config import Settings

SCHEMA = "campaigns"
SOURCE = "/relais/campaigns"
MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def create_api(settings: Settings, *, resources: Resources | None = None) -> FastAPI:
    """The FastAPI app of the campaigns service."""
    resources = resources or Resources(settings, schema=SCHEMA)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        await resources.pool()
        yield
        await resources.close()

    app = FastAPI(title="relais-campaigns", version="1", lifespan=lifespan,
                  description="Relais campaigns service. All amounts are integer euro cents.")
    app.state.settings = settings
    app.state.resources = resources
    install_platform(app, readiness=resources.readiness)
    from relais_campaigns.entrypoints.api import router

    app.include_router(router)
    return app


def create_worker(settings: Settings, *, resources: Resources | None = None) -> faust.App:
    """The faust worker of the campaigns service: its stream agents and its outbox relay."""
    resources = resources or Resources(settings, schema=SCHEMA)
    app = make_faust_app(app_id=settings.consumer_group, bootstrap=settings.kafka_bootstrap)
    from relais_campaigns.entrypoints.stream import register

    register(app, resources)

    @app.task
    async def outbox_relay() -> None:
        await resources.run_outbox_relay()

    return app
