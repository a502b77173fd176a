"""How many local shard processes WORKERS=auto starts: one per CPU this process may use, as
long as each gets enough episodes to repay its start-up and enough memory to run.

Cloud Run, bucket runs and Isaac Sim keep one process: there the tasks are the workers (each
task its own container and CPUs), and one GPU hosts one Isaac Sim.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from tools.cpus import available_cpus

# A worker imports the engine and loads the scene (a few seconds, about one episode's work)
# before its first episode: below this many episodes each, a second process does not pay.
MIN_EPISODES_PER_WORKER: Final = 4
# Peak resident memory of one process recording two 256² cameras with RGB, depth and
# segmentation (1.57 GB measured on the tabletop; 0.60 GB with two 128² RGB), with headroom.
WORKER_MEMORY_BYTES: Final = 2 * 2**30
MEMINFO: Final = Path("/proc/meminfo")
CGROUP_MEMORY: Final = Path("/sys/fs/cgroup")


def available_memory(meminfo: Path = MEMINFO, cgroup: Path = CGROUP_MEMORY) -> int | None:
    """Bytes this process may still allocate: the system's MemAvailable, lowered to what the
    container's cgroup limit leaves; None where neither can be read."""
    limits: list[int] = []
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = (cgroup / "memory.max").read_text().strip()
        if limit != "max":
            used = int((cgroup / "memory.current").read_text().strip())
            limits.append(max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    return min(limits) if limits else None


def auto_workers(
    episodes: int, cpus: int | None = None, memory: int | None = None, *, single: bool = False
) -> int:
    """Local shard processes for `episodes` episodes (always >= 1).

    Args:
        episodes: the episodes wanted.
        cpus: CPUs this process may use (default: affinity and cgroup quota).
        memory: bytes available (default: `available_memory()`; unknown: no memory cap).
        single: the run's tasks are its workers (Cloud Run, a bucket, Isaac Sim): 1.
    """
    if single:
        return 1
    cpus = available_cpus() if cpus is None else cpus
    memory = available_memory() if memory is None else memory
    count = min(cpus, episodes // MIN_EPISODES_PER_WORKER)
    if memory is not None:
        count = min(count, memory // WORKER_MEMORY_BYTES)
    return max(1, count)
