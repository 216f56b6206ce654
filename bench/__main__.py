"""`python -m bench [name ...]`: run the named benchmarks (all by default) and print their figures.

Each benchmark is a module `bench/<name>.py` with `async def run() -> list[str]` returning the lines
to print; it measures its raw baseline in the same run and reports the ratio (machines are noisy).
Benchmarks never gate CI.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import time

BENCHMARKS = ("intake", "campaigns", "billing")


def main(argv: list[str]) -> int:
    """Run the benchmarks named in argv (or all that exist)."""
    names = argv or [n for n in BENCHMARKS if importlib.util.find_spec(f"bench.{n}")]
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        print(f"== {name} ==", flush=True)
        for line in asyncio.run(module.run()):
            print(f"  {line}", flush=True)
        print(f"  ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
