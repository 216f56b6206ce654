"""Settings of the outcomes service (env prefix RELAIS_), validated once at start-up."""

from __future__ import annotations

from pydantic import Field

from relais_platform.config import PlatformSettings


class Settings(PlatformSettings):
    """Everything the outcomes service reads from its environment."""

    service_name: str = "outcomes"
    http_port: int = 8003
    consumer_group: str = "relais-outcomes"

    # Billing: late events of a month still land on its statement until this many days after the month.
    statement_grace_days: int = Field(default=5, ge=0, le=60)
    payment_terms_days: int = Field(default=30, ge=0, le=120)
    # The seller printed on every invoice (a French invoice names it with its SIRET and VAT number).
    seller_name: str = "Union Relais Médiation"
    seller_address: str = "12 rue de la République, 69002 Lyon, France"
    seller_siret: str = "000 000 000 00000"
    seller_vat_id: str = "FR00000000000"
