"""A job SIGKILLed mid-run and started again ends with exactly the requested episodes, once each."""

import os
import signal
import subprocess
import sys
import time

from episode_generation_job.episode_layout import episode_key, shard_dir
from episode_generation_job.testing import write_tabletop_usd
from tools.lerobot import open_dataset, published_datasets, validate_dataset
from tools.scene_layout import LEROBOT_DIR

NUM = 6


def _env(scene_dir):
    env = dict(os.environ)
    env.update(
        {
            "SCENE_ID": "tabletop",
            "SCENE_DIR": str(scene_dir),
            "NUM_EPISODES": str(NUM),
            "CHECKPOINT_EVERY": "2",
            "CAMERAS": "",
            "PREVIEW_EPISODES": "0",
            "RANDOMIZATION": "none",  # the tabletop has no replicator bundle
        }
    )
    return env


def _command():
    return [sys.executable, "-m", "episode_generation_job.generate_episodes"]


def test_sigkill_then_rerun_has_no_lost_or_duplicate_episode(tmp_path):
    """Kill after the first part is published, rerun: NUM unique slots, valid dataset."""
    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    shard = shard_dir(scene_dir, 0, 1)
    process = subprocess.Popen(_command(), env=_env(scene_dir), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not published_datasets(shard) and time.monotonic() < deadline:
        assert process.poll() is None, "the job ended before it could be killed"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert published_datasets(shard), "no part was published before the deadline"
    assert not (scene_dir / LEROBOT_DIR).exists()
    rerun = subprocess.run(_command(), env=_env(scene_dir), capture_output=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    contents = open_dataset(scene_dir / LEROBOT_DIR)
    keys = [contents.extra_metadata(row)["episode_key"] for row in contents.episodes]
    assert sorted(keys) == [episode_key(i) for i in range(NUM)]
    assert validate_dataset(scene_dir / LEROBOT_DIR) == []
