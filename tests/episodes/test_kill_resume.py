"""A job SIGKILLed mid-run and started again ends with exactly the requested episodes, once each."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from episode_generation_job.episode_layout import episode_key, shard_dir
from episode_generation_job.run_fingerprint import run_dir_for
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.testing import write_tabletop_usd
from tools.config import load_settings
from tools.lerobot import open_dataset, published_datasets, validate_dataset
from tools.scene_layout import LEROBOT_DIR

NUM = 6


def _env(scene_dir, num=NUM):
    env = dict(os.environ)
    env.update(
        {
            "SCENE_ID": "tabletop",
            "SCENE_DIR": str(scene_dir),
            "NUM_EPISODES": str(num),
            "CHECKPOINT_EVERY": "2",
            "CAMERAS": "",
            "PREVIEW_EPISODES": "0",
            "RANDOMIZATION": "none",  # the tabletop has no replicator bundle
        }
    )
    return env


def _run(scene_dir, env):
    """The run folder the job will use under `env` (parts live under their fingerprint)."""
    return run_dir_for(scene_dir, load_settings(EpisodeSettings, env))


def _command(workers=1):
    return [
        sys.executable,
        "-m",
        "episode_generation_job.generate_episodes",
        "--workers",
        str(workers),
    ]


def _children(pid):
    """Live processes whose parent is `pid` (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigkill_then_rerun_has_no_lost_or_duplicate_episode(tmp_path):
    """Kill after the first part is published, rerun: NUM unique slots, valid dataset."""
    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    shard = shard_dir(_run(scene_dir, _env(scene_dir)), 0, 1)
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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_the_parent_takes_its_workers_and_a_rerun_completes(tmp_path):
    """WORKERS=2: SIGKILL the job once a part is published; its workers die with it at once
    (they have seconds of work left: none keeps writing beside the rerun), and the rerun
    ends with every slot once, in slot order."""
    num = 40
    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    env = _env(scene_dir, num)
    shards = [shard_dir(_run(scene_dir, env), index, 2) for index in range(2)]
    process = subprocess.Popen(_command(2), env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not any(published_datasets(s) for s in shards) and time.monotonic() < deadline:
        assert process.poll() is None, "the job ended before it could be killed"
        time.sleep(0.05)
    workers = _children(process.pid)
    assert len(workers) == 2
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 2
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(_alive(pid) for pid in workers), "a worker outlived the killed job"
    assert not (scene_dir / LEROBOT_DIR).exists()
    rerun = subprocess.run(_command(2), env=env, capture_output=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    contents = open_dataset(scene_dir / LEROBOT_DIR)
    keys = [contents.extra_metadata(row)["episode_key"] for row in contents.episodes]
    assert keys == [episode_key(i) for i in range(num)]
    assert validate_dataset(scene_dir / LEROBOT_DIR) == []
