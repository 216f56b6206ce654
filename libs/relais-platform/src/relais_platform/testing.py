"""pytest plugin shared by every test suite: the real PostgreSQL and Kafka of `make infra`, never mocks.

Integration tests use their own database (`relais_test` by default) so they never touch the data of
the services started by `make up`; each suite rebuilds its service schema once per session.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from relais_platform.auth import Role, mint_token
from relais_platform.config import DEFAULT_JWT_SECRET
from relais_platform.db import create_pool, migrate
from relais_platform.events import POISON_EVENTS

TEST_DATABASE_URL = os.environ.get("RELAIS_TEST_DATABASE_URL", "postgresql://relais@127.0.0.1:55432/relais_test")
KAFKA_BOOTSTRAP = os.environ.get("RELAIS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")


async def ensure_database(dsn: str) -> None:
    """Create the database named in `dsn` when it does not exist."""
    base, _, name = dsn.rpartition("/")
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            except asyncpg.DuplicateDatabaseError:
                pass
    finally:
        await conn.close()


async def fresh_schema(*, dsn: str, schema: str, migrations_dir: Path) -> None:
    """Drop `schema` and apply every migration again: the same path production takes."""
    await ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()
    await migrate(dsn=dsn, schema=schema, migrations_dir=migrations_dir)


async def truncate_all(pool: asyncpg.Pool, schema: str) -> None:
    """Empty every table of `schema` except the migration log."""
    tables = await pool.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migrations'", schema
    )
    if tables:
        names = ", ".join(f'"{schema}"."{t["tablename"]}"' for t in tables)
        await pool.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="session")
async def test_database_url() -> str:
    """DSN of the integration-test database, created when missing (a fresh machine has none)."""
    await ensure_database(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """bootstrap servers of the local Kafka."""
    return KAFKA_BOOTSTRAP


def token_for(role: Role | str, *, secret: str = DEFAULT_JWT_SECRET, sub: str | None = None, **scope: str) -> str:
    """A signed bearer token for tests."""
    # One subject per principal: two test partners must never share idempotency keys or audit trails.
    subject = sub or ":".join([f"test-{role}", *(str(v) for v in scope.values())])
    return mint_token(secret=secret, role=role, sub=subject, **scope)


def auth_header(role: Role | str, *, sub: str | None = None, **scope: str) -> dict[str, str]:
    """`Authorization` header for a test principal."""
    return {"Authorization": f"Bearer {token_for(role, sub=sub, **scope)}"}


async def pool_on(dsn: str, schema: str) -> asyncpg.Pool:
    """A pool like the services use, on `schema`."""
    return await create_pool(dsn=dsn, schema=schema, min_size=1, max_size=5)


DEFAULT_SCOPES: dict[str, dict[str, str]] = {"partner": {"partner_id": "acme"}, "agent": {"agent_id": "agent-1"},
                                             "supervisor": {"site_id": "site-1"}, "finance": {}, "admin": {}}


def headers_as(role: str, **scope: str) -> dict[str, str]:
    """Authorization headers of a test principal, with a default scope per role (partner acme, agent-1, site-1)."""
    return auth_header(role, **(scope or DEFAULT_SCOPES[role]))


def service_fixtures(name: str, *, schema: str, migrations_dir: Path,
                     make_app: Callable[[str], Any]) -> tuple[Any, ...]:
    """The session fixtures of a service's integration suite, named `<name>_schema`, `<name>_pool` and `<name>_app`:
    the schema rebuilt from its migrations once (by whichever is used first), a pool on it, and the FastAPI app
    (`make_app(dsn)`) whose resources are closed at the end. A conftest assigns them to those names."""
    built: list[str] = []

    async def rebuilt(dsn: str) -> str:
        if not built:
            await fresh_schema(dsn=dsn, schema=schema, migrations_dir=migrations_dir)
            built.append(dsn)
        return schema

    @pytest.fixture(scope="session", name=f"{name}_schema")
    async def schema_fixture(test_database_url: str) -> str:
        return await rebuilt(test_database_url)

    @pytest.fixture(scope="session", name=f"{name}_pool")
    async def pool_fixture(test_database_url: str) -> AsyncIterator[asyncpg.Pool]:
        pool = await pool_on(test_database_url, await rebuilt(test_database_url))
        yield pool
        await pool.close()

    @pytest.fixture(scope="session", name=f"{name}_app")
    async def app_fixture(test_database_url: str) -> AsyncIterator[Any]:
        await rebuilt(test_database_url)
        app = make_app(test_database_url)
        yield app
        await app.state.resources.close()

    return schema_fixture, pool_fixture, app_fixture


async def lane_identity(pool: asyncpg.Pool) -> tuple[int, int]:
    """A lane function for tests of `relais_platform.lanes`: the process it ran in and its pool's backend."""
    return os.getpid(), int(await pool.fetchval("SELECT pg_backend_pid()"))


async def lane_failing(_pool: asyncpg.Pool, message: str) -> None:
    """A lane function for tests of `relais_platform.lanes`: fails with `message`."""
    raise ValueError(message)


async def lane_poisoned(_pool: asyncpg.Pool, consumer: str, count: int) -> int:
    """A lane function for tests of `relais_platform.lanes`: counts `count` poison events of `consumer` (as a lane
    decoding a share would) and returns the process it ran in."""
    POISON_EVENTS.labels(consumer).inc(count)
    return os.getpid()


async def lane_sleeping(_pool: asyncpg.Pool, seconds: float) -> None:
    """A lane function for tests of `relais_platform.lanes`: busy for `seconds`."""
    await asyncio.sleep(seconds)
