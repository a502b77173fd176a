"""The bundle's randomizers on the MuJoCo backend's model: nominal values and distractor slots."""

from __future__ import annotations

import mujoco
import numpy as np

from episode_generation_job.backends.mujoco_scene import ObjectIds, geom_points
from tools.randomization.layout import distractor_name

# Every model field a randomizer writes (tools.randomization.mujoco_apply, set_scene_camera).
_RANDOMIZED_FIELDS = (
    "body_mass",
    "body_inertia",
    "body_gravcomp",
    "geom_friction",
    "geom_size",
    "geom_aabb",
    "geom_rbound",
    "geom_rgba",
    "geom_contype",
    "geom_conaffinity",
    "light_dir",
    "light_diffuse",
    "mat_rgba",
    "cam_pos",
    "cam_quat",
)


class ModelDefaults:
    """Owns a copy of the model's nominal randomized fields.

    Restoring them before each draw makes an episode's model independent of the episodes
    before it (masses are scaled with ratios, which would otherwise compound rounding), so a
    resumed or re-sharded run simulates bit for bit what an uninterrupted one does.

    Args:
        model: the compiled model at its nominal values.
    """

    def __init__(self, model: mujoco.MjModel) -> None:
        self._saved = {
            name: np.array(getattr(model, name), copy=True) for name in _RANDOMIZED_FIELDS
        }

    def restore(self, model: mujoco.MjModel, data: mujoco.MjData) -> None:
        """Write the nominal values back and recompute the mass-derived constants.

        Args:
            model: the model the defaults were captured from.
            data: its data (state is reset by the caller).
        """
        for name, value in self._saved.items():
            getattr(model, name)[...] = value
        mujoco.mj_setConst(model, data)


def distractor_ids(model: mujoco.MjModel) -> dict[str, ObjectIds]:
    """The distractor slots of a model as objects, with points of their current size.

    Args:
        model: the compiled model (slots are bodies `distractor_<i>` with geom `.../geom`).

    Returns:
        Slot name -> ids; call again after a randomization resized them.
    """
    slots: dict[str, ObjectIds] = {}
    while True:
        name = distractor_name(len(slots))
        body = int(mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, name))
        if body < 0:
            return slots
        geom = int(model.geom(f"{name}/geom").id)
        slots[name] = ObjectIds(body, (geom,), 0.0, (geom_points(model, geom),))
