"""Settings of the outcomes service (env prefix RELAIS_), validated once at start-up."""

from __future__ import annotations

from relais_platform.config import PlatformSettings


class Settings(PlatformSettings):
    """Everything the outcomes service reads from its environment."""

    service_name: str = "outcomes"
    http_port: int = 8003
    consumer_group: str = "relais-outcomes"
