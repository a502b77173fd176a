"""Both backends run the same controller, timing and contact rules; Kit's lifetime keeps the
job's exit code (the parts of the Isaac Sim backend that run without Isaac Sim)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from pxr import Usd, UsdPhysics

from episode_generation_job.backends import isaacsim_api, isaacsim_app
from episode_generation_job.backends import isaacsim_stage as stage_io
from episode_generation_job.backends.base import CONTROL_HZ, PHYSICS_DT, EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import robot_name, scene_from_usd
from episode_generation_job.backends.panda_drive import (
    SETTLE_STEPS,
    isaac_drive_arrays,
    panda_controller,
    settle_updates,
)
from episode_generation_job.errors import BackendUnavailableError
from episode_generation_job.testing import write_tabletop_usd
from tools.scene_manifest import load_manifest
from tools.sim.robots.franka import constants as franka


@pytest.fixture(scope="module")
def mujoco_backend(tmp_path_factory):
    scene_dir = write_tabletop_usd(tmp_path_factory.mktemp("parity") / "tabletop")
    backend = MujocoBackend(scene_from_usd(scene_dir / "usd/scene.usda", load_manifest(scene_dir)))
    yield backend
    backend.close()


def test_mujoco_model_runs_the_shared_controller(mujoco_backend):
    """The compiled MuJoCo Panda has exactly the described gains, limits, efforts, armature,
    gravity compensation and pad friction (and Isaac receives the same arrays)."""
    model = mujoco_backend.model
    controller = panda_controller()
    arrays = isaac_drive_arrays(controller)
    for drive in controller.arm:
        joint = model.joint(robot_name(drive.joint))
        actuator = model.actuator(robot_name(f"act_{drive.joint}"))
        assert actuator.gainprm[0] == pytest.approx(drive.stiffness)
        assert -actuator.biasprm[2] == pytest.approx(drive.damping)
        assert actuator.forcerange.tolist() == pytest.approx([-drive.max_effort, drive.max_effort])
        assert actuator.ctrlrange.tolist() == pytest.approx([drive.lower, drive.upper], abs=1e-4)
        assert model.dof_armature[joint.dofadr[0]] == pytest.approx(drive.armature)
    gripper = model.actuator(robot_name(franka.GRIPPER_ACTUATOR))
    finger = controller.fingers[0]
    assert gripper.gainprm[0] == pytest.approx(finger.stiffness)
    assert gripper.forcerange[1] == pytest.approx(finger.max_effort)
    assert gripper.ctrlrange.tolist() == pytest.approx([finger.lower, finger.upper])
    pads = [model.geom(robot_name(n)) for n in franka.FINGER_PAD_GEOMS]
    assert all(p.friction[0] == pytest.approx(controller.finger_friction[0]) for p in pads)
    hand = model.body(robot_name(franka.HAND_BODY))
    assert controller.gravity_compensation and model.body_gravcomp[hand.id] == 1.0
    assert arrays.joints == (*franka.ARM_JOINTS, *franka.FINGER_JOINTS)
    assert arrays.stiffnesses == tuple(d.stiffness for d in controller.drives)
    assert model.opt.timestep == pytest.approx(controller.physics_dt)


def test_reset_settles_the_shared_steps_from_rest(mujoco_backend):
    """A reset zeroes velocities and takes SETTLE_STEPS physics steps; in Isaac Sim that is a
    whole number of control periods of 20 steps each."""
    backend = mujoco_backend
    free = backend.free_objects()
    backend.data.qvel[:] = 1.0
    before = backend.physics_steps
    poses = {o: backend.object_pose(o) for o in free}
    backend.reset(EpisodeInit(poses, franka.HOME_QPOS, franka.GRIPPER_MAX_WIDTH))
    assert backend.physics_steps - before == SETTLE_STEPS
    assert max(backend.object_speeds(o)[0] for o in free) < 0.05
    substeps = isaacsim_api.substeps_per_control(CONTROL_HZ, PHYSICS_DT)
    assert substeps == 20 and settle_updates(panda_controller()) * substeps == SETTLE_STEPS
    with pytest.raises(ValueError, match="not a multiple"):
        isaacsim_api.substeps_per_control(CONTROL_HZ, 1 / 500)


def test_step_audit_tolerates_one_step_of_drift_only():
    """19 then 21 steps is PhysX's float accumulation; 19 twice is a wrong timing."""
    audit = isaacsim_api.StepAudit(20)
    for steps in (20, 19, 21, 20):
        audit.record(steps)
    assert audit.taken == audit.expected == 80
    audit.record(19)
    with pytest.raises(ValueError, match="101 steps in 6 control periods, expected 120"):
        audit.record(2)  # a stalled update: 101 steps after 6 periods
    stuck = isaacsim_api.StepAudit(20)
    stuck.record(19)
    with pytest.raises(ValueError, match="expected 40"):
        stuck.record(19)


