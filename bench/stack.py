"""An isolated copy of the Relais services for a benchmark: its own database and topic namespace, so the
stack started by `make up` neither sees nor disturbs it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient

from relais_platform.kafka import delete_namespace
from relais_platform.testing import ensure_database

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
LOG_DIR = ROOT / ".local" / "logs" / "bench"
PG = os.environ.get("RELAIS_BENCH_PG", "postgresql://relais@127.0.0.1:55432")
BOOTSTRAP = os.environ.get("RELAIS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(pid: int) -> float:
    """Peak resident memory (VmHWM) of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    """The live child processes of `pid`."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


async def wait_committed(namespace: str, topic: str, records: int, *, poll_s: float = 0.25,
                         limit_s: float = 1800) -> None:
    """Until a consumer group of the stack (its id names the namespace) has committed `records` records of the
    fresh `topic`: workers commit after their transaction, so all of it is then in the database. A far lighter
    progress signal than counting the growing table, which cost the measured pipeline up to a tenth of a core."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    deadline = time.monotonic() + limit_s
    try:
        while True:
            for group_id, _ in await admin.list_consumer_groups():
                if namespace in group_id:
                    offsets = await admin.list_consumer_group_offsets(group_id)
                    if sum(o.offset for tp, o in offsets.items() if tp.topic == topic and o.offset > 0) >= records:
                        return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{records:,} records of {topic} not committed in {limit_s:.0f} s")
            await asyncio.sleep(poll_s)
    finally:
        await admin.close()


