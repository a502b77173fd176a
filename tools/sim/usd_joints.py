"""Doors and drawers in MuJoCo: what the USD importer leaves out of the scene's joints, and a map.

mujoco-usd turns UsdPhysics revolute and prismatic joints into hinge and slide joints with their
limits, but ignores drives: the damping of each joint, its dry friction and its counterbalance
spring (the drive's stiffness and targetPosition: MuJoCo's stiffness and springref) are set
here on the MjSpec. UsdPhysics has no friction attribute: the friction is PhysX's per-axis
Coulomb friction (`PhysxJointAxisAPI:<angular|linear>`,
`physxJointAxis:<axis>:staticFrictionEffort` and `dynamicFrictionEffort`, N m or N;
PhysX >= 5.6, Isaac Sim >= 5.0), which Isaac Sim reads and MuJoCo's frictionloss equals.
usd-core ships no PhysxSchema, so it is authored by name here. The legacy
`physxJoint:jointFriction` is not used: it is a unitless coefficient on the force the joint
transmits, not a friction force. Stages written before carry it in customData.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np
from pxr import Sdf, Usd, UsdPhysics

from tools.sim import usd_layout as layout

ARMATURE = 0.01  # rotor-like inertia that keeps light doors stable at a 2 ms step
PHYSX_JOINT_AXIS_API = "PhysxJointAxisAPI"  # multiple-apply; instance "angular" or "linear"
_EFFORTS = ("staticFrictionEffort", "dynamicFrictionEffort")


def physx_axis(prim: Usd.Prim) -> str:
    """The PhysX axis instance of a one-axis joint: "angular" (revolute) or "linear"."""
    return "angular" if prim.IsA(UsdPhysics.RevoluteJoint) else "linear"


def author_physx_friction(prim: Usd.Prim, friction: float) -> None:
    """Apply `PhysxJointAxisAPI:<axis>` with equal static and dynamic friction efforts.

    Args:
        prim: a revolute or prismatic joint prim.
        friction: Coulomb friction, N m (revolute) or N (prismatic).
    """
    axis = physx_axis(prim)
    prim.AddAppliedSchema(f"{PHYSX_JOINT_AXIS_API}:{axis}")
    for effort in _EFFORTS:
        # Not `custom`: the schema declares these (as Isaac Sim itself writes them).
        name = f"physxJointAxis:{axis}:{effort}"
        prim.CreateAttribute(name, Sdf.ValueTypeNames.Float, custom=False).Set(float(friction))


def joint_friction(prim: Usd.Prim) -> float:
    """A joint's Coulomb friction: PhysX's static effort, else the older customData entry."""
    attr = prim.GetAttribute(f"physxJointAxis:{physx_axis(prim)}:{_EFFORTS[0]}")
    if attr and attr.HasAuthoredValue():
        return float(attr.Get())
    return float(prim.GetCustomDataByKey(layout.JOINT_FRICTION_KEY) or 0.0)


def drive_spring(prim: Usd.Prim) -> tuple[float, float] | None:
    """A joint drive's spring in SI units: (N m/rad or N/m, rest in rad or m); None if none.

    UsdPhysics states angular drives per degree: stiffness N m/deg, targetPosition in degrees.
    """
    revolute = prim.IsA(UsdPhysics.RevoluteJoint)
    token = UsdPhysics.Tokens.angular if revolute else UsdPhysics.Tokens.linear
    drive = UsdPhysics.DriveAPI.Get(prim, token)
    stiffness = drive.GetStiffnessAttr().Get() if drive else None
    if not stiffness:
        return None
    scale = np.degrees(1.0) if revolute else 1.0
    target = float(drive.GetTargetPositionAttr().Get() or 0.0)
    return float(stiffness) * scale, target / scale


@dataclass(frozen=True)
class JointHandle:
    """Where one door or drawer joint of a scene object is in the MjModel.

    Attributes:
        object_id: the manifest id of its object.
        name: the manifest joint name.
        joint_id: MuJoCo joint id.
        qpos_adr: its position's index in qpos (0 = closed, positive = opening).
        dof_adr: its velocity's index in qvel.
        kind: "revolute" or "prismatic".
        limits: (closed, fully open) in radians or metres.
        body_id: the moving part's body.
    """

    object_id: str
    name: str
    joint_id: int
    qpos_adr: int
    dof_adr: int
    kind: str
    limits: tuple[float, float]
    body_id: int

    def open_fraction(self, qpos: np.ndarray) -> float:
        """How far open the part is: 0 closed, 1 at its upper limit."""
        lo, hi = self.limits
        return float((qpos[self.qpos_adr] - lo) / (hi - lo))


def _object_joints(stage: Usd.Stage) -> list[tuple[str, Usd.Prim]]:
    """(object id, joint prim) for every door or drawer joint under /World/Objects."""
    root = stage.GetPrimAtPath(layout.OBJECTS_PATH)
    if not root:
        return []
    found = []
    for obj in root.GetChildren():
        object_id = obj.GetCustomDataByKey(layout.OBJECT_ID_KEY)
        joints = obj.GetChild(layout.JOINTS_SCOPE)
        if not isinstance(object_id, str) or not joints:
            continue
        for prim in joints.GetChildren():
            if prim.IsA(UsdPhysics.RevoluteJoint) or prim.IsA(UsdPhysics.PrismaticJoint):
                found.append((object_id, prim))
    return found


def complete_joints(spec: mujoco.MjSpec, stage: Usd.Stage, notes: list[str]) -> int:
    """Set damping, dry friction, spring and armature of the scene's door and drawer joints.

    Args:
        spec: the imported spec (joints named by their prim paths).
        stage: the scene stage.
        notes: completion notes, appended to.

    Returns:
        The number of joints completed.
    """
    count = 0
    for _, prim in _object_joints(stage):
        joint = spec.joint(str(prim.GetPath()))
        if joint is None:
            notes.append(f"joint {prim.GetPath()} was not imported")
            continue
        damping = float(prim.GetCustomDataByKey(layout.JOINT_DAMPING_KEY) or 0.0)
        joint.damping = [damping, 0.0, 0.0]  # MuJoCo 4: linear, then higher-order terms
        joint.frictionloss = joint_friction(prim)
        joint.armature = ARMATURE
        spring = drive_spring(prim)
        if spring is not None:
            joint.stiffness = [spring[0], 0.0, 0.0]  # MuJoCo 4: linear, then higher-order terms
            angular = prim.IsA(UsdPhysics.RevoluteJoint) and spec.compiler.degree
            # The compiler reads a hinge's springref in its angle unit, as it reads the range.
            joint.springref = float(np.degrees(spring[1])) if angular else spring[1]
        # MuJoCo filters parent-child contacts except when the parent is welded to the world,
        # as an articulation's body is: the part moves inside the body's hulls, so exclude.
        schema = UsdPhysics.Joint(prim)
        parents, children = schema.GetBody0Rel().GetTargets(), schema.GetBody1Rel().GetTargets()
        if parents and children:
            spec.add_exclude(bodyname1=str(parents[0]), bodyname2=str(children[0]))
        count += 1
    if count:
        notes.append(f"{count} door/drawer joints: damping, friction and springs from the USD")
    return count


def joint_handles(model: mujoco.MjModel, stage: Usd.Stage) -> dict[str, JointHandle]:
    """Map `<object id>/<joint name>` to its joint in the compiled model.

    Args:
        model: the compiled scene.
        stage: the scene stage.

    Returns:
        One handle per imported door or drawer joint.
    """
    handles: dict[str, JointHandle] = {}
    for object_id, prim in _object_joints(stage):
        joint_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, str(prim.GetPath()))
        if joint_id < 0:
            continue
        revolute = model.jnt_type[joint_id] == mujoco.mjtJoint.mjJNT_HINGE
        lo, hi = (float(v) for v in model.jnt_range[joint_id])
        name = prim.GetName()
        handles[f"{object_id}/{name}"] = JointHandle(
            object_id=object_id,
            name=name,
            joint_id=int(joint_id),
            qpos_adr=int(model.jnt_qposadr[joint_id]),
            dof_adr=int(model.jnt_dofadr[joint_id]),
            kind="revolute" if revolute else "prismatic",
            limits=(lo, hi),
            body_id=int(model.jnt_bodyid[joint_id]),
        )
    return handles
