"""The one place that wires the outcomes service: settings, pool, producer, handlers, HTTP app, stream worker."""

from __future__ import annotations

from pathlib import Path

import faust
from fastapi import FastAPI

from relais_outcomes import SCHEMA, SOURCE
from relais_outcomes.adapters.invoice_pdf import Seller
from relais_outcomes.config import Settings
from relais_outcomes.entrypoints.api import router
from relais_outcomes.entrypoints.stream import register
from relais_platform.http import build_api
from relais_platform.runtime import Resources, build_worker

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
DESCRIPTION = "Relais outcomes service. All amounts are integer euro cents."
__all__ = ["MIGRATIONS", "SCHEMA", "SOURCE", "create_api", "create_worker"]


def create_api(settings: Settings, *, resources: Resources | None = None) -> FastAPI:
    """The FastAPI app of the outcomes service (the invoices' seller is built once, from the settings)."""
    app = build_api(title="relais-outcomes", description=DESCRIPTION, settings=settings,
                    resources=resources or Resources(settings, schema=SCHEMA), router=router)
    app.state.seller = Seller(name=settings.seller_name, address=settings.seller_address,
                              siret=settings.seller_siret, vat_id=settings.seller_vat_id)
    return app


def create_worker(settings: Settings, *, resources: Resources | None = None) -> faust.App:
    """The faust worker of the outcomes service: its stream agents and its outbox relay."""
    return build_worker(app_id=settings.consumer_group, resources=resources or Resources(settings, schema=SCHEMA),
                        register=register)
