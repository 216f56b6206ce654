"""`relais`: the operator's command — tokens, demo data, status."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from relais_platform.auth import AuthError, Role, mint_token
from relais_platform.config import PlatformSettings

app = typer.Typer(name="relais", help="Relais operator tools.", no_args_is_help=True, add_completion=False)
console = Console(soft_wrap=True)  # tokens and URLs must stay copy-pasteable


@app.command()
def token(
    role: Role = typer.Option(..., help="partner | agent | supervisor | finance | admin"),
    sub: str | None = typer.Option(None, help="subject (defaults to role:scope)"),
    partner_id: str | None = typer.Option(None, help="required for role=partner"),
    agent_id: str | None = typer.Option(None, help="required for role=agent"),
    site_id: str | None = typer.Option(None, help="required for role=supervisor"),
    ttl_hours: int = typer.Option(12, min=1, max=24 * 30),
) -> None:
    """Print a signed bearer token (local/dev: signed with RELAIS_JWT_SECRET)."""
    settings = PlatformSettings()
    scope = partner_id or agent_id or site_id or "all"
    try:
        print(mint_token(secret=settings.jwt_secret, issuer=settings.jwt_issuer, role=role,
                         sub=sub or f"{role}:{scope}", ttl_seconds=ttl_hours * 3600,
                         partner_id=partner_id, agent_id=agent_id, site_id=site_id))
    except AuthError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def demo(
    cases: int = typer.Option(300, min=1, max=10_000, help="cases in the demo campaign"),
    timeout: float = typer.Option(120, help="seconds to wait for every case to be assigned"),
) -> None:
    """Seed the demo (partners, sites, agents, a campaign of French cases), wait until every case is
    assigned, and print where to look."""
    from relais_cli.demo import run_demo

    raise typer.Exit(run_demo(console, cases=cases, timeout=timeout))


@app.command()
def submit(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="a CSV or XLSX file"),
    campaign: str = typer.Option(..., "--campaign", help="the campaign id"),
    token: str = typer.Option(..., envvar="RELAIS_TOKEN", help="a partner (or admin) bearer token"),
    url: str = typer.Option("http://127.0.0.1:8001", envvar="RELAIS_INTAKE_URL", help="intake base URL"),
    charset: str | None = typer.Option(None, help="declare the file's charset (default: detected)"),
    separator: str | None = typer.Option(None, help="semicolon | comma | tab | pipe (default: guessed)"),
    idempotency_key: str | None = typer.Option(None, help="sent as Idempotency-Key"),
    wait: bool = typer.Option(True, help="follow the processing to the end"),
) -> None:
    """Upload a partner file with a progress bar, follow its validation, print the summary and the address of
    the rejection report."""
    from relais_cli.submit import run_submit

    raise typer.Exit(run_submit(console, path=file, campaign=campaign, token=token, url=url, charset=charset,
                                separator=separator, idempotency_key=idempotency_key, wait=wait))


@app.command()
def status() -> None:
    """One line per service: readiness of its API."""
    from relais_cli.demo import print_status

    print_status(console)


if __name__ == "__main__":
    app()
