"""How many CPUs this process may really use (affinity and the container's CPU quota)."""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def quota_cpus(cpu_max: Path = CGROUP_CPU_MAX) -> float | None:
    """The cgroup v2 CPU quota in CPUs ("200000 100000" -> 2.0), or None when unlimited.

    Args:
        cpu_max: the cgroup's `cpu.max` file.

    Returns:
        quota / period, or None when the file is missing, unreadable or says "max".
    """
    try:
        quota, period = cpu_max.read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        return None


def available_cpus(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """CPUs this process can use: its affinity set, lowered to a CPU quota (rounded up).

    Cloud Run and Kubernetes limit CPUs by quota while `os.cpu_count()` reports the host's;
    starting more processes than the quota only adds contention.

    Args:
        cpu_max: the cgroup's `cpu.max` file.

    Returns:
        At least 1.
    """
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        usable = os.cpu_count() or 1
    quota = quota_cpus(cpu_max)
    if quota is not None:
        usable = min(usable, max(1, math.ceil(quota)))
    return max(1, usable)
