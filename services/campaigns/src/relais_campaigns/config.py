"""Settings of the campaigns service (env prefix RELAIS_), validated once at start-up."""

from __future__ import annotations

from pydantic import Field, model_validator

from relais_platform.config import PlatformSettings


class Settings(PlatformSettings):
    """Everything the campaigns service reads from its environment."""

    service_name: str = "campaigns"
    http_port: int = 8002
    consumer_group: str = "relais-campaigns"
    # Local/test stacks only: shift the service clock (seconds), and allow an admin to set it over HTTP
    # (PUT /v1/admin/clock), so contact rules can be exercised end to end at any hour.
    clock_offset_seconds: float = 0.0
    # Cases an agent leaves untouched this many open days of their site go back to the queue.
    stale_after_working_days: int = Field(default=3, ge=1, le=60)
    # Each batch of opened cases is shared out by site between this many lanes: the worker and
    # `assignment_lanes - 1` child processes (one Python process is held to one core by its GIL).
    assignment_lanes: int = Field(default=2, ge=1, le=16)
    housekeeping_seconds: float = Field(default=300.0, gt=0, description="how often the periodic release runs")

    @property
    def test_clock_allowed(self) -> bool:
        """True outside production: the clock may be shifted."""
        return self.env != "production"

    @model_validator(mode="after")
    def _no_clock_offset_in_production(self) -> Settings:
        if self.env == "production" and self.clock_offset_seconds:
            raise ValueError("RELAIS_CLOCK_OFFSET_SECONDS may only be set in local or test mode")
        return self
