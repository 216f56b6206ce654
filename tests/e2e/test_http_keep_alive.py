"""The APIs keep an idle connection open beyond uvicorn's 5 s default (RELAIS_HTTP_KEEP_ALIVE_SECONDS): a load
balancer or a client queued behind others never sends a request on a connection the server just closed."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import CAMPAIGNS, INTAKE, OUTCOMES

pytestmark = pytest.mark.e2e

IDLE_SECONDS = 6


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> bytes:
    writer.write(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await writer.drain()
    return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)


async def test_an_idle_connection_is_still_served_after_uvicorns_default_keep_alive() -> None:
    async def one(url: str) -> bytes:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            head = await _get(reader, writer, parts.netloc)
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            await reader.readexactly(length)
            await asyncio.sleep(IDLE_SECONDS)
            try:
                return (await _get(reader, writer, parts.netloc)).split(b"\r\n")[0]
            except asyncio.IncompleteReadError:
                return b"closed by the server"
        finally:
            writer.close()

    statuses = await asyncio.gather(*(one(url) for url in (INTAKE, CAMPAIGNS, OUTCOMES)))
    assert statuses == [b"HTTP/1.1 200 OK"] * 3
