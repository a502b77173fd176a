"""The Panda's controller, described once for every backend: joint drives (gains, effort and
position limits, armature), gravity compensation, finger friction and the reset rules.

The MuJoCo model (`tools.sim.robots.franka.model`) is built from the same constants; the Isaac
Sim backend writes `isaac_drive_arrays` onto the referenced Franka asset, replacing the asset's
own gains and friction. `tests/episodes/test_backend_parity.py` holds both to this description.
"""

from __future__ import annotations

from dataclasses import dataclass

from episode_generation_job.backends.base import CONTROL_HZ, PHYSICS_DT
from tools.sim.robots.franka import constants as franka

SETTLE_STEPS = 60  # physics steps after a reset (0.1 s), so resting contacts form
FINGER_ARMATURE = 0.01


@dataclass(frozen=True)
class JointDrive:
    """A position drive on one joint: force = stiffness (target - q) - damping q', clipped.

    Attributes:
        joint: the URDF joint name.
        stiffness: N m / rad (N / m for a finger).
        damping: N m s / rad (N s / m for a finger).
        max_effort: N m (N for a finger).
        lower: lowest position target, rad (m).
        upper: highest position target, rad (m).
        armature: reflected rotor inertia, kg m^2 (kg).
    """

    joint: str
    stiffness: float
    damping: float
    max_effort: float
    lower: float
    upper: float
    armature: float


@dataclass(frozen=True)
class PandaController:
    """Everything both engines must agree on to run the same plan the same way.

    Attributes:
        arm: the seven arm drives.
        fingers: the two finger drives (each finger driven to half the gripper width).
        settle_steps: physics steps after a reset, holding the reset command.
        zero_velocities_on_reset: objects and joints start each episode at rest.
        gravity_compensation: the arm's links feel no gravity (MuJoCo gravcomp = 1).
        finger_friction: static and dynamic friction of the finger pads, combined with an
            object's by max (MuJoCo's rule).
        physics_dt: physics step, seconds.
        control_hz: control and recording rate.
    """

    arm: tuple[JointDrive, ...]
    fingers: tuple[JointDrive, ...]
    settle_steps: int
    zero_velocities_on_reset: bool
    gravity_compensation: bool
    finger_friction: tuple[float, float]
    physics_dt: float
    control_hz: int

    @property
    def drives(self) -> tuple[JointDrive, ...]:
        """Arm then finger drives."""
        return self.arm + self.fingers


def panda_controller() -> PandaController:
    """The Panda controller every backend applies."""
    arm = tuple(
        JointDrive(name, kp, kv, force, low, high, franka.ARM_ARMATURE)
        for name, kp, kv, force, low, high in zip(
            franka.ARM_JOINTS,
            franka.ARM_KP,
            franka.ARM_KV,
            franka.ARM_FORCE,
            franka.ARM_LOWER,
            franka.ARM_UPPER,
            strict=True,
        )
    )
    fingers = tuple(
        JointDrive(
            name,
            franka.GRIPPER_KP,
            franka.GRIPPER_KV,
            franka.GRIPPER_FORCE,
            0.0,
            franka.FINGER_MAX,
            FINGER_ARMATURE,
        )
        for name in franka.FINGER_JOINTS
    )
    sliding = franka.PAD_FRICTION[0]
    return PandaController(
        arm=arm,
        fingers=fingers,
        settle_steps=SETTLE_STEPS,
        zero_velocities_on_reset=True,
        gravity_compensation=True,
        finger_friction=(sliding, sliding),
        physics_dt=PHYSICS_DT,
        control_hz=CONTROL_HZ,
    )


@dataclass(frozen=True)
class IsaacDriveArrays:
    """What the Isaac backend passes to `Articulation.set_dof_*`, ordered like `joints`."""

    joints: tuple[str, ...]
    stiffnesses: tuple[float, ...]
    dampings: tuple[float, ...]
    max_efforts: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    armatures: tuple[float, ...]


def isaac_drive_arrays(controller: PandaController) -> IsaacDriveArrays:
    """The controller as per-DOF arrays in SI units (Isaac's tensor API converts to the USD
    drive's per-degree units itself)."""
    drives = controller.drives
    return IsaacDriveArrays(
        joints=tuple(d.joint for d in drives),
        stiffnesses=tuple(d.stiffness for d in drives),
        dampings=tuple(d.damping for d in drives),
        max_efforts=tuple(d.max_effort for d in drives),
        lower=tuple(d.lower for d in drives),
        upper=tuple(d.upper for d in drives),
        armatures=tuple(d.armature for d in drives),
    )


def settle_updates(controller: PandaController) -> int:
    """App updates (control periods) that make up the settle steps in Isaac Sim.

    Raises:
        ValueError: the settle steps are not a whole number of control periods.
    """
    per_update = round(1.0 / (controller.control_hz * controller.physics_dt))
    if controller.settle_steps % per_update:
        raise ValueError(f"settle_steps {controller.settle_steps} not a multiple of {per_update}")
    return controller.settle_steps // per_update
