"""Failed attempts are counted, never written; a low success rate fails after saving successes."""

import json

import pytest

from episode_generation_job.episode_session import EpisodeSession
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.step import STEP
from episode_generation_job.success import Verdict
from episode_generation_job.testing import tabletop_env, write_tabletop_usd
from tools.config import load_settings
from tools.errors import PartialFailureError
from tools.job_runner import execute_step
from tools.lerobot import open_dataset
from tools.scene_layout import LEROBOT_DIR


def test_low_success_rate_raises_after_saving_what_succeeded(tmp_path, monkeypatch):
    """Odd slots always fail: they are not in the dataset, the rate check raises afterwards."""
    original = EpisodeSession.attempt

    def attempt(self, slot, attempt, base_seed, *, render):
        record = original(self, slot, attempt, base_seed, render=render)
        if slot % 2:
            record.verdict = Verdict(False, "not_lifted")
        return record

    monkeypatch.setattr(EpisodeSession, "attempt", attempt)
    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    env = tabletop_env(scene_dir, 4, MAX_ATTEMPTS="2", MIN_SUCCESS_RATE="0.5")
    with pytest.raises(PartialFailureError) as info:
        execute_step(STEP, load_settings(EpisodeSettings, env))
    assert info.value.success_rate == pytest.approx(2 / 6, abs=1e-3)
    contents = open_dataset(scene_dir / LEROBOT_DIR)
    keys = sorted(contents.extra_metadata(r)["episode_key"] for r in contents.episodes)
    assert keys == ["ep-000000", "ep-000002"]
    summary = json.loads((scene_dir / "reports/episodes_summary.json").read_text())
    assert summary["failure_reasons"] == {"not_lifted": 4}
    assert summary["given_up"] == ["ep-000001", "ep-000003"]
    markers = list((scene_dir / ".markers").glob("episodes.failed-*.json"))
    assert markers
