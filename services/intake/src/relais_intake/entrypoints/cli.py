"""`relais-intake api|worker|relay|migrate`."""

from __future__ import annotations

from relais_intake.bootstrap import MIGRATIONS, SCHEMA, create_api, create_worker
from relais_intake.config import Settings
from relais_platform.service_cli import service_cli

app = service_cli(name="intake", settings_factory=Settings, schema=SCHEMA, migrations_dir=MIGRATIONS,
                  create_api=create_api, create_worker=create_worker)


def main() -> None:
    """Console entry point."""
    app()