def test_timing_is_authored_on_the_stage(tmp_path):
    """timeCodesPerSecond = control rate (USD's default is 24) and PhysX's rate = 1/dt."""
    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    stage = Usd.Stage.Open(str(scene_dir / "usd/scene.usda"))
    assert stage.GetTimeCodesPerSecond() == 24
    assert stage_io.author_timing(stage, CONTROL_HZ, PHYSICS_DT) == 600
    assert stage.GetTimeCodesPerSecond() == CONTROL_HZ
    scenes = [p for p in stage.Traverse() if p.IsA(UsdPhysics.Scene)]
    assert scenes
    for prim in scenes:
        # usd-core has no PhysxSchema registered: read the authored list, as Kit's USD will
        authored = prim.GetMetadata("apiSchemas").GetAddedOrExplicitItems()
        assert stage_io.PHYSX_SCENE_API in authored
        assert prim.GetAttribute(stage_io.PHYSX_STEPS_ATTR).Get() == 600
    empty = Usd.Stage.CreateInMemory()
    with pytest.raises(BackendUnavailableError, match=r"no UsdPhysics\.Scene"):
        stage_io.author_timing(empty, CONTROL_HZ, PHYSICS_DT)


@dataclass
class _Header:
    type: int
    actor0: int
    actor1: int
    contact_data_offset: int
    num_contact_data: int


@dataclass
class _Point:
    impulse: tuple[float, float, float]
    normal: tuple[float, float, float]


def test_contact_lost_is_not_touching():
    """FOUND and PERSIST pairs are contacts, LOST ones are not; impulses sum along normals."""
    found, persist, lost = 0, 1, 2
    names = {1: "/World/Robot/panda_leftfinger", 2: "/World/Objects/mug", 3: "/World/Table"}
    headers = [
        _Header(found, 1, 2, 0, 2),
        _Header(lost, 1, 3, 2, 1),
        _Header(persist, 2, 3, 3, 1),
    ]
    data = [
        _Point((0.0, 0.0, 0.2), (0.0, 0.0, 1.0)),
        _Point((0.1, 0.0, 0.0), (-1.0, 0.0, 0.0)),
        _Point((5.0, 5.0, 5.0), (0.0, 0.0, 1.0)),
        _Point((0.0, 0.0, 0.05), (0.0, 0.0, 1.0)),
    ]
    pairs = isaacsim_api.touching_pairs(headers, data, names.__getitem__, lost)
    assert [(p.actor0, p.actor1) for p in pairs] == [
        (names[1], names[2]),
        (names[2], names[3]),
    ]
    assert pairs[0].impulse == pytest.approx(0.3) and pairs[1].impulse == pytest.approx(0.05)


def test_franka_asset_is_probed_in_release_order():
    """The first existing candidate wins; none existing fails with the paths tried."""
    seen = []

    def exists(url):
        seen.append(url)
        return url.endswith("/Isaac/Robots/Franka/franka.usd")

    assert (
        stage_io.franka_asset("omniverse://x/", exists)
        == "omniverse://x/Isaac/Robots/Franka/franka.usd"
    )
    assert len(seen) == len(stage_io.FRANKA_ASSET_CANDIDATES)
    with pytest.raises(BackendUnavailableError, match="no Franka asset"):
        stage_io.franka_asset("/mirror", lambda url: False)


class _Exited(Exception):
    def __init__(self, status):
        super().__init__(status)
        self.status = status


def _run(body):
    """run_in_kit with Kit replaced at the edge; returns (status, event order)."""
    events = []

    def exit_process(status):
        raise _Exited(status)

    def start():
        events.append("start")
        return "app"

    def traced():
        events.append("body")
        return body()

    with pytest.raises(_Exited) as exited:
        isaacsim_app.run_in_kit(
            traced,
            start=start,
            close=lambda app: events.append(f"close {app}"),
            exit_process=exit_process,
        )
    return exited.value.status, events


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (lambda: None, 0),
        (lambda: 3, 3),
        (lambda: (_ for _ in ()).throw(SystemExit(2)), 2),
        (lambda: (_ for _ in ()).throw(SystemExit(0)), 0),
        (lambda: (_ for _ in ()).throw(RuntimeError("merge failed")), 1),
        (lambda: (_ for _ in ()).throw(SystemExit("bad config")), 1),
    ],
)
def test_kit_closes_after_the_job_and_keeps_its_exit_code(body, status):
    """Kit starts first and closes last; the job's status survives, an exception is 1."""
    got, events = _run(body)
    assert got == status
    assert events == ["start", "body", "close app"]


