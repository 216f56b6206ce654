"""The one place that wires the intake service: settings, pool, producer, handlers, HTTP app, stream worker."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import faust
from fastapi import FastAPI

from relais_intake import SCHEMA, SOURCE
from relais_intake.config import Settings
from relais_intake.entrypoints.api import router
from relais_intake.entrypoints.stream import register
from relais_intake.service_layer.file_lanes import FileLanes
from relais_platform.http import build_api
from relais_platform.runtime import Resources, build_worker

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
DESCRIPTION = "Relais intake service. All amounts are integer euro cents."
__all__ = ["MIGRATIONS", "SCHEMA", "SOURCE", "create_api", "create_worker"]


def create_api(settings: Settings, *, resources: Resources | None = None) -> FastAPI:
    """The FastAPI app of the intake service."""
    return build_api(title="relais-intake", description=DESCRIPTION, settings=settings,
                     resources=resources or Resources(settings, schema=SCHEMA), router=router)


def create_worker(settings: Settings, *, resources: Resources | None = None) -> faust.App:
    """The faust worker of the intake service: its stream agents, its file lanes and its outbox relay."""
    lanes = FileLanes(dsn=settings.database_url, schema=SCHEMA, count=settings.file_lanes,
                      min_bytes=settings.file_lanes_min_bytes, log_level=settings.log_level, log_json=settings.log_json)
    return build_worker(app_id=settings.consumer_group, resources=resources or Resources(settings, schema=SCHEMA),
                        register=partial(register, lanes=lanes), lanes=lanes)
