"""Whether a planned arm runs through the scene, checked by posing it in MuJoCo.

The IK that turns a plan into joint targets knows only the arm. A base standing near a wall
bends the elbow into it (the xArm6 of a bench warehouse pushed its upper arm 17 cm into the
wall behind it and never lifted the object); a station in front of an oven reaches the handle
all the way while the elbow rests on the open door. One checker serves both: it poses the
robot (and whatever else the caller sets in qpos) in a scratch `MjData`, runs the collision
pass without stepping, and reports the first deep contact that the task's `ContactRule` counts.
The rule is what differs between skills: pick-and-place checks the arm's links against the
static room and furniture only (the hand touches the target and its support on purpose);
open/close checks the whole robot against everything but lets the fingers touch the
furniture whose handle they hold.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import mujoco
import numpy as np
from numpy.typing import NDArray

from tools.sim.robots.base import SimRobot

CHECK_EVERY = 5  # frames between checked poses of a pick-and-place plan (< 3 cm of link travel)


class Collision(NamedTuple):
    """One counted contact: the robot link's body, the other geom's body and geom, depth (m)."""

    link: str
    body: str
    geom: str
    depth: float


class ContactRule(Protocol):
    """Which robot-scene contacts are collisions, and how deep one must be to count."""

    @property
    def max_penetration(self) -> float:
        """Contacts shallower than this are not collisions (MuJoCo's margins, resting feet)."""
        ...

    def counts(self, link: int, geom: int) -> bool:
        """Whether robot body `link` touching scene geom `geom` is a collision."""
        ...

    def counts_self(self, link: int, other: int) -> bool:
        """Whether robot body `link` touching robot body `other` is a collision."""
        ...


@dataclass(frozen=True)
class StaticGeometry:
    """Pick-and-place: the arm's links but the wrist against geoms welded to the world and,
    when given, the free objects' geoms but the held one's (`free_geoms`, `held_geoms`); and
    an arm link against the robot's own body.

    The wrist, hand and fingers approach the support and the target on purpose. A forearm on
    a free neighbour is a collision too: it stalled the Franka 5 cm above a bowl on a cereal
    box beside it, and the apple, released there, fell onto the rim (kitchen 200). The IK
    knows no self-collision: a side grasp low beside the base folded the Panda's wrist (link
    6) onto its base links, the arm stalled 6 cm off the plan, the fingers closed on air and
    the hand knocked the bottle over (kitchen 223, not_in_goal_region and not_lifted).
    """

    links: frozenset[int]
    static_geoms: frozenset[int]
    max_penetration: float = 0.005
    free_geoms: frozenset[int] = frozenset()
    held_geoms: frozenset[int] = frozenset()

    @classmethod
    def of(
        cls, model: mujoco.MjModel, robot: SimRobot, ignore_geoms: Sequence[str] = ()
    ) -> StaticGeometry:
        """The arm's links of `robot` against the static geoms of `model` but `ignore_geoms`
        (the pedestal the arm stands on)."""
        joints = [model.joint(robot.scoped(name)) for name in robot.arm_joints]
        links = frozenset(int(model.jnt_bodyid[j.id]) for j in joints[:-1])
        ignored = {model.geom(name).id for name in ignore_geoms}
        robot_bodies = robot_body_ids(model, robot)
        welded = model.body_weldid[model.geom_bodyid] == 0  # fixed to the world: cannot move
        static = {
            int(g) for g in np.flatnonzero(welded) if int(model.geom_bodyid[g]) not in robot_bodies
        }
        return cls(links, frozenset(static - ignored))

    def counts(self, link: int, geom: int) -> bool:
        if link not in self.links:
            return False
        free = geom in self.free_geoms and geom not in self.held_geoms
        return free or geom in self.static_geoms

    def counts_self(self, link: int, other: int) -> bool:
        return link in self.links  # the fingers touch each other when closed on nothing


@dataclass(frozen=True)
class AllButHeldFurniture:
    """Open/close: any robot link against anything, but the fingers on the furniture they
    work (they pinch its handle and reach past the carcass's hulls) and the base on the floor.
    """

    fingers: frozenset[int]
    furniture: frozenset[int]
    base: int
    geom_body: NDArray[np.int32]
    max_penetration: float = 0.004

    def counts(self, link: int, geom: int) -> bool:
        other = int(self.geom_body[geom])
        if link == self.base and other == 0:
            return False
        return not (link in self.fingers and other in self.furniture)

    def counts_self(self, link: int, other: int) -> bool:
        return False


def robot_body_ids(model: mujoco.MjModel, robot: SimRobot) -> frozenset[int]:
    """Every body of `robot` inside `model` (found by its name prefix)."""
    return frozenset(b for b in range(model.nbody) if model.body(b).name.startswith(robot.prefix))


class ArmClearance:
    """Poses a robot in a scratch copy of a model's state and finds counted contacts.

    Args:
        model: a scene model with `robot` attached.
        robot: the attached arm.
    """

    def __init__(self, model: mujoco.MjModel, robot: SimRobot) -> None:
        self._model = model
        self._data = mujoco.MjData(model)
        self._robot = robot
        self._bodies = robot_body_ids(model, robot)
        self.arm_qpos = np.array(
            [model.joint(robot.scoped(n)).qposadr[0] for n in robot.arm_joints]
        )
        self.gripper_qpos = np.array(
            [model.joint(robot.scoped(n)).qposadr[0] for n in robot.gripper_joints]
        )

    @property
    def body_ids(self) -> frozenset[int]:
        """The robot's bodies in the model."""
        return self._bodies

    def first_collision(self, qpos: NDArray[np.float64], rule: ContactRule) -> Collision | None:
        """The first contact `rule` counts with the model posed at `qpos`, or None."""
        model, data = self._model, self._data
        data.qpos[:] = qpos
        mujoco.mj_kinematics(model, data)
        mujoco.mj_collision(model, data)
        body = model.geom_bodyid
        for contact in data.contact[: data.ncon]:
            if contact.dist > -rule.max_penetration:
                continue
            for link, geom in ((contact.geom1, contact.geom2), (contact.geom2, contact.geom1)):
                link_body, other = int(body[link]), int(body[geom])
                if link_body not in self._bodies:
                    continue
                if other in self._bodies:
                    counted = rule.counts_self(link_body, other)
                else:
                    counted = rule.counts(link_body, int(geom))
                if counted:
                    return Collision(
                        model.body(link_body).name,
                        model.body(other).name or "world",
                        model.geom(int(geom)).name,
                        -float(contact.dist),
                    )
        return None

    def path_collisions(
        self,
        qpos: NDArray[np.float64],
        arm_frames: NDArray[np.float64],
        rule: ContactRule,
        frames: Collection[int] | None = None,
    ) -> list[tuple[int, Collision]]:
        """Counted contacts along an arm path, the first per checked frame.

        Args:
            qpos: the scene's full qpos (objects where they stand; the arm is overwritten).
            arm_frames: (T, dof) arm joint targets of the plan.
            rule: which contacts count.
            frames: frames to check; every `CHECK_EVERY`th and the last when None.

        Returns:
            (frame, collision) per checked frame that has one; empty when the path is clear.
        """
        if frames is None:
            frames = sorted({*range(0, len(arm_frames), CHECK_EVERY), len(arm_frames) - 1})
        posed = np.array(qpos, dtype=float)
        found = []
        for i in frames:
            posed[self.arm_qpos] = arm_frames[i]
            hit = self.first_collision(posed, rule)
            if hit is not None:
                found.append((i, hit))
        return found
