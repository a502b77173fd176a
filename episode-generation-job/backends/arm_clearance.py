"""Whether a planned arm path runs through the furniture or the room, checked in MuJoCo.

The IK that turns a plan into joint targets knows only the arm. A base standing near a wall
or a shelf bends the elbow into it: the xArm6 of a bench warehouse pushed its upper arm 17 cm
into the wall behind it for the whole attempt and never lifted the object (21 of 24 attempts
failed). The check poses the arm at sampled frames of the plan in a scratch copy of the state
and looks for contacts between the arm's links and static geometry (geoms fixed to the
world: room, furniture), so such a plan is refused before it is simulated and the attempt draws
another layout or the task is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import mujoco
import numpy as np
from numpy.typing import NDArray

from tools.sim.robots.base import SimRobot

# A link this deep in static geometry is a collision: contacts inside MuJoCo's margin are not.
MAX_PENETRATION = 0.005
CHECK_EVERY = 5  # frames between checked poses (6 per second at 30 fps: a link moves < 3 cm)


class ArmClearance:
    """Checks arm poses against static geometry on a model that has the robot attached.

    The links checked are those of the arm joints but the last: the wrist, hand and fingers
    approach the support and the target on purpose.

    Args:
        model: the assembled scene model.
        robot: the attached arm.
        ignore_geoms: static geoms the arm may touch (the pedestal it stands on).
    """

    def __init__(
        self, model: mujoco.MjModel, robot: SimRobot, ignore_geoms: Sequence[str] = ()
    ) -> None:
        self._model = model
        self._data = mujoco.MjData(model)
        joints = [model.joint(robot.scoped(n)) for n in robot.arm_joints]
        self._qadr = np.array([j.qposadr[0] for j in joints])
        self._links = {int(model.jnt_bodyid[j.id]) for j in joints[:-1]}
        ignored = {model.geom(name).id for name in ignore_geoms}
        robot_bodies = {
            b for b in range(model.nbody) if model.body(b).name.startswith(robot.prefix)
        }
        welded = model.body_weldid[model.geom_bodyid] == 0  # fixed to the world: cannot move
        self._static = {
            int(g) for g in np.flatnonzero(welded) if int(model.geom_bodyid[g]) not in robot_bodies
        } - ignored

    def collisions(
        self, qpos: NDArray[np.float64], arm_frames: NDArray[np.float64]
    ) -> list[tuple[int, str, str, float]]:
        """Arm links in static geometry over the plan.

        Args:
            qpos: the scene's full qpos now (objects where they stand).
            arm_frames: (T, dof) arm joint targets of the plan.

        Returns:
            (frame, link body, static geom, penetration depth) per collision found, first
            collision per checked frame only; empty when the path is clear.
        """
        model, data = self._model, self._data
        data.qpos[:] = qpos
        found = []
        frames = [*range(0, len(arm_frames), CHECK_EVERY), len(arm_frames) - 1]
        for i in frames:
            data.qpos[self._qadr] = arm_frames[i]
            mujoco.mj_kinematics(model, data)
            mujoco.mj_collision(model, data)
            for contact in data.contact[: data.ncon]:
                if contact.dist > -MAX_PENETRATION:
                    continue
                pair = self._link_and_static(int(contact.geom1), int(contact.geom2))
                if pair is not None:
                    link, geom = pair
                    found.append((i, model.body(link).name, model.geom(geom).name, -contact.dist))
                    break
        return found

    def _link_and_static(self, geom1: int, geom2: int) -> tuple[int, int] | None:
        body = self._model.geom_bodyid
        for a, b in ((geom1, geom2), (geom2, geom1)):
            if int(body[a]) in self._links and b in self._static:
                return int(body[a]), b
        return None
