"""Settings base class shared by every service: one pydantic-settings class per service, env prefix RELAIS_."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JWT_SECRET = "relais-local-dev-secret-change-me"


class PlatformSettings(BaseSettings):
    """What every Relais process needs. Services subclass it and add their own fields."""

    model_config = SettingsConfigDict(env_prefix="RELAIS_", env_file=None, extra="ignore", frozen=True)

    env: Literal["local", "test", "production"] = "local"
    service_name: str = "relais"
    database_url: str = "postgresql://relais@127.0.0.1:55432/relais"
    db_pool_min: int = Field(default=1, ge=1)
    db_pool_max: int = Field(default=10, ge=1)
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_namespace: str = Field(default="", pattern=r"^[a-z0-9._-]*$",
                                 description="prefix of every topic name, to run an isolated copy (bench, tests)")
    jwt_secret: str = DEFAULT_JWT_SECRET
    jwt_issuer: str = "relais"
    log_level: str = "INFO"
    log_json: bool = True
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # An idle keep-alive connection is closed after this long: above a load balancer's idle timeout (60 s on most,
    # else it sends requests on connections the API just closed) and above any queueing under load (with uvicorn's
    # 5 s, a connection whose next request already waited behind others could be closed unanswered).
    http_keep_alive_seconds: int = Field(default=75, ge=1)
    metrics_port: int = Field(default=0, ge=0, le=65535, description="where a worker or a relay serves its "
                              "/metrics (Prometheus) on http_host; 0: nowhere. An API serves them on http_port")
    faust_datadir: str = ".local/faust"
    worker_ready_file: str | None = None
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_batch_size: int = Field(default=5000, ge=1)
    outbox_relay_in_worker: bool = Field(default=True, description="false when `relais-<svc> relay` runs beside the "
                                         "workers as its own process (a second core for publishing)")

    @model_validator(mode="after")
    def _secrets_are_real_outside_local(self) -> PlatformSettings:
        if self.env == "production" and (not self.jwt_secret or self.jwt_secret == DEFAULT_JWT_SECRET):
            raise ValueError("RELAIS_JWT_SECRET must be set to a real secret outside local/test mode")
        if self.env == "production" and len(self.jwt_secret) < 32:
            raise ValueError("RELAIS_JWT_SECRET must be at least 32 characters in production")
        return self
