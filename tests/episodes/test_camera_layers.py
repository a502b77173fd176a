"""Two cameras carrying RGB, depth and segmentation, recorded from the MuJoCo backend into a part
dataset: it validates, its depth is the renderer's within 1 mm, its ids are the manifest's, and
its calibration puts every labelled pixel back on its object."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from episode_generation_job.backends import CameraConfig, open_backend
from episode_generation_job.camera_recording import CameraRecorder, CameraRecording
from episode_generation_job.cameras import CameraSpec, camera_features, parse_cameras
from episode_generation_job.dataset import open_part, write_episode
from episode_generation_job.rollout import EpisodeRecord
from episode_generation_job.success import Verdict
from episode_generation_job.testing import write_tabletop_usd
from tools.lerobot import Provenance, open_dataset, validate_dataset
from tools.lerobot.format import LayerInfo
from tools.lerobot.tables import column_to_numpy
from tools.rotations import quat_to_matrix
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.sim import OffscreenRenderer

FRAMES = 3
ALL = ("rgb", "depth", "segmentation")
SPECS = (
    CameraSpec(name="scene", mount="scene", width=64, height=48, modalities=ALL),
    CameraSpec(name="wrist", mount="wrist", width=32, height=32, modalities=ALL),
)
PROVENANCE = Provenance(source="blueprint-episodes", backend="mujoco", seed=61)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A few frames of the tabletop (arm holding still) with the renderer's own depth and
    geom ids at each frame, written as a one-episode part."""
    scene_dir = write_tabletop_usd(tmp_path_factory.mktemp("layers") / "tabletop")
    manifest = load_manifest(scene_dir)
    config = CameraConfig(specs=SPECS)
    backend = open_backend("mujoco", scene_dir / SCENE_USD_PATH, manifest, config)
    recorder = CameraRecorder(backend)
    truth: list[dict[str, tuple[Any, Any]]] = []
    renderers = {s.name: OffscreenRenderer(backend.model, s.width, s.height) for s in SPECS}
    try:
        for _ in range(FRAMES):
            recorder.capture()
            truth.append({})
            for spec in SPECS:
                camera = backend._camera_ids[spec.name]
                layers = renderers[spec.name].render_layers(
                    backend.data, camera, depth=True, segmentation=True
                )
                truth[-1][spec.name] = (layers.depth_m, layers.geom_ids)
            backend.step(backend.arm_qpos().tolist(), backend.gripper_width())
        boxes = backend.object_boxes()
        geom_names = [backend.model.geom(i).name for i in range(backend.model.ngeom)]
    finally:
        for renderer in renderers.values():
            renderer.close()
        backend.close()
    state = np.zeros((FRAMES, 8), np.float32)
    record = EpisodeRecord(
        state, state, np.zeros((FRAMES, 14), np.float32), recorder.images(), Verdict(True, None),
        cameras=recorder.recording(),
    )  # fmt: skip
    root = tmp_path_factory.mktemp("part") / "part-000"
    with open_part(
        root, PROVENANCE, [s.name for s in SPECS], "h264", recording=record.cameras
    ) as w:
        write_episode(w, record, "hold still", {"episode_key": "slot-0"})
    return root, truth, manifest, boxes, geom_names


def _column(root: Path, name: str) -> np.ndarray:
    """A column of the part's data; layers reshaped to (T, height, width) from their info."""
    values = column_to_numpy(pq.read_table(root / "data/chunk-000/file-000.parquet"), name)
    info = open_dataset(root).info.features[name].info
    if isinstance(info, LayerInfo):
        return values.reshape(-1, info.height, info.width)
    return values


def test_dataset_with_two_rgbd_segmentation_cameras_is_valid(recorded):
    root = recorded[0]
    assert validate_dataset(root) == []
    info = open_dataset(root).info
    assert info.video_keys == ["observation.images.scene", "observation.images.wrist"]
    assert info.features["observation.depth.scene"].shape == (48 * 64,)
    assert info.features["observation.segmentation.wrist"].dtype == "uint16"
    card = (root / "README.md").read_text()
    assert "observation.depth.wrist" in card and "meta/segmentation.json" in card


def test_depth_matches_the_renderer_within_a_millimetre(recorded):
    root, truth = recorded[0], recorded[1]
    for spec in SPECS:
        stored = _column(root, f"observation.depth.{spec.name}").astype(np.float64) / 1000.0
        rendered = np.stack([frame[spec.name][0] for frame in truth])
        hit = np.isfinite(rendered)
        assert hit.mean() > 0.2
        assert np.abs(stored[hit] - rendered[hit]).max() <= 0.001
        assert (stored[~hit] == 0).all()


def test_segmentation_ids_name_the_manifest_objects(recorded):
    """Every pixel the renderer gives to an object's geoms carries that object's id in the map."""
    root, truth, manifest, _, names = recorded
    id_map = json.loads((root / "meta/segmentation.json").read_text())
    by_object = {value: int(key) for key, value in id_map.items()}
    assert {o.id for o in manifest.objects} <= set(by_object)
    seen = set()
    for spec in SPECS:
        stored = _column(root, f"observation.segmentation.{spec.name}")
        geoms = np.stack([frame[spec.name][1] for frame in truth])
        for obj in manifest.objects:
            prefix = "/World/Objects/"
            mine = [i for i, n in enumerate(names) if n.startswith(prefix) and obj.id in n]
            mask = np.isin(geoms, mine)
            if mask.any():
                seen.add(obj.id)
                assert (stored[mask] == by_object[obj.id]).all(), obj.id
        assert (stored[geoms < 0] == 0).all()
    assert len(seen) >= 2


