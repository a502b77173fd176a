"""What an episode records so that it can be re-simulated exactly (the replay certificate).

MuJoCo is deterministic for an identical model, state and controls on the same machine, so an
episode records, in its `replay` column (one JSON string per episode row, so shard merges carry
it like any other episode column):

- how the model was built (the bundle's distractor slots and whether the fixed key light was
  added) and a fingerprint of the nominal compiled model, to refuse a different rebuild;
- every model array that differs from the nominal model when the episode starts: the
  randomized masses, inertias, frictions and distractor shapes, and the constants MuJoCo
  derived from them (`mj_setConst`), found by comparison rather than listed, so a new
  randomizer cannot be forgotten;
- MuJoCo's full integration state (`mjSTATE_INTEGRATION`: time, qpos, qvel, act, ctrl,
  warm start, applied forces, mocap) just before the first recorded action: every body's
  initial state and the robot's start;
- the final qpos after the last action, to compare every body at the end.

The actions themselves are the dataset's `action` column: the rollout steps the engine with
exactly those float32 values.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import mujoco
import numpy as np
from numpy.typing import NDArray

from episode_generation_job.backends.base import SimBackend
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_station import model_arrays as model_arrays
from tools.randomization import BundleConfig

REPLAY_COLUMN = "replay"
FORMAT = 1
STATE_SPEC = mujoco.mjtState.mjSTATE_INTEGRATION


def model_fingerprint(model: mujoco.MjModel) -> str:
    """sha256 over every model array and the physics options: equal models, equal prints.

    The asset file paths are left out (`paths`, and the `*_pathadr` offsets into it, which
    shift with the scene folder's absolute path): the same scene staged elsewhere (a Cloud Run
    task's temporary folder, another machine) would otherwise print differently and fail its
    replay.
    """
    digest = hashlib.sha256()
    for name, array in sorted(model_arrays(model).items()):
        if name == "paths" or name.endswith("_pathadr"):
            continue
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    for name in sorted(n for n in dir(model.opt) if not n.startswith("_")):
        digest.update(f"{name}={getattr(model.opt, name)!r}".encode())
    return digest.hexdigest()


def encode_array(array: NDArray[Any]) -> dict[str, str]:
    """An array as dtype + base64 of its little-endian bytes (exact, half the size of text)."""
    flat = np.ascontiguousarray(array).reshape(-1)
    dtype = flat.dtype.newbyteorder("<")
    return {"dtype": dtype.str, "data": base64.b64encode(flat.astype(dtype).tobytes()).decode()}


def decode_array(encoded: dict[str, str]) -> NDArray[Any]:
    """The flat array `encode_array` wrote."""
    return np.frombuffer(base64.b64decode(encoded["data"]), dtype=np.dtype(encoded["dtype"]))


def get_state(model: mujoco.MjModel, data: mujoco.MjData) -> NDArray[np.float64]:
    """MuJoCo's full integration state of `data`."""
    state = np.empty(mujoco.mj_stateSize(model, STATE_SPEC))
    mujoco.mj_getState(model, data, state, STATE_SPEC)
    return state


def model_build(bundle: BundleConfig | None) -> dict[str, Any]:
    """What `backends.open_backend` builds the MuJoCo scene from, besides scene.usda and the
    manifest (mirrors its choices: distractor slots, and the key light only without a
    randomized stage light)."""
    if bundle is None:
        return {"distractors": None, "key_light": True}
    lighting = bundle.randomizers.lighting
    return {
        "distractors": bundle.randomizers.distractors.model_dump(mode="json"),
        "key_light": lighting is None or not lighting.enabled,
    }


class ReplayRecorder:
    """Owns the nominal model of one MuJoCo backend and records each episode against it
    (`begin` before the first action, `finish` after the last, `take` for the record).

    Create it before any randomization touches the model (the episode session does, right
    after loading the scene).

    Args:
        model: the backend's compiled model, at its nominal values.
        data: the backend's data.
        bundle: the policy config the backend was built with (None: no bundle).
    """

    def __init__(
        self, model: mujoco.MjModel, data: mujoco.MjData, bundle: BundleConfig | None
    ) -> None:
        self._model = model
        self._data = data
        self._nominal = {k: v.copy() for k, v in model_arrays(model).items()}
        self._fingerprint = model_fingerprint(model)
        self._build = model_build(bundle)
        self._start: dict[str, Any] | None = None

    def begin(self, target_id: str, goal_id: str, goal_free: bool) -> None:
        """Capture the model changes and the state just before the first recorded action."""
        changes: dict[str, Any] = {}
        for name, array in model_arrays(self._model).items():
            nominal = self._nominal[name]
            if array.shape != nominal.shape:
                raise RuntimeError(f"model field {name} changed shape since the scene was loaded")
            differ = np.flatnonzero(array.reshape(-1) != nominal.reshape(-1))
            if differ.size:
                changes[name] = {
                    "index": encode_array(differ.astype(np.int64)),
                    "values": encode_array(array.reshape(-1)[differ]),
                }
        self._start = {
            "target_id": target_id,
            "goal_id": goal_id,
            "goal_free": goal_free,
            "model_changes": changes,
            "initial_state": encode_array(get_state(self._model, self._data)),
        }

    def finish(self) -> None:
        """Capture every body's pose right after the last recorded action."""
        if self._start is None:
            raise RuntimeError("ReplayRecorder.finish without begin")
        self._start["final_qpos"] = encode_array(np.array(self._data.qpos, dtype=np.float64))

    def take(self) -> dict[str, str]:
        """The finished episode's replay column ({} when none was finished); clears it."""
        start, self._start = self._start, None
        if start is None or "final_qpos" not in start:
            return {}
        record = {
            "format": FORMAT,
            "backend": "mujoco",
            "mujoco_version": mujoco.__version__,
            "model_fingerprint": self._fingerprint,
            "model_build": self._build,
            "state_spec": int(STATE_SPEC),
            **start,
        }
        return {REPLAY_COLUMN: json.dumps(record, sort_keys=True, separators=(",", ":"))}


def recorder_for(backend: SimBackend, bundle: BundleConfig | None) -> ReplayRecorder | None:
    """A recorder for a MuJoCo backend (None for engines that cannot replay bit for bit here).

    Args:
        backend: the freshly loaded backend, at its nominal model.
        bundle: the policy config it was built with.
    """
    if not isinstance(backend, MujocoBackend):
        return None
    return ReplayRecorder(backend.model, backend.data, bundle)
