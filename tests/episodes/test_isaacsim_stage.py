"""Isaac Sim backend's USD side (runs on usd-core): object lookup, boxes, cameras match MuJoCo's."""

import numpy as np
import pytest
from pxr import Usd, UsdGeom

from episode_generation_job.backends import isaacsim_stage as stage_io
from episode_generation_job.backends.isaacsim_backend import _box
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import scene_from_usd
from episode_generation_job.testing import write_tabletop_usd
from tools.scene_manifest import load_manifest
from tools.tasks.robot_mount import mount_pose, pedestal, scene_camera


@pytest.fixture(scope="module")
def scene_dir(tmp_path_factory):
    return write_tabletop_usd(tmp_path_factory.mktemp("isaac") / "tabletop")


def test_usd_boxes_match_the_mujoco_measurement(scene_dir):
    """Boxes from USD extents + poses (Isaac path) equal MuJoCo's geom-based boxes within 1 mm."""
    stage = Usd.Stage.Open(str(scene_dir / "usd/scene.usda"))
    paths = stage_io.object_paths(stage)
    manifest = load_manifest(scene_dir)
    assert set(paths) == {o.id for o in manifest.objects}
    backend = MujocoBackend(scene_from_usd(scene_dir / "usd/scene.usda", manifest))
    mujoco_boxes = backend.object_boxes()
    for object_id, path in paths.items():
        usd_box = _box(
            stage_io.local_bounds(stage, path), object_id, stage_io.world_pose(stage, path)
        )
        reference = mujoco_boxes[object_id]
        assert np.allclose(usd_box.centre, reference.centre, atol=1e-3), object_id
        assert np.allclose(sorted(usd_box.half_extents), sorted(reference.half_extents), atol=1e-3)
    assert mount_pose(manifest, mujoco_boxes) == backend.robot_base
    backend.close()


def test_pedestal_and_cameras_are_authored_like_mujoco(scene_dir):
    """The pedestal collider and the scene camera land where the MuJoCo backend puts them."""
    stage = Usd.Stage.Open(str(scene_dir / "usd/scene.usda"))
    manifest = load_manifest(scene_dir)
    base = mount_pose(manifest, {"table_0": _table_box(stage)})
    stand = pedestal(manifest, base)
    assert stand is not None
    stage_io.author_pedestal(stage, stand)
    UsdGeom.Xform.Define(stage, f"{stage_io.ROBOT_PATH}/panda_hand")
    paths = stage_io.author_cameras(stage, base)
    assert set(paths) == {"scene", "wrist"}
    cache = UsdGeom.XformCache()
    matrix = cache.GetLocalToWorldTransform(stage.GetPrimAtPath(paths["scene"]))
    eye, rotation = scene_camera(base)
    assert np.allclose(matrix.ExtractTranslation(), eye, atol=1e-6)
    looking = matrix.TransformDir((0.0, 0.0, -1.0))
    assert np.allclose(looking, -rotation[:, 2], atol=1e-6)
    top = cache.GetLocalToWorldTransform(stage.GetPrimAtPath(stage_io.PEDESTAL_PATH))
    assert top.ExtractTranslation()[2] == pytest.approx(stand.centre[2])


def _table_box(stage):
    path = stage_io.object_paths(stage)["table_0"]
    return _box(stage_io.local_bounds(stage, path), "table_0", stage_io.world_pose(stage, path))