def test_calibration_puts_labelled_pixels_back_on_their_objects(recorded):
    """Back-projecting a labelled pixel with the recorded intrinsics, extrinsics and depth lands
    inside its object's box (the scene camera sees the table's objects)."""
    root, _, _, boxes, _ = recorded
    cameras = json.loads((root / "meta/cameras.json").read_text())["cameras"]
    k = cameras["scene"]["intrinsics"]
    depth = _column(root, "observation.depth.scene")[0].astype(np.float64) / 1000.0
    ids = _column(root, "observation.segmentation.scene")[0]
    pose = _column(root, "observation.cameras.scene.extrinsics")[0].astype(np.float64)
    id_map = json.loads((root / "meta/segmentation.json").read_text())
    rows, cols = np.nonzero(ids >= 3)
    x = (cols + 0.5 - k["cx"]) / k["fx"] * depth[rows, cols]
    y = -(rows + 0.5 - k["cy"]) / k["fy"] * depth[rows, cols]
    world = np.stack([x, y, -depth[rows, cols]], 1) @ np.asarray(quat_to_matrix(pose[3:])).T
    world += pose[:3]
    checked = 0
    for point, label in zip(world, ids[rows, cols], strict=True):
        box = boxes.get(id_map[str(label)])
        if box is None:
            continue
        yaw = -box.yaw
        d = point - np.asarray(box.centre)
        local = np.array([d[0] * np.cos(yaw) - d[1] * np.sin(yaw),
                          d[0] * np.sin(yaw) + d[1] * np.cos(yaw), d[2]])  # fmt: skip
        assert (np.abs(local) <= np.asarray(box.half_extents) + 0.01).all(), id_map[str(label)]
        checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('[{"name": "top", "mount": "ceiling"}]', "camera 0: mount"),
        ('[{"name": "top", "mount": "scene", "modalities": ["normals"]}]', "camera 0: modalities"),
        ('[{"name": "a", "mount": "scene"}, {"name": "a", "mount": "wrist"}]', "used twice"),
        ('[{"name": "a", "mount": "scene", "width": 33}]', "camera 0: width"),
        ("front", "must be scene, wrist"),
        ("[1,", "not valid JSON"),
    ],
)
def test_bad_camera_lists_name_the_entry_and_field(value, message):
    with pytest.raises(ValueError, match=message):
        parse_cameras(value, 128, 128)


def test_the_short_form_keeps_todays_two_rgb_cameras():
    assert parse_cameras("scene,wrist", 128, 128) == (
        CameraSpec(name="scene", mount="scene", width=128, height=128),
        CameraSpec(name="wrist", mount="wrist", width=128, height=128),
    )


def test_a_bad_camera_setting_is_one_line_naming_the_variable(tmp_path):
    from episode_generation_job.settings import EpisodeSettings
    from tools.config import load_settings
    from tools.errors import ConfigError

    env = {"SCENE_ID": "s", "SCENE_DIR": str(tmp_path), "CAMERAS": '[{"name": "x"}]'}
    with pytest.raises(ConfigError) as caught:
        load_settings(EpisodeSettings, env)
    assert "CAMERAS" in str(caught.value) and "camera 0: mount" in str(caught.value)
    assert "\n" not in str(caught.value)
    good = {**env, "CAMERAS": json.dumps([s.model_dump() for s in SPECS])}
    assert load_settings(EpisodeSettings, good).camera_specs == SPECS


def test_the_job_writes_a_valid_dataset_from_a_camera_list(tmp_path):
    """CAMERAS as a JSON list through the whole step (shards, parts, merge): the published
    dataset validates and keeps the layers, their id map and the calibration."""
    from episode_generation_job.settings import EpisodeSettings
    from episode_generation_job.step import STEP
    from tools.config import load_settings
    from tools.job_runner import execute_step
    from tools.scene_layout import LEROBOT_DIR

    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    cameras = [
        {"name": "scene", "mount": "scene", "width": 32, "height": 32, "modalities": ["depth"]},
        {"name": "hand", "mount": "wrist", "width": 32, "height": 32, "modalities": list(ALL)},
    ]
    env = {"SCENE_ID": "tabletop", "SCENE_DIR": str(scene_dir), "NUM_EPISODES": "1",
           "SEED": "62", "RANDOMIZATION": "none", "PREVIEW_EPISODES": "0",
           "CAMERAS": json.dumps(cameras)}  # fmt: skip
    execute_step(STEP, load_settings(EpisodeSettings, env))
    root = scene_dir / LEROBOT_DIR
    assert validate_dataset(root) == []
    contents = open_dataset(root)
    assert contents.info.video_keys == ["observation.images.hand"]  # the scene camera: depth only
    assert set(contents.info.layer_keys) == {
        "observation.depth.scene", "observation.depth.hand", "observation.segmentation.hand"
    }  # fmt: skip
    assert set(contents.documents) == {"cameras", "segmentation"}
    assert contents.documents["cameras"]["cameras"]["hand"]["mount"] == "wrist"


def test_a_recording_knows_whether_it_carries_pixel_layers():
    """Layers decide whether the shard runner writes an episode in line (write_behind)."""
    rgb = CameraSpec(name="scene", mount="scene")
    depth = CameraSpec(name="wrist", mount="wrist", modalities=("rgb", "depth"))
    assert not CameraRecording(features=camera_features([rgb])).has_layers
    assert CameraRecording(features=camera_features([rgb, depth])).has_layers
