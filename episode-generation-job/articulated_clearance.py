"""Whether an open/close plan keeps the arm clear of the scene, checked before it runs.

IK along the whole path says a station can reach the handle all the way; it does not say the
elbow stays off an open oven door or the wrist off the floor under it. This check poses the
planned arm and the planned part position in one MuJoCo model of the scene (the robot's root
moved to each candidate station) and looks for contacts. Only the fingers may touch the
task's furniture (they pinch its handle and reach past the carcass's hulls, see
`fingers_reach_front`); any other robot link in contact with anything is a collision.
"""

from __future__ import annotations

from pathlib import Path

from episode_generation_job.articulated_motion import MOVE_PHASES, target_fraction
from episode_generation_job.articulated_rollout import manifest_at_station, scene_joints
from episode_generation_job.backends.arm_clearance import AllButHeldFurniture, ArmClearance
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import scene_from_usd
from episode_generation_job.controller import JointPlan
from tools.scene_manifest import SceneManifest
from tools.tasks.articulated import ArticulatedTask
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
        self._backend = MujocoBackend(
            scene_from_usd(usd_path, manifest_at_station(manifest, origin))
        )
        model, robot = self._backend.model, self._backend.robot
        self._robot = robot
        self._joints = scene_joints(self._backend, usd_path)
        self._base = model.body(robot.scoped(robot.base_body)).id
        self._root = self._base
        while int(model.body_parentid[self._root]) != 0:
            self._root = int(model.body_parentid[self._root])
        self._fingers = frozenset(model.body(robot.scoped(b)).id for b in robot.finger_bodies)
        self._clearance = ArmClearance(model, robot)

    def collision(self, task: ArticulatedTask, base: Pose, plan: JointPlan) -> str | None:
        """The first collision of the plan from `base` ("<phase>: <link> hits <body>"), or
        None when it is clear (or the joint is not in the model: nothing to check against)."""
        joint = self._joints.get(f"{task.object_id}/{task.joint_name}")
        if joint is None:
            return None
        model = self._backend.model
        model.body_pos[self._root] = base.position
        model.body_quat[self._root] = base.quat_wxyz
        carcass = int(model.body_parentid[joint.body_id])
        rule = AllButHeldFurniture(
            self._fingers, frozenset({joint.body_id, carcass}), self._base, model.geom_bodyid
        )
        parts = part_positions(task, plan)
        clearance, open_width = self._clearance, self._robot.open_width
        qpos = model.qpos0.copy()
        for i in range(0, len(plan.phases), FRAME_STRIDE):
            qpos[clearance.arm_qpos] = plan.arm[i]
            qpos[clearance.gripper_qpos] = self._robot.gripper_qpos(
                min(float(plan.gripper[i]), open_width)
            )
            qpos[joint.qpos_adr] = parts[i]
            hit = clearance.first_collision(qpos, rule)
            if hit is not None:
                return f"{plan.phases[i]}: {hit.link} hits {hit.body}"
        return None

    def close(self) -> None:
        """Release the model's renderers and data."""
        self._backend.close()
