"""The command line every service exposes: `api`, `worker`, `relay`, `migrate`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from relais_platform.config import PlatformSettings
from relais_platform.logging import configure_logging
from relais_platform.metrics import serve_metrics
from relais_platform.runtime import prepare, run_relay, tune_gc


def service_cli(*, name: str, settings_factory: Callable[[], PlatformSettings], schema: str, migrations_dir: Path,
                create_api: Callable[[Any], Any], create_worker: Callable[[Any], Any]) -> typer.Typer:
    """Build the typer app of one service from its bootstrap functions."""
    cli = typer.Typer(name=name, help=f"Relais {name} service.", no_args_is_help=True, add_completion=False)

    def _settings() -> Any:
        settings = settings_factory()
        configure_logging(service=f"relais-{name}", level=settings.log_level, json=settings.log_json)
        return settings

    @cli.command()
    def api() -> None:
        """Serve the HTTP API (uvicorn)."""
        import uvicorn

        settings = _settings()
        uvicorn.run(create_api(settings), host=settings.http_host, port=settings.http_port,
                    timeout_keep_alive=settings.http_keep_alive_seconds, log_config=None, access_log=False,
                    lifespan="on")

    @cli.command()
    def worker() -> None:
        """Run the stream worker (faust), with the outbox relay unless RELAIS_OUTBOX_RELAY_IN_WORKER=false; its
        metrics on RELAIS_METRICS_PORT."""
        import faust

        settings = _settings()
        app = create_worker(settings)
        serve_metrics(settings)
        tune_gc()
        faust.Worker(app, loglevel=settings.log_level.lower(), override_logging=False,
                     redirect_stdouts=False).execute_from_commandline()

    @cli.command()
    def relay() -> None:
        """Publish the outbox to Kafka in a process of its own (workers: RELAIS_OUTBOX_RELAY_IN_WORKER=false); its
        metrics on RELAIS_METRICS_PORT."""
        settings = _settings()
        serve_metrics(settings)
        tune_gc()
        asyncio.run(run_relay(settings, schema=schema))

    @cli.command("migrate")
    def migrate_cmd() -> None:
        """Apply database migrations and create the Kafka topics."""
        settings = _settings()
        asyncio.run(prepare(settings, schema=schema, migrations_dir=migrations_dir))

    return cli
