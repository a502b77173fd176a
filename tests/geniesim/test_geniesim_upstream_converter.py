"""Genie Sim's own LeRobot converter reads the mock episodes (needs GENIE_SIM_SRC, else skipped)."""

# Its `agibot_to_lerobot` crashed on the earlier mock (KeyError 'arm_orientation'). Run here:
# its frame reader and its 159-dim state / 40-dim action builders on every frame of a G2 mock
# episode. Not run: its extrinsic reading (it expects `rotation`/`translation`, while Genie
# Sim's own writer stores `{"extrinsic": {"rotation_matrix", ...}}`), its video encoding
# (ffmpeg, `camera/<frame>/` images) and `aligned_joints_all.h5` (the raw recording).


from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import h5py
import numpy as np
import pytest

from fixtures.generate_mock_geniesim_output import DEFAULT_TASK, generate_mock_geniesim_output
from tools.archives import safe_extract_tar
from tools.geniesim_format import results as fmt

CONVERTER = "source/geniesim_benchmark/src/geniesim_benchmark/dataset/convert/agibot_to_lerobot.py"


def _converter() -> ModuleType:
    source = os.environ.get("GENIE_SIM_SRC")
    path = Path(source or "") / CONVERTER
    if not source or not path.is_file():
        pytest.skip("GENIE_SIM_SRC does not point at a Genie Sim checkout")
    spec = importlib.util.spec_from_file_location("agibot_to_lerobot", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_genie_sims_converter_builds_every_frame_of_the_mock(tmp_path: Path) -> None:
    """read_h5_frame, build_state and build_action accept every frame; the values land where
    the converter's layout says (grippers, arm joints, end poses)."""
    converter = _converter()
    archive = generate_mock_geniesim_output(tmp_path / "r.tar.gz", episodes=1, frames=6)
    safe_extract_tar(archive, tmp_path / "out")
    episode = tmp_path / "out" / fmt.RECORDING_DIR / fmt.episode_dir_name(DEFAULT_TASK, 0)
    with h5py.File(episode / fmt.ALIGNED_JOINTS) as h5:
        for i in range(6):
            action, state, stamp = converter.read_h5_frame(h5, str(i))
            joints = state["joint"]
            state_vec = converter.build_state(state, {"joint": joints}, {}, frame_idx=i)
            action_vec = converter.build_action(action)
            assert state_vec.shape == (159,) and action_vec.shape == (40,)
            assert np.isfinite(state_vec).all() and np.isfinite(action_vec).all()
            assert state_vec[0] == np.float32(state["left_effector"]["position"][0])
            assert np.allclose(state_vec[30:44], joints["position"])
            assert np.allclose(state_vec[16:24], state["end"]["arm_orientation"].ravel())
            assert np.allclose(action_vec[16:30], action["joint"]["position"])
            assert int(stamp) == int(h5[f"{i}/{fmt.MAIN_TIMESTAMP}"][()])
