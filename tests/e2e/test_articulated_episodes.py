"""The Panda opens and closes a drawer in MuJoCo, judged from the joint position (issue 20).

e2e: two simulated episodes of ~9 s each plus station search take ~15 s of CPU.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from episode_generation_job.articulated_episodes import run_articulated_tasks
from episode_generation_job.articulated_stations import choose_station
from tests.articulated_scenes import build_articulated_scene
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.tasks.articulated import CLOSED_MAX_FRACTION, OPEN_MIN_FRACTION, derive_articulated_tasks
from tools.tasks.geometry import ObjectBox

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The articulated nightstand scene."""
    return build_articulated_scene(tmp_path_factory.mktemp("episodes") / "scene")


def test_the_panda_opens_then_closes_the_drawer(scene: Path) -> None:
    """open_drawer ends >= 60 % open and close_drawer <= 5 %, each with the hand released."""
    manifest = load_manifest(scene)
    outcomes = list(run_articulated_tasks(scene / SCENE_USD_PATH, manifest))
    assert [o.task.skill for o in outcomes] == ["open_drawer", "close_drawer"]
    opened, closed = outcomes
    assert opened.success and closed.success, [o.reason for o in outcomes]
    assert opened.record is not None and closed.record is not None
    assert opened.record.verdict.checks["open_fraction"] >= OPEN_MIN_FRACTION
    assert closed.record.verdict.checks["open_fraction"] <= CLOSED_MAX_FRACTION
    assert opened.record.verdict.checks["released"] is True
    # The recorded handle starts at the closed front and ends pulled out along its normal.
    handle = opened.record.environment_state[:, :3]
    task = opened.task
    assert np.allclose(handle[0], task.frame.handle, atol=1e-3)
    pulled = float(np.dot(handle[-1] - handle[0], task.frame.front))
    span = task.frame.upper - task.frame.lower
    assert pulled >= OPEN_MIN_FRACTION * span - 1e-3
    assert opened.record.metadata["end_fraction"] >= OPEN_MIN_FRACTION
    assert np.isfinite(opened.record.action).all() and opened.record.physics_steps > 0


def test_a_station_blocked_by_furniture_is_refused(scene: Path) -> None:
    """A wide object filling the floor all round the drawer leaves no clear station."""
    task = derive_articulated_tasks(load_manifest(scene))[0]
    x, y = float(task.frame.handle[0]), float(task.frame.handle[1])
    blocker = ObjectBox("sofa", (x, y, 0.4), (1.5, 1.5, 0.4), 0.0)
    assert choose_station(task, {"sofa": blocker}) == "no_clear_station"
    assert not isinstance(choose_station(task, {}), str)
