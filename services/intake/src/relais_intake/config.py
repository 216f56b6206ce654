"""Settings of the intake service (env prefix RELAIS_), validated once at start-up."""

from __future__ import annotations

from pydantic import Field

from relais_platform.config import PlatformSettings


class Settings(PlatformSettings):
    """Everything the intake service reads from its environment."""

    service_name: str = "intake"
    http_port: int = 8001
    consumer_group: str = "relais-intake"
    # A big CSV is read, validated and written by this many lanes at once: the worker and `file_lanes - 1` child
    # processes, each taking every `file_lanes`-th chunk (one Python process is held to one core by its GIL).
    file_lanes: int = Field(default=2, ge=1, le=16)
    file_lanes_min_bytes: int = Field(default=2 << 20, ge=0)  # smaller files take one lane