_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu() -> dict[int, tuple[str, float, int]]:
    """Every process's command line, CPU seconds (user + system) so far and parent, from /proc."""
    found: dict[int, tuple[str, float, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        found[int(entry.name)] = command, (int(fields[11]) + int(fields[12])) / _TICKS, int(fields[1])
    return found


@dataclass
class CpuMeter:
    """CPU seconds used by a stack's processes, its database's PostgreSQL backends, PostgreSQL's own background
    processes, Kafka and the bench itself between `CpuMeter.start` and `used`: steadier than a rate on a noisy
    machine, and it says where the time went. /proc is read twice a second, so a process that exits in between
    (a connection closed) counts up to its last reading."""

    stack: BenchStack
    before: dict[int, tuple[str, float, int]]
    latest: dict[int, tuple[str, float, int]] = field(default_factory=dict)
    sampler: asyncio.Task[None] | None = None

    @classmethod
    def start(cls, stack: BenchStack) -> CpuMeter:
        meter = cls(stack, _process_cpu())
        meter.sampler = asyncio.get_running_loop().create_task(meter._sample())
        return meter

    async def _sample(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            self.latest.update(_process_cpu())

    def used(self) -> dict[str, float]:
        if self.sampler is not None:
            self.sampler.cancel()
        self.latest.update(_process_cpu())
        names = {os.getpid(): "bench client", **{p.pid: name for name, p in self.stack.processes.items()}}
        used: dict[str, float] = {}
        for pid, (command, seconds, parent) in self.latest.items():
            role = names.get(pid) or (f"{names[parent]} lanes" if parent in names else self._role(command))
            if role is not None:  # a worker's child processes (intake's file lanes) count apart
                used[role] = used.get(role, 0.0) + seconds - self.before.get(pid, (command, 0.0, parent))[1]
        return used

    def _role(self, command: str) -> str | None:
        if command.startswith("postgres: "):  # a client's backend reads "postgres: user database host(port) state"
            client = "127.0.0.1(" in command
            return "postgresql" if not client or f" {self.stack.database} " in command else None
        return "kafka" if "kafka.Kafka" in command else None

    def per_item(self, items: int) -> str:
        """`used` as µs of CPU per item, largest first, with the total."""
        used = sorted(self.used().items(), key=lambda kv: -kv[1])
        parts = [f"{role} {1e6 * seconds / items:,.1f}" for role, seconds in used if seconds > 0]
        return f"CPU µs per item: {', '.join(parts)}; total {1e6 * sum(s for _, s in used) / items:,.1f}"


@dataclass
class BenchStack:
    """Services started for one benchmark run; `env` is what they (and the bench) use."""

    services: tuple[str, ...]
    database: str = "relais_bench"
    namespace: str = field(default_factory=lambda: f"bench-{uuid.uuid4().hex[:8]}")
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        """DSN of the bench database."""
        return f"{PG}/{self.database}"

    def env(self, **extra: str) -> dict[str, str]:
        """Environment of a bench process."""
        return {**os.environ, "RELAIS_ENV": "test", "RELAIS_DATABASE_URL": self.database_url,
                "RELAIS_TOPIC_NAMESPACE": self.namespace, "RELAIS_LOG_LEVEL": "WARNING",
                "RELAIS_FAUST_DATADIR": str(ROOT / ".local" / "faust" / self.namespace), **extra}

    def url(self, service: str) -> str:
        """Base URL of a started API."""
        return f"http://127.0.0.1:{self.ports[service]}"

    async def start(self, *, workers: Iterable[str] | None = None) -> None:
        """Fresh schemas, topics in the namespace, then each API and worker; waits until ready."""
        await ensure_database(self.database_url)
        conn = await asyncpg.connect(self.database_url)
        try:
            for svc in self.services:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{svc}" CASCADE')
        finally:
            await conn.close()
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        for svc in self.services:
            proc = await asyncio.create_subprocess_exec(VENV_BIN / f"relais-{svc}", "migrate", env=self.env(),
                                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if await proc.wait():
                raise RuntimeError(f"relais-{svc} migrate failed")
        for svc in self.services:
            self.ports[svc] = free_port()
            self._spawn(f"{svc}-api", [VENV_BIN / f"relais-{svc}", "api"], RELAIS_HTTP_PORT=str(self.ports[svc]))
            self._spawn(f"{svc}-relay", [VENV_BIN / f"relais-{svc}", "relay"])  # as deploy/local/services.sh runs it
        for svc in self.services if workers is None else workers:
            self._spawn_worker(svc)
        await self._wait_ready(workers if workers is not None else self.services)

    async def checkpoint(self) -> None:
        """Write every dirty buffer out now, before a timed phase: a spread checkpoint still under way (started by an
        earlier run's gigabytes of WAL, or by the timeout) would otherwise write them during the phase, PostgreSQL's
        share of a campaigns case then moving from ~14 to ~21 µs between runs of the same code."""
        conn = await asyncpg.connect(self.database_url)
        try:
            await conn.execute("CHECKPOINT")
        finally:
            await conn.close()

    async def start_worker(self, service: str, **extra: str) -> None:
        """Start one more service worker (e.g. after the input is in place) and wait until it is ready."""
        self._spawn_worker(service, **extra)
        await self._wait_ready([service])

    def _spawn_worker(self, svc: str, **extra: str) -> None:
        # build_worker suffixes the consumer group with the namespace: the demo's groups never rebalance.
        env = {"RELAIS_WORKER_READY_FILE": str(LOG_DIR / f"{self.namespace}-{svc}.ready"),
               "RELAIS_OUTBOX_RELAY_IN_WORKER": "false", **extra}
        self._spawn(f"{svc}-worker" if f"{svc}-worker" not in self.processes else f"{svc}-worker-{len(self.processes)}",
                    [VENV_BIN / f"relais-{svc}", "worker"], **env)

    def _spawn(self, name: str, argv: list[Path | str], **extra: str) -> None:
        log = (LOG_DIR / f"{self.namespace}-{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(argv, env=self.env(**extra), stdout=log, stderr=log,
                                                start_new_session=True)

    async def _wait_ready(self, workers: Iterable[str] = ()) -> None:
        deadline = time.monotonic() + 90
        async with httpx.AsyncClient(timeout=2) as client:
            for svc in self.services:
                while True:
                    self._check_alive()
                    try:
                        if (await client.get(f"{self.url(svc)}/readyz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"bench {svc}-api not ready; see {LOG_DIR}")
                    await asyncio.sleep(0.3)
        for svc in workers:
            ready = LOG_DIR / f"{self.namespace}-{svc}.ready"
            while not ready.exists():
                self._check_alive()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"bench {svc}-worker not ready; see {LOG_DIR}")
                await asyncio.sleep(0.3)

    def _check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"bench process {name} exited ({proc.returncode}); see {LOG_DIR}")

    async def stop(self) -> None:
        """Stop every process of the stack (SIGTERM, then SIGKILL after 20 s), then delete its topics and faust
        data (a run leaves gigabytes of records otherwise)."""
        self._stop_processes()
        await delete_namespace(BOOTSTRAP, self.namespace)
        shutil.rmtree(ROOT / ".local" / "faust" / self.namespace, ignore_errors=True)

    def _stop_processes(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.processes.clear()
