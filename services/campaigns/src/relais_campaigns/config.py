"""Settings of the campaigns service (env prefix RELAIS_), validated once at start-up."""

from __future__ import annotations

from relais_platform.config import PlatformSettings


class Settings(PlatformSettings):
    """Everything the campaigns service reads from its environment."""

    service_name: str = "campaigns"
    http_port: int = 8002
    consumer_group: str = "relais-campaigns"
