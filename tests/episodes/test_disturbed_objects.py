"""A failed attempt records which objects it disturbed and by how much: in the verdict, the
attempt's checkpoint record, the shard summary and reports/episodes_summary.json."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from episode_generation_job.disturbance import Disturbance, disturbed_objects
from episode_generation_job.episode_session import EpisodeSession
from episode_generation_job.settings import EpisodeSettings
from episode_generation_job.step import STEP
from episode_generation_job.success import EpisodeObservation, Verdict, judge
from episode_generation_job.testing import tabletop_env, write_tabletop_usd
from tools.config import load_settings
from tools.errors import PartialFailureError
from tools.job_runner import execute_step
from tools.tasks.geometry import Pose
from tools.tasks.task_specifier import GoalRegion


def _about_x(deg: float) -> tuple[float, float, float, float]:
    half = math.radians(deg) / 2
    return (math.cos(half), math.sin(half), 0.0, 0.0)


def _observation(lemon_end: Pose) -> EpisodeObservation:
    """The cup was picked and placed; a lemon and a can stood beside it."""
    start = {
        "cup": Pose((0.4, 0.0, 0.75)),
        "lemon": Pose((0.5, 0.1, 0.75)),
        "can": Pose((0.5, -0.1, 0.75)),
    }
    end = {"cup": Pose((0.4, 0.2, 0.75), _about_x(40)), "lemon": lemon_end, "can": start["can"]}
    region = GoalRegion((0.4, 0.2), (0.05, 0.05), 0.0, 0.75)
    return EpisodeObservation(start, end, 0.1, 0.0, 0.0, False, region)


def test_a_rolled_lemon_is_named_with_its_translation_and_rotation() -> None:
    """The lemon rolled 6 cm and turned 90 degrees: the verdict names it, with the figures; the
    target (turned too) and the can (unmoved) are not listed."""
    verdict = judge("cup", "plate", _observation(Pose((0.56, 0.1, 0.75), _about_x(90))))
    assert [d.object_id for d in verdict.disturbed] == ["lemon"]
    lemon = verdict.disturbed[0]
    assert lemon.translation_m == pytest.approx(0.06)
    assert lemon.rotation_deg == pytest.approx(90.0)
    assert lemon.tilt_deg == pytest.approx(90.0)
    assert lemon.as_dict() == {
        "object_id": "lemon",
        "translation_m": 0.06,
        "rotation_deg": 90.0,
        "tilt_deg": 90.0,
        "drop_m": 0.0,
    }
    assert verdict.checks["others_disturbed"] == 1


def test_small_motions_are_not_disturbances() -> None:
    """A lemon that turned 20 degrees stays under the 25-degree tilt rule: nothing recorded."""
    verdict = judge("cup", "plate", _observation(Pose((0.51, 0.1, 0.75), _about_x(20))))
    assert verdict.disturbed == ()


def test_disturbed_objects_are_ordered_most_turned_first() -> None:
    """Several disturbed objects: the most turned first, then the farthest moved."""
    start = {k: Pose((0.0, 0.0, 0.8)) for k in ("a", "b", "c", "target")}
    end = {
        "a": Pose((0.0, 0.0, 0.7)),  # fell 10 cm, upright
        "b": Pose((0.0, 0.0, 0.8), _about_x(60)),
        "c": Pose((0.0, 0.0, 0.8), _about_x(30)),
        "target": Pose((1.0, 0.0, 0.8), _about_x(90)),
    }
    found = disturbed_objects("target", start, end, math.radians(25), 0.05)
    assert [d.object_id for d in found] == ["b", "c", "a"]
    assert isinstance(found[2], Disturbance) and found[2].drop_m == pytest.approx(0.1)


def test_failed_attempts_record_the_disturbed_object_in_summary_and_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Odd slots fail as scene_disturbed by a lemon: the step summary lists the lemon per
    attempt and counts it, the shard summary and the tracker's checkpoint keep it too."""
    original = EpisodeSession.attempt
    lemon = Disturbance("lemon_1", 0.034, 41.5, 40.0, 0.001)

    def attempt(self, slot, attempt, base_seed, *, render):
        record = original(self, slot, attempt, base_seed, render=render)
        if slot % 2:
            record.verdict = Verdict(False, "scene_disturbed", {}, (lemon,))
        return record

    monkeypatch.setattr(EpisodeSession, "attempt", attempt)
    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    env = tabletop_env(scene_dir, 2, MAX_ATTEMPTS="2", MIN_SUCCESS_RATE="0.5")
    with pytest.raises(PartialFailureError):
        execute_step(STEP, load_settings(EpisodeSettings, env))
    summary = json.loads((scene_dir / "reports/episodes_summary.json").read_text())
    assert summary["failure_reasons"] == {"scene_disturbed": 2}
    expected = [lemon.as_dict()]
    assert summary["disturbed_objects"] == {
        "ep-000001/attempt-0": expected,
        "ep-000001/attempt-1": expected,
    }
    assert summary["disturbed_object_counts"] == {"lemon_1": 2}
    assert summary["shards"][0]["disturbed"]["ep-000001/attempt-0"] == expected
    checkpoints = [
        json.loads(p.read_text()) for p in scene_dir.rglob(".checkpoints/episodes*.json")
    ]
    failed = [f for c in checkpoints for f in c["failed"]]
    assert {f["item"]: f["disturbed"] for f in failed} == {
        "ep-000001/attempt-0": expected,
        "ep-000001/attempt-1": expected,
    }
