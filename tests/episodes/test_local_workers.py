"""WORKERS=auto: one shard process per usable CPU, capped by the episodes and the free memory,
and one where the run's tasks are its workers (Cloud Run, a bucket, Isaac Sim)."""

from __future__ import annotations

import pytest

from episode_generation_job.local_workers import (
    WORKER_MEMORY_BYTES,
    auto_workers,
    available_memory,
)
from episode_generation_job.settings import EpisodeSettings
from tools.config import load_settings
from tools.cpus import available_cpus
from tools.errors import ConfigError

PLENTY = 64 * WORKER_MEMORY_BYTES


@pytest.mark.parametrize(
    ("episodes", "cpus", "memory", "expected"),
    [
        (100, 2, PLENTY, 2),  # one per CPU
        (100, 8, PLENTY, 8),
        (12, 8, PLENTY, 3),  # at least 4 episodes each
        (7, 8, PLENTY, 1),
        (100, 8, 3 * WORKER_MEMORY_BYTES + 1, 3),  # what the memory holds
        (100, 8, WORKER_MEMORY_BYTES // 2, 1),  # never below one
    ],
)
def test_auto_workers_follow_cpus_episodes_and_memory(episodes, cpus, memory, expected):
    assert auto_workers(episodes, cpus, memory) == expected


def test_a_run_whose_tasks_are_its_workers_keeps_one_process():
    assert auto_workers(1000, 8, PLENTY, single=True) == 1


def test_available_memory_reads_meminfo_and_the_cgroup_limit(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 8000000 kB\nMemAvailable:    4000000 kB\n")
    cgroup = tmp_path / "cgroup"
    cgroup.mkdir()
    assert available_memory(meminfo, cgroup) == 4_096_000_000
    (cgroup / "memory.max").write_text("3000000000\n")
    (cgroup / "memory.current").write_text("1000000000\n")
    assert available_memory(meminfo, cgroup) == 2_000_000_000
    (cgroup / "memory.max").write_text("max\n")
    assert available_memory(meminfo, cgroup) == 4_096_000_000
    assert available_memory(tmp_path / "none", tmp_path / "none") is None


def _settings(tmp_path, **env: str) -> EpisodeSettings:
    base = {"SCENE_ID": "s", "SCENE_DIR": str(tmp_path), "NUM_EPISODES": "400"}
    return load_settings(EpisodeSettings, {**base, **env})


def test_workers_default_to_auto_resolved_at_load(tmp_path):
    expected = auto_workers(400)
    assert 1 <= expected <= available_cpus()
    defaults, auto = _settings(tmp_path), _settings(tmp_path, WORKERS="auto")
    assert {defaults.worker_count, auto.worker_count} == {expected}
    assert _settings(tmp_path, WORKERS="3").worker_count == 3
    assert _settings(tmp_path, NUM_EPISODES="3").worker_count == 1


def test_auto_keeps_one_process_where_tasks_are_the_workers(tmp_path):
    sharded = {"CLOUD_RUN_TASK_COUNT": "10", "CLOUD_RUN_TASK_INDEX": "3"}
    assert _settings(tmp_path, **sharded).worker_count == 1
    assert _settings(tmp_path, SLOT_ASSIGNMENT="claim").worker_count == 1
    assert _settings(tmp_path, BACKEND="isaacsim").worker_count == 1
    bucket = {"SCENE_ID": "s", "BUCKET": "my-bucket", "NUM_EPISODES": "400"}
    assert load_settings(EpisodeSettings, bucket).worker_count == 1


def test_an_explicit_count_on_cloud_run_is_refused_in_one_line(tmp_path):
    sharded = {"CLOUD_RUN_TASK_COUNT": "10", "WORKERS": "2"}
    with pytest.raises(ConfigError, match="WORKERS=1 on Cloud Run"):
        _settings(tmp_path, **sharded)
    with pytest.raises(ConfigError, match="WORKERS"):
        _settings(tmp_path, WORKERS="many")
