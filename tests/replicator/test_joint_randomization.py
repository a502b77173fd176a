"""Door and drawer positions drawn per episode within limits, recorded, and set in MuJoCo."""

from __future__ import annotations

from pathlib import Path

import mujoco
import numpy as np
import pytest
from pydantic import ValidationError

from tests.articulated_scenes import FRIDGE, NIGHTSTAND, build_articulated_scene
from tools.randomization import (
    EpisodeRandomization,
    JointConfig,
    JointSample,
    ModelMismatchError,
    apply_to_mujoco,
    sample_joints,
)
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.sim import load_scene_model


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A nightstand with a drawer and a fridge with two doors, assembled."""
    return build_articulated_scene(tmp_path_factory.mktemp("joints") / "scene", fridge=True)


def test_every_joint_is_drawn_within_its_limits(scene: Path) -> None:
    """One sample per joint, its position = lower + fraction x range, the same for one seed."""
    manifest = load_manifest(scene)
    config = JointConfig(enabled=True, open_fraction=(0.2, 0.9))
    first = sample_joints(config, manifest, np.random.default_rng(61))
    again = sample_joints(config, manifest, np.random.default_rng(61))
    assert first == again
    assert {(s.object_id, s.joint) for s in first} == {
        (o.id, j.name) for o in manifest.objects if o.articulation for j in o.articulation.joints
    }
    for sample in first:
        joint = next(
            j for j in manifest.object(sample.object_id).articulation.joints  # type: ignore[union-attr]
            if j.name == sample.joint
        )  # fmt: skip
        assert 0.2 <= sample.open_fraction <= 0.9
        expected = joint.lower + sample.open_fraction * (joint.upper - joint.lower)
        assert sample.position == pytest.approx(expected)


def test_joints_an_open_task_needs_closed_stay_closed(scene: Path) -> None:
    """`keep_closed` joints are sampled at 0 (closed) whatever the range."""
    manifest = load_manifest(scene)
    drawer = manifest.object(NIGHTSTAND).articulation.joints[0].name  # type: ignore[union-attr]
    config = JointConfig(
        enabled=True, open_fraction=(0.5, 1.0), keep_closed=(f"{NIGHTSTAND}/{drawer}",)
    )
    samples = sample_joints(config, manifest, np.random.default_rng(62))
    kept = next(s for s in samples if s.object_id == NIGHTSTAND)
    assert kept.open_fraction == 0.0 and kept.position == 0.0
    assert all(s.open_fraction >= 0.5 for s in samples if s.object_id == FRIDGE)


def test_a_bad_fraction_range_is_refused() -> None:
    """The range lies within [0, 1], low <= high."""
    with pytest.raises(ValidationError, match="open_fraction"):
        JointConfig(open_fraction=(0.5, 1.2))


def test_mujoco_starts_the_episode_with_the_sampled_positions(scene: Path) -> None:
    """apply_to_mujoco sets each joint's qpos (at rest) in a model loaded from scene.usda."""
    manifest = load_manifest(scene)
    config = JointConfig(enabled=True)
    samples = sample_joints(config, manifest, np.random.default_rng(63))
    loaded = load_scene_model(scene / SCENE_USD_PATH)
    data = loaded.make_data()
    episode = EpisodeRandomization(scene_id="s", policy="p", joints=samples)
    apply_to_mujoco(episode, loaded.model, data, loaded.objects)
    for sample in samples:
        handle = loaded.joints[f"{sample.object_id}/{sample.joint}"]
        assert handle.open_fraction(data.qpos) == pytest.approx(
            sample.open_fraction, abs=1e-6
        )  # USD limits: float32
        assert data.qvel[handle.dof_adr] == 0.0
    mujoco.mj_step(loaded.model, data)
    assert np.isfinite(data.qpos).all()
    assert episode.to_json_dict()["joints"][0]["open_fraction"] == samples[0].open_fraction


def test_a_joint_missing_from_the_model_is_named(scene: Path) -> None:
    """A sample for a joint the model lacks fails with the joint's prim path."""
    loaded = load_scene_model(scene / SCENE_USD_PATH)
    ghost = JointSample(
        object_id=NIGHTSTAND, joint="drawer_9_slide", open_fraction=0.5, position=0.1
    )
    episode = EpisodeRandomization(scene_id="s", policy="p", joints=(ghost,))
    with pytest.raises(ModelMismatchError, match="drawer_9_slide"):
        apply_to_mujoco(episode, loaded.model, loaded.make_data(), loaded.objects)
