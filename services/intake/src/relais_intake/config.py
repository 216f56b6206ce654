"""Settings of the intake service (env prefix RELAIS_), validated once at start-up."""

from __future__ import annotations

from relais_platform.config import PlatformSettings


class Settings(PlatformSettings):
    """Everything the intake service reads from its environment."""

    service_name: str = "intake"
    http_port: int = 8001
    consumer_group: str = "relais-intake"
