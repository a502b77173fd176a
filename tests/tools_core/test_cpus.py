"""available_cpus: the affinity set lowered to the cgroup quota."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools.cpus import available_cpus, quota_cpus


@pytest.mark.parametrize(
    ("content", "expected"),
    [("max 100000\n", None), ("150000 100000\n", 1.5), ("garbage", None), ("", None)],
)
def test_quota_is_read_from_cpu_max(tmp_path: Path, content: str, expected):
    """cgroup v2 `cpu.max` is "<quota|max> <period>"; anything else means no quota."""
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text(content)
    assert quota_cpus(cpu_max) == expected
    assert quota_cpus(tmp_path / "missing") is None


def test_a_quota_lowers_the_affinity_count(tmp_path: Path):
    """A 0.5-CPU quota means one process; no quota means the affinity set."""
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("50000 100000\n")
    assert available_cpus(cpu_max) == 1
    cpu_max.write_text("max 100000\n")
    assert available_cpus(cpu_max) == len(os.sched_getaffinity(0))
    cpu_max.write_text(f"{100000 * 64} 100000\n")
    assert available_cpus(cpu_max) == len(os.sched_getaffinity(0))
