"""Genie Sim's own episode writer produces exactly the schema the mock follows (needs
GENIE_SIM_SRC, else skipped)."""

# Runs Genie Sim v3.2.0's `server/recording/sim_data_converter.py` (SimDataConverter), unchanged,
# on a small synthetic raw recording (what its collector leaves before conversion: metadata.yaml,
# state.json, frame_state.json, aligned_joints_all.h5), then compares what it wrote with
# `tools.geniesim_format.writer_schema` and with a mock episode, dataset by dataset.


from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import h5py
import numpy as np
import pytest
import yaml

from fixtures.generate_mock_geniesim_output import DEFAULT_TASK, generate_mock_geniesim_output
from tools.archives import safe_extract_tar
from tools.geniesim_format import results as fmt
from tools.geniesim_format.writer_schema import (
    DATA_INFO_KEYS,
    FRAME_DATASETS,
    INTRINSIC_KEYS,
    META_INFO_KEYS,
    writer_schema_problems,
)

WRITER = "source/data_collection/server/recording/sim_data_converter.py"
JOINT_NAMES = "source/data_collection/config/robot_cfg/robot_joint_names.json"
FRAMES = 4
CAMERAS = ("head", "hand_left", "hand_right")


def _source() -> Path:
    source = os.environ.get("GENIE_SIM_SRC")
    if not source or not (Path(source) / WRITER).is_file():
        pytest.skip("GENIE_SIM_SRC does not point at a Genie Sim checkout")
    return Path(source)


def _writer(source: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("sim_data_converter", source / WRITER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _raw_recording(folder: Path, joints: int) -> None:
    """The smallest raw recording SimDataConverter converts (all poses identity)."""
    folder.mkdir(parents=True)
    start = {"starting_time": {"nanoseconds_since_epoch": 1_767_225_600_000_000_000}}
    (folder / "metadata.yaml").write_text(yaml.safe_dump({"rosbag2_bagfile_information": start}))
    eye = np.eye(4).tolist()
    intrinsic = {k: 1.0 for k in ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2", "k3")}
    frames = [
        {
            "time_stamp": i / 30,
            "robot": {"pose": eye},
            "cameras": {c: {"pose": eye} for c in CAMERAS},
        }
        for i in range(FRAMES)
    ]
    state = {"frames": frames, "cameras": {c: {"intrinsic": intrinsic} for c in CAMERAS}}
    (folder / "state.json").write_text(json.dumps(state))
    step: dict[str, Any] = {"arm": "right", "action": "pick", "active_id": "g", "passive_id": "o"}
    frame_states = [{"time_stamp": i / 30, "frame_state": step} for i in range(FRAMES)]
    (folder / "frame_state.json").write_text(json.dumps(frame_states))
    with h5py.File(folder / "aligned_joints_all.h5", "w") as h5:
        h5["timestamp"] = np.arange(FRAMES) / 30
        for key in (
            "action/joint/position",
            *(f"state/joint/{k}" for k in ("position", "effort", "velocity")),
        ):
            h5[key] = np.zeros((FRAMES, joints))
        for side in ("action", "state"):
            h5[f"{side}/end/position"] = np.zeros((FRAMES, 2, 3))
            h5[f"{side}/end/orientation"] = np.tile([0.0, 0.0, 0.0, 1.0], (FRAMES, 2, 1))
        h5["state/end/arm_position"] = np.zeros((FRAMES, 2, 3))
        h5["state/end/arm_orientation"] = np.tile([0.0, 0.0, 0.0, 1.0], (FRAMES, 2, 1))
        h5["state/robot/position"] = np.zeros((FRAMES, 3))
        h5["state/robot/orientation"] = np.tile([0.0, 0.0, 0.0, 1.0], (FRAMES, 1))


def _datasets(group: h5py.Group) -> set[str]:
    names: set[str] = set()
    group.visititems(lambda name, item: names.add(name) if isinstance(item, h5py.Dataset) else None)
    return names


@pytest.mark.parametrize(("robot_id", "robot_type"), [("G2", "G2A"), ("G1", "A2D")])
def test_genie_sims_writer_and_the_mock_agree(
    tmp_path: Path, robot_id: str, robot_type: str
) -> None:
    """SimDataConverter's episode has 0 schema problems; its frame datasets, meta_info,
    data_info and intrinsic keys equal writer_schema's; the mock episode has the same
    datasets, with the same shapes and joint names."""
    source = _source()
    joints = len(json.loads((source / JOINT_NAMES).read_text())[robot_id]["joint_state_order"])
    raw = tmp_path / "raw"
    _raw_recording(raw, joints)
    out = tmp_path / "written"
    _writer(source).SimDataConverter(str(raw), str(out), 0, 0, 0, robot_type=robot_id).convert()
    assert writer_schema_problems(out, list(CAMERAS)) == []
    meta = json.loads((out / fmt.META_INFO).read_text())
    assert set(meta) == set(META_INFO_KEYS) and meta["robot_type"] == robot_type
    assert set(json.loads((out / fmt.DATA_INFO).read_text())) == set(DATA_INFO_KEYS)
    intrinsic = json.loads((out / fmt.SENSOR_DIR / "intrinsic_head_front_rgb.json").read_text())
    assert set(intrinsic) == set(INTRINSIC_KEYS)
    archive = generate_mock_geniesim_output(
        tmp_path / "m.tar.gz", episodes=1, frames=FRAMES, robot_type=robot_type
    )
    safe_extract_tar(archive, tmp_path / "mock")
    mock = tmp_path / "mock" / fmt.RECORDING_DIR / fmt.episode_dir_name(DEFAULT_TASK, 0)
    with h5py.File(out / fmt.ALIGNED_JOINTS) as real, h5py.File(mock / fmt.ALIGNED_JOINTS) as ours:
        assert _datasets(real["0"]) == _datasets(ours["0"]) == set(FRAME_DATASETS)
        for name in sorted(_datasets(real["0"])):
            assert real["0"][name].shape == ours["0"][name].shape, name
        for group in ("state/joint", "state/waist", "state/head", "action/waist"):
            assert list(real["0"][group].attrs["name"]) == list(ours["0"][group].attrs["name"])