def test_an_interrupt_is_a_failure_not_kit_s_exit_0():
    """Kit's SIGINT handler (shut down, exit 0) is replaced: Ctrl-C fails the job."""
    import signal

    previous = signal.getsignal(signal.SIGINT)

    def kit_like_start():
        signal.signal(signal.SIGINT, lambda *_: None)
        return "app"

    def body():
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        raise KeyboardInterrupt

    def exit_process(status):
        raise _Exited(status)

    try:
        with pytest.raises(_Exited) as exited:
            isaacsim_app.run_in_kit(
                body, start=kit_like_start, close=lambda app: None, exit_process=exit_process
            )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert exited.value.status == 1


def test_a_failing_close_keeps_the_job_status():
    """A fault while Kit shuts down does not turn the job's status into success or failure."""

    def close(app):
        raise RuntimeError("teardown")

    def exit_process(status):
        raise _Exited(status)

    with pytest.raises(_Exited) as exited:
        isaacsim_app.run_in_kit(
            lambda: 2, start=lambda: "app", close=close, exit_process=exit_process
        )
    assert exited.value.status == 2


@pytest.mark.parametrize(
    ("env", "available", "expected"),
    [
        ({"BACKEND": "isaacsim"}, True, True),
        ({"PRODUCTION_MODE": "true"}, True, True),
        ({"PRODUCTION_MODE": "true", "BACKEND": "mujoco"}, True, False),
        ({}, True, False),
        ({"BACKEND": "isaacsim"}, False, False),
    ],
)
def test_kit_starts_only_for_the_isaac_path(monkeypatch, env, available, expected):
    """Kit is started first exactly when the job will run Isaac Sim and can (on a driver at or
    above the image's floor: tests/episodes/test_gpu_driver.py covers an older one)."""
    monkeypatch.setattr(isaacsim_app, "is_isaac_sim_available", lambda: available)
    monkeypatch.setattr(isaacsim_app, "driver_problem", lambda: None)
    assert isaacsim_app.wants_isaac_sim(env) is expected


def test_the_entrypoint_path_imports_no_engine_before_kit():
    """Importing the entrypoint and the worker loads neither mujoco nor pxr (Kit comes first)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import episode_generation_job.generate_episodes, episode_generation_job.worker\n"
        "print(sorted(m for m in ('mujoco', 'pxr') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_scene_camera_write_moves_the_usd_camera_to_the_pose(tmp_path):
    """The camera jitter MuJoCo applies (pose: looks down -z) lands on the USD camera."""
    from pxr import UsdGeom

    from episode_generation_job.backends import isaacsim_randomization as usd_rand
    from tools.tasks.geometry import Pose

    scene_dir = write_tabletop_usd(tmp_path / "tabletop")
    stage = Usd.Stage.Open(str(scene_dir / "usd/scene.usda"))
    UsdGeom.Xform.Define(stage, f"{stage_io.ROBOT_PATH}/{franka.HAND_BODY}")
    stage_io.author_cameras(stage, Pose.of((0.0, 0.0, 0.8), (1.0, 0.0, 0.0, 0.0)))
    half = np.radians(30) / 2  # 30 deg about x
    pose = Pose.of((0.3, -1.2, 1.4), (np.cos(half), np.sin(half), 0.0, 0.0))
    usd_rand.apply_writes(stage, [usd_rand.camera_write(stage_io.SCENE_CAMERA_PATH, pose)])
    matrix = UsdGeom.XformCache().GetLocalToWorldTransform(
        stage.GetPrimAtPath(stage_io.SCENE_CAMERA_PATH)
    )
    assert list(matrix.ExtractTranslation()) == pytest.approx([0.3, -1.2, 1.4])
    looking = matrix.TransformDir((0.0, 0.0, -1.0))
    assert list(looking) == pytest.approx([0.0, np.sin(np.radians(30)), -np.cos(np.radians(30))])
