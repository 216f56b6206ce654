"""Processes that take part of a big file next to the intake worker: a file's chunks are read, validated and
written by several lanes at once (`relais_platform.lanes`: the worker runs the first, child processes the
others), so one partner's million rows use more than the one core a Python process can."""

from __future__ import annotations

from typing import Any

from relais_platform.lanes import ProcessLanes

LANE_POOL_SIZE = 4  # a lane's transaction, the chunk fetch of its reading thread, its listener, one spare


class FileLanes(ProcessLanes):
    """`count` lanes for a CSV of `min_bytes` or more; smaller files take one."""

    def __init__(self, *, min_bytes: int, **lanes: Any) -> None:
        super().__init__(service="relais-intake", pool_size=LANE_POOL_SIZE,
                         imports=("relais_intake.service_layer.file_processing",), **lanes)
        self.min_bytes = min_bytes

    def lanes_for(self, size: int) -> int:
        """How many lanes a file of `size` bytes takes."""
        return self.count if size >= self.min_bytes else 1
