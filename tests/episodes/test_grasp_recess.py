"""An attempt whose pads, kept above the support's top, cannot reach the target is refused."""

from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.grasp import FINGERTIP_BELOW_TCP, Grasp
from episode_generation_job.rollout import _pads_reach, plan_attempt
from episode_generation_job.testing import tabletop_scene
from tools.sim.robots.kinematics import ArmKinematics
from tools.tasks.feasibility import derive_tasks
from tools.tasks.geometry import ObjectBox, Pose

COUNTER_TOP = 0.89


def _grasp(box: ObjectBox, support_top: float) -> Grasp:
    """Where the top pinch puts the TCP: 3.5 cm below the top, fingertips above the support."""
    z = max(box.top - 0.035, support_top + FINGERTIP_BELOW_TCP)
    return Grasp((box.centre[0], box.centre[1], z), 0.0, 0.07, z - box.bottom, 0.08)


def test_an_object_in_a_sink_below_the_counter_top_is_not_pinched_over_air() -> None:
    """An apple a layout dropped into a sink: its top is 8 cm below the counter's top, where
    the fingertips stop, so the pinch would close on air."""
    apple = ObjectBox("apple", (0.5, 0.0, 0.777), (0.038, 0.038, 0.034), 0.0)
    assert not _pads_reach(apple, _grasp(apple, COUNTER_TOP))


def test_objects_on_or_above_the_support_keep_their_pinch() -> None:
    can = ObjectBox("can", (0.5, 0.0, COUNTER_TOP + 0.06), (0.033, 0.033, 0.06), 0.0)
    assert _pads_reach(can, _grasp(can, COUNTER_TOP))
    flat = ObjectBox("eraser", (0.5, 0.0, COUNTER_TOP + 0.01), (0.02, 0.03, 0.01), 0.0)
    assert _pads_reach(flat, _grasp(flat, COUNTER_TOP))
    # A fruit in a bowl 3 cm above its rim: the pads, kept above the rim, still hold 3 cm.
    rim = COUNTER_TOP + 0.07
    fruit = ObjectBox("fruit", (0.5, 0.0, rim), (0.035, 0.035, 0.03), 0.0)
    assert _pads_reach(fruit, _grasp(fruit, rim))
    deep = ObjectBox("deep", (0.5, 0.0, rim - 0.03), (0.035, 0.035, 0.025), 0.0)
    assert not _pads_reach(deep, _grasp(deep, rim))


def test_a_sunk_target_is_refused_before_simulating() -> None:
    """On the tabletop, a target moved 10 cm below the table's top plans as not graspable."""
    scene = tabletop_scene()
    backend = MujocoBackend(scene)
    robot = backend.robot
    try:
        free = backend.free_objects()
        backend.reset(EpisodeInit({o: backend.object_pose(o) for o in free}, robot.home_qpos, 0.08))
        tasks = derive_tasks(
            scene.manifest, backend.object_boxes(), backend.robot_base,
            free_objects=backend.free_objects(),
        )  # fmt: skip
        task = tasks[0]
        kinematics = ArmKinematics(backend.robot, backend.robot_base.position,
                                   backend.robot_base.quat_wxyz)  # fmt: skip
        assert not isinstance(plan_attempt(backend, kinematics, task, 0.08), str)
        pose = backend.object_pose(task.target_id)
        x, y, z = pose.position
        sunk = {task.target_id: Pose.of((x, y, z - 0.1), pose.quat_wxyz)}
        backend._place(sunk, robot.home_qpos, 0.08)  # a state to plan from, not run
        assert plan_attempt(backend, kinematics, task, 0.08) == "not_graspable"
    finally:
        backend.close()
