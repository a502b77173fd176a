"""The worker and Cloud Run entrypoints run in-process: a shard, then the job that merges it."""

import pytest

from episode_generation_job import generate_episodes, worker
from episode_generation_job.testing import tabletop_env, write_tabletop_usd
from tools.lerobot import open_dataset
from tools.scene_layout import LEROBOT_DIR


def test_worker_then_entrypoint_resume_and_merge(tmp_path, monkeypatch):
    """A worker fills shard 0 of 1; the entrypoint then finds it done and only merges."""
    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    env = tabletop_env(scene_dir, 2, PREVIEW_EPISODES="0", STRUCTURED_LOGGING="false")
    env |= {"WORKERS": "1", "MUJOCO_GL": "egl"}  # main() writes these: restored after the test
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert worker.main() == 0
    assert not (scene_dir / LEROBOT_DIR).exists()
    with pytest.raises(SystemExit) as exit_info:
        generate_episodes.main(["--workers", "1"])
    assert exit_info.value.code == 0
    assert open_dataset(scene_dir / LEROBOT_DIR).info.total_episodes == 2


def test_worker_reports_bad_configuration(monkeypatch):
    """A worker without SCENE_ID exits 2 (bad configuration)."""
    monkeypatch.delenv("SCENE_ID", raising=False)
    assert worker.main() == 2
