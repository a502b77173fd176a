"""Whether an open/close plan keeps the arm clear of the scene, checked before it runs.

IK along the whole path says a station can reach the handle all the way; it does not say the
elbow stays off an open oven door or the wrist off the floor under it. This check poses the
planned arm and the planned part position in one MuJoCo model of the scene (the robot's root
moved to each candidate station) and looks for contacts. Only the fingers may touch the
task's furniture (they pinch its handle and reach past the carcass's hulls, see
`fingers_reach_front`), the whole hand when it presses a side door shut; any other robot link
in contact with anything is a collision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np
from numpy.typing import NDArray

from episode_generation_job.articulated_motion import MOVE_PHASES, presses, target_fraction
from episode_generation_job.articulated_rollout import manifest_at_station, scene_joints
from episode_generation_job.backends.arm_clearance import (
    AllButHeldFurniture,
    ArmClearance,
    ContactRule,
)
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import object_ids, scene_from_usd
from episode_generation_job.controller import JointPlan
from tools.scene_manifest import SceneManifest
from tools.sim import JointHandle
from tools.tasks.articulated import ArticulatedTask
from tools.tasks.drawer_placement import DrawerPlacementTask
from tools.tasks.geometry import Pose

FRAME_STRIDE = 4  # every 4th control frame (at most ~1 cm of hand travel in between)


def part_positions(task: ArticulatedTask, plan: JointPlan) -> list[float]:
    """The joint position the plan expects at each frame: the start until the move, the
    min-jerk path while moving (the motion's own profile), the target after it."""
    frame = task.frame
    q0, q1 = frame.position_at(task.start_fraction), frame.position_at(target_fraction(task))
    moving = [i for i, phase in enumerate(plan.phases) if phase in MOVE_PHASES]
    first, count = (moving[0], len(moving)) if moving else (len(plan.phases), 1)
    out = []
    for i in range(len(plan.phases)):
        tau = min(1.0, max(0.0, (i - first + 1) / count))
        out.append(q0 + tau**3 * (10.0 - 15.0 * tau + 6.0 * tau * tau) * (q1 - q0))
    return out


def _descends(model: mujoco.MjModel, body: int, ancestor: int) -> bool:
    while body > 0:
        if body == ancestor:
            return True
        body = int(model.body_parentid[body])
    return False


@dataclass(frozen=True)
class HandOnTaskBodies:
    """Pick-and-place into a drawer: any robot link against anything, but the hand on the
    task's bodies (target, support, drawer and carcass), the carried target and the base on
    the floor."""

    hand: frozenset[int]
    allowed: frozenset[int]
    target: int
    base: int
    geom_body: NDArray[np.int32]
    max_penetration: float = 0.004

    def counts(self, link: int, geom: int) -> bool:
        other = int(self.geom_body[geom])
        if other == self.target or (link == self.base and other == 0):
            return False
        return not (link in self.hand and other in self.allowed)

    def counts_self(self, link: int, other: int) -> bool:
        return False  # as open/close: the robot on itself is not checked here


class PlanClearance:
    """One robot-carrying model of the scene to pose candidate open/close plans in.

    The posing and contact filter are the shared `ArmClearance`; the rule is
    `AllButHeldFurniture` (the whole robot, fingers allowed on the task's furniture).

    Args:
        usd_path: `usd/scene.usda`.
        manifest: the scene contract.
    """

    def __init__(self, usd_path: Path, manifest: SceneManifest) -> None:
        origin = Pose.of((0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0))
        scene = scene_from_usd(usd_path, manifest_at_station(manifest, origin))
        self._backend = MujocoBackend(scene)
        model, robot = self._backend.model, self._backend.robot
        ids = object_ids(model, scene.objects, scene.manifest).items()
        self._bodies = {k: v.body for k, v in ids if v.body >= 0}  # object id -> its body
        self._robot = robot
        self._joints = scene_joints(self._backend, usd_path)
        self._base = model.body(robot.scoped(robot.base_body)).id
        self._root = self._base
        while int(model.body_parentid[self._root]) != 0:
            self._root = int(model.body_parentid[self._root])
        self._fingers = frozenset(model.body(robot.scoped(b)).id for b in robot.finger_bodies)
        self._clearance = ArmClearance(model, robot)
        # The hand: the last arm joint's body and every body under it (fingers included).
        wrist = int(model.jnt_bodyid[model.joint(robot.scoped(robot.arm_joints[-1])).id])
        self._hand = frozenset(b for b in range(model.nbody) if _descends(model, b, wrist))

    def collision(self, task: ArticulatedTask, base: Pose, plan: JointPlan) -> str | None:
        """The first collision of the plan from `base` ("<phase>: <link> hits <body>"), or
        None when it is clear (or the joint is not in the model: nothing to check against)."""
        joint = self._joint_at(task.object_id, task.joint_name, base)
        if joint is None:
            return None
        model = self._backend.model
        carcass = int(model.body_parentid[joint.body_id])
        # A side door pressed shut is pushed by the hand's outside as much as by the
        # fingertips: the whole hand may touch it (any contact pushes it shut). Not a flap:
        # a hand meeting it from above pushes it open (a mock oven's did, to 76 %).
        side_press = presses(task) and not task.frame.is_flap
        hand = self._hand if side_press else self._fingers
        rule = AllButHeldFurniture(
            hand, frozenset({joint.body_id, carcass}), self._base, model.geom_bodyid
        )
        return self._first_hit(plan, rule, joint.qpos_adr, part_positions(task, plan))

    def placement_collision(
        self, task: DrawerPlacementTask, q: float, base: Pose, plan: JointPlan
    ) -> str | None:
        """The first collision of a pick-and-place plan into a drawer held at `q` from `base`,
        or None when it is clear. The hand (the last arm link and what it carries) may touch
        the target, its support and the drawer's furniture; the target's own body is ignored
        (it rides in the hand; the model keeps it where it stands)."""
        joint = self._joint_at(task.object_id, task.joint_name, base)
        if joint is None:
            return None
        model = self._backend.model
        allowed = {joint.body_id, int(model.body_parentid[joint.body_id])}
        if task.support_id in self._bodies:
            allowed.add(self._bodies[task.support_id])
        target = self._bodies.get(task.target_id, -1)
        rule = HandOnTaskBodies(
            self._hand, frozenset(allowed), target, self._base, model.geom_bodyid
        )
        return self._first_hit(plan, rule, joint.qpos_adr, [q] * len(plan.phases))

    def _joint_at(self, object_id: str, joint_name: str, base: Pose) -> JointHandle | None:
        """The task's joint in the model with the robot's root moved to `base` (None when the
        joint is not in the model: nothing to check against)."""
        joint = self._joints.get(f"{object_id}/{joint_name}")
        if joint is not None:
            model = self._backend.model
            model.body_pos[self._root] = base.position
            model.body_quat[self._root] = base.quat_wxyz
        return joint

    def _first_hit(
        self, plan: JointPlan, rule: ContactRule, part_adr: int, parts: Sequence[float]
    ) -> str | None:
        """Every FRAME_STRIDE-th frame of `plan` posed (arm, fingers, the part's joint at
        `parts[i]`): the first contact `rule` counts, as "<phase>: <link> hits <body>"."""
        clearance, open_width = self._clearance, self._robot.open_width
        qpos = self._backend.model.qpos0.copy()
        for i in range(0, len(plan.phases), FRAME_STRIDE):
            qpos[clearance.arm_qpos] = plan.arm[i]
            qpos[clearance.gripper_qpos] = self._robot.gripper_qpos(
                min(float(plan.gripper[i]), open_width)
            )
            qpos[part_adr] = parts[i]
            hit = clearance.first_collision(qpos, rule)
            if hit is not None:
                return f"{plan.phases[i]}: {hit.link} hits {hit.body}"
        return None

    def close(self) -> None:
        """Release the model's renderers and data."""
        self._backend.close()
