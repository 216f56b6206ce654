"""`relais submit FILE --campaign ID`: upload a partner file to intake with a progress bar, follow its
processing, then print the summary and where to download the rejection report."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskProgressColumn, TextColumn, TransferSpeedColumn
from rich.table import Table

UPLOAD_PIECE = 1 << 20
CONTENT_TYPES = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".csv": "text/csv",
                 ".txt": "text/csv"}


def _pieces(path: Path, progress: Progress, task: Any) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while piece := handle.read(UPLOAD_PIECE):
            progress.advance(task, len(piece))
            yield piece


def run_submit(console: Console, *, path: Path, campaign: str, token: str, url: str, charset: str | None = None,
               separator: str | None = None, idempotency_key: str | None = None, wait: bool = True,
               timeout: float = 3600, client: httpx.Client | None = None) -> int:
    """Upload, follow, summarise; returns the process exit code (0 done, 1 refused or failed).

    A client passed in stays open (the caller owns it); the one made here is closed on the way out."""
    if client is None:
        with httpx.Client(base_url=url, timeout=httpx.Timeout(60, read=600)) as own:
            return run_submit(console, path=path, campaign=campaign, token=token, url=url, charset=charset,
                              separator=separator, idempotency_key=idempotency_key, wait=wait, timeout=timeout,
                              client=own)
    headers = {"Authorization": f"Bearer {token}",
               "Content-Type": CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    params = {k: v for k, v in {"filename": path.name, "charset": charset, "separator": separator}.items() if v}
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn())
    with Progress(*columns, DownloadColumn(), TransferSpeedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(f"uploading {path.name}", total=path.stat().st_size)
        response = client.post(f"/v1/campaigns/{campaign}/cases/upload", content=_pieces(path, progress, task),
                               headers=headers, params=params)
    if response.status_code not in (200, 202):
        console.print(f"[red]upload refused ({response.status_code}):[/red] {_detail(response)}")
        return 1
    submission = response.json()
    if response.status_code == 200:
        console.print("[yellow]this file (or this Idempotency-Key) was already submitted: "
                      "showing the first submission[/yellow]")
    if wait:
        submission = _follow(console, client, submission, headers={"Authorization": headers["Authorization"]},
                             timeout=timeout)
    _summary(console, submission, url)
    return 0 if submission["status"] in ("done", "received", "validating") else 1


def _follow(console: Console, http: httpx.Client, submission: dict[str, Any], *, headers: dict[str, str],
            timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TextColumn("{task.fields[rows]}"))
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("validating", total=1.0, rows="")
        while submission["status"] in ("received", "validating") and time.monotonic() < deadline:
            time.sleep(0.5)
            submission = http.get(f"/v1/submissions/{submission['submission_id']}", headers=headers).json()
            progress.update(task, completed=submission["progress"], rows=f"{submission['rows_read']:,} rows")
    return submission


def _summary(console: Console, submission: dict[str, Any], url: str) -> None:
    table = Table(show_header=False, box=None)
    for name in ("submission_id", "status", "rows_read", "accepted", "rejected", "duplicates", "charset", "separator"):
        value = submission.get(name)
        table.add_row(name.replace("_", " "), f"{value:,}" if isinstance(value, int) else str(value))
    if submission.get("error"):
        table.add_row("error", f"[red]{submission['error']}[/red]")
    console.print(table)
    if submission.get("rejected") or submission.get("duplicates"):
        console.print(f"rejection report: {url.rstrip('/')}{submission['rejections_url']}")


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail"))
    except ValueError:
        return response.text[:200]
