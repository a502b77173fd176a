"""Re-simulate recorded episodes and measure how far they drift (the replay certificate's core).

Each episode is rebuilt from its `replay` record (see `replay_record`): the model rebuilt from
scene.usda exactly as the episode backend builds it, the recorded model changes, MuJoCo's
full integration state, then the dataset's own `action` column stepped through the backend's
own `step` (the same zero-order hold over 20 physics steps, the same actuators). It prints per
episode the largest difference of `observation.state`, of the recorded object poses
(`observation.environment_state`; the goal's only where it is a free body) and of every
body's final qpos.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mujoco
import numpy as np
from numpy.typing import NDArray

from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import scene_from_usd
from episode_generation_job.replay_record import (
    FORMAT,
    REPLAY_COLUMN,
    STATE_SPEC,
    decode_array,
    model_arrays,
    model_fingerprint,
)
from tools.lerobot import DatasetContents, open_dataset
from tools.lerobot.reader import EpisodeTables
from tools.lerobot.tables import column_to_numpy
from tools.provenance import sha256_file
from tools.randomization.config import DistractorConfig
from tools.robots import FRANKA_PANDA
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.sim.robots.registry import sim_robot
from tools.tasks.skills import STATION_SKILLS

TOLERANCE = 1e-6  # the certificate's target on the same machine and library versions


class ReplayError(Exception):
    """The dataset cannot be replayed here (one line: what differs and what to do)."""


@dataclass(frozen=True)
class ReplayResult:
    """How closely one episode was reproduced (largest absolute differences)."""

    episode_index: int
    frames: int
    state_error: float
    pose_error: float
    final_qpos_error: float

    @property
    def worst(self) -> float:
        """The largest of the three figures."""
        return max(self.state_error, self.pose_error, self.final_qpos_error)


def _max_abs(a: NDArray[Any], b: NDArray[Any]) -> float:
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0.0))


def apply_record(
    model: mujoco.MjModel,
    data: mujoco.MjData,
    nominal: dict[str, NDArray[Any]],
    record: dict[str, Any],
) -> None:
    """Put a model and its data where a recorded episode started.

    Args:
        model: the model rebuilt as the episode's was.
        data: its data.
        nominal: every array of the model as built (`model_arrays` copies).
        record: the decoded replay record.
    """
    for name, array in model_arrays(model).items():
        array[...] = nominal[name]
    for name, change in record["model_changes"].items():
        np.put(getattr(model, name), decode_array(change["index"]), decode_array(change["values"]))
    mujoco.mj_resetData(model, data)
    mujoco.mj_setState(model, data, decode_array(record["initial_state"]), STATE_SPEC)
    # The rollout's first reads saw body poses computed from this qpos (mj_kinematics).
    mujoco.mj_kinematics(model, data)


class Replayer:
    """Owns one MuJoCo backend rebuilt from a dataset's scene and replays its episodes.

    Args:
        dataset: the LeRobot dataset folder (`<scene>/episodes/lerobot`).
        scene_dir: the scene folder holding `usd/scene.usda` and the manifest (default: two
            levels above the dataset).

    Raises:
        ReplayError: scene.usda is missing or differs from the one the dataset recorded.
    """

    def __init__(self, dataset: Path, scene_dir: Path | None = None) -> None:
        self.contents: DatasetContents = open_dataset(dataset)
        self.scene_dir = scene_dir if scene_dir is not None else dataset.absolute().parent.parent
        usd = self.scene_dir / SCENE_USD_PATH
        recorded = self.contents.info.provenance.scene_sha256
        if not usd.is_file():
            raise ReplayError(f"{usd} not found: pass --scene-dir, the scene the dataset came from")
        actual = sha256_file(usd)
        if recorded is not None and actual != recorded:
            raise ReplayError(
                f"{usd} (sha256 {actual[:12]}) is not the scene these episodes were recorded on "
                f"(sha256 {recorded[:12]}): replay against that scene"
            )
        self._tables = EpisodeTables(keep=1)
        self._backend: MujocoBackend | None = None
        self._build: dict[str, Any] | None = None
        self._nominal: dict[str, NDArray[Any]] = {}
        self._fingerprint = ""

    def _backend_for(self, build: dict[str, Any]) -> MujocoBackend:
        """The backend built as the episode's was (built once; records must agree)."""
        if self._backend is not None and build == self._build:
            return self._backend
        if self._backend is not None:
            raise ReplayError("episodes of this dataset were recorded on differently built models")
        raw = build["distractors"]
        distractors = None if raw is None else DistractorConfig.model_validate(raw)
        manifest = load_manifest(self.scene_dir)
        usd = self.scene_dir / SCENE_USD_PATH
        scene = scene_from_usd(usd, manifest, distractors, key_light=bool(build["key_light"]))
        robot = sim_robot(self.contents.info.robot_type or FRANKA_PANDA.robot_type)
        self._backend = MujocoBackend(scene, None, robot)
        self._build = build
        self._nominal = {k: v.copy() for k, v in model_arrays(self._backend.model).items()}
        self._fingerprint = model_fingerprint(self._backend.model)
        return self._backend

    def episode_indices(self) -> list[int]:
        """Every episode index of the dataset, in order."""
        return [int(row["episode_index"]) for row in self.contents.episodes]

    def replayable_indices(self) -> list[int]:
        """The episodes a replay certificate covers: all but the open/close and drawer
        placement ones, which record none (each stood its robot at its own station, not the
        scene's base pose)."""
        return [
            int(row["episode_index"])
            for row in self.contents.episodes
            if self.contents.extra_metadata(row).get("skill") not in STATION_SKILLS
        ]

    def replay(self, episode_index: int) -> ReplayResult:
        """Re-simulate one episode from its record and its recorded actions.

        Raises:
            ReplayError: no such episode, no replay record, or a model that differs.
        """
        rows = [r for r in self.contents.episodes if int(r["episode_index"]) == episode_index]
        if not rows:
            raise ReplayError(f"episode {episode_index} is not in the dataset")
        raw = self.contents.extra_metadata(rows[0]).get(REPLAY_COLUMN)
        if not isinstance(raw, str):
            engine = self.contents.info.provenance.backend
            raise ReplayError(f"episode {episode_index} has no replay record (backend {engine})")
        record = json.loads(raw)
        if record.get("format") != FORMAT or record.get("backend") != "mujoco":
            raise ReplayError(f"episode {episode_index}: unsupported replay record format")
        backend = self._backend_for(record["model_build"])
        if record["model_fingerprint"] != self._fingerprint:
            raise ReplayError(
                f"episode {episode_index}: the model rebuilt here differs from the recorded one "
                f"(mujoco {mujoco.__version__} here, {record['mujoco_version']} recorded; "
                "same scene.usda, manifest and versions needed)"
            )
        apply_record(backend.model, backend.data, self._nominal, record)
        table = self._tables.frames(self.contents, rows[0])
        actions = column_to_numpy(table, "action").astype(np.float32)
        state, env = self._run(backend, record, actions)
        recorded_env = column_to_numpy(table, "observation.environment_state")
        columns = slice(0, 14) if record["goal_free"] else slice(0, 7)
        final = np.array(backend.data.qpos)
        return ReplayResult(
            episode_index,
            len(actions),
            _max_abs(state, column_to_numpy(table, "observation.state")),
            _max_abs(env[:, columns], recorded_env[:, columns]),
            _max_abs(final, decode_array(record["final_qpos"])),
        )

    @staticmethod
    def _run(
        backend: MujocoBackend, record: dict[str, Any], actions: NDArray[np.float32]
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Read state and poses, then step, frame by frame, as `rollout.run_episode` does."""
        dof = actions.shape[1] - 1  # the arm's joints, then the gripper
        state = np.zeros((len(actions), dof + 1), dtype=np.float32)
        env = np.zeros((len(actions), 14), dtype=np.float32)
        for i, action in enumerate(actions):
            state[i, :dof] = backend.arm_qpos()
            state[i, dof] = backend.gripper_width()
            env[i, :7] = backend.object_pose(record["target_id"]).as_array()
            if record["goal_free"]:
                env[i, 7:] = backend.object_pose(record["goal_id"]).as_array()
            backend.step(action[:dof].tolist(), float(action[dof]))
        return state, env

    def close(self) -> None:
        """Release the backend."""
        if self._backend is not None:
            self._backend.close()
