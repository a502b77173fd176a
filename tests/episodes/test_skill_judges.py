"""Each pick-and-place skill's judge on settled MuJoCo states: a real success, a near miss."""

from __future__ import annotations

import mujoco
import pytest

from episode_generation_job.backends.base import EpisodeInit
from episode_generation_job.backends.mujoco_backend import MujocoBackend
from episode_generation_job.backends.mujoco_scene import MujocoScene, ObjectRef
from episode_generation_job.episode_session import EpisodeSession
from episode_generation_job.final_state import (
    WINDOW_FRAMES,
    WindowSampler,
    encode,
    observation_record,
    observe_final_state,
    rejudge,
)
from episode_generation_job.skill_judges import judge_skill
from episode_generation_job.success import Verdict, judge
from episode_generation_job.testing import TABLE_TOP, TabletopItem, tabletop_scene
from tools.scene_manifest import (
    ObjectProvenance,
    PoseSource,
    SceneObject,
    Semantics,
    SimRole,
    Transform,
)
from tools.sim.robots.franka import constants as franka
from tools.tasks.feasibility import derive_tasks
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.skills import PLACE_AT_HEIGHT, PLACE_IN, PLACE_ON, STACK
from tools.tasks.task_specifier import PickPlaceTask

BOWL = TabletopItem(
    "bowl_0", "bowl", "cup", (0.16, 0.16, 0.06), (0.65, -0.25), 0.0, 0.3, "white", (1, 1, 1, 1)
)
BOOK = TabletopItem(
    "book_0", "book", "box", (0.16, 0.22, 0.04), (0.62, 0.22), 0.0, 0.4, "green", (0, 1, 0, 1)
)
COUNTER_ID, COUNTER_TOP = "counter_0", 0.90
COUNTER_CENTRE, COUNTER_HALF = (0.3, 0.55), (0.15, 0.12)
CUBE_HALF, CAN_HALF = 0.025, 0.06
HOME, OPEN = franka.HOME_QPOS, franka.GRIPPER_MAX_WIDTH


def skills_scene() -> MujocoScene:
    """The synthetic tabletop with a bowl, a book and a static counter 15 cm above the table."""
    scene = tabletop_scene((BOWL, BOOK))
    body = scene.spec.worldbody.add_body(name=COUNTER_ID, pos=[*COUNTER_CENTRE, COUNTER_TOP / 2])
    body.add_geom(
        name=f"{COUNTER_ID}/geom",
        type=mujoco.mjtGeom.mjGEOM_BOX,
        size=[*COUNTER_HALF, COUNTER_TOP / 2],
        friction=[0.8, 0.005, 0.0001],
    )
    table = scene.manifest.object("table_0")
    counter = SceneObject(
        id=COUNTER_ID,
        category="counter",
        sim_role=SimRole.STATIC,
        transform=Transform(position=(*COUNTER_CENTRE, COUNTER_TOP / 2)),
        asset=table.asset.model_copy(update={"mesh_path": "assets/counter_0/counter_0.glb"}),
        dimensions=(2 * COUNTER_HALF[0], 2 * COUNTER_HALF[1], COUNTER_TOP),
        semantics=Semantics(label="counter", class_name="counter"),
        provenance=ObjectProvenance(source_id=COUNTER_ID, pose_source=PoseSource.AUTHORED),
    )
    manifest = scene.manifest.model_copy(update={"objects": (*scene.manifest.objects, counter)})
    objects = {**scene.objects, COUNTER_ID: ObjectRef(None, (f"{COUNTER_ID}/geom",))}
    return MujocoScene(spec=scene.spec, objects=objects, manifest=manifest)


@pytest.fixture(scope="module")
def backend():
    sim = MujocoBackend(skills_scene())
    sim.reset(EpisodeInit({o: sim.object_pose(o) for o in sim.free_objects()}, HOME, OPEN))
    yield sim
    sim.close()


@pytest.fixture(scope="module")
def rest(backend) -> dict[str, Pose]:
    """Every free object's pose after a short settle at the start."""
    for _ in range(30):
        backend.step(HOME, OPEN)
    return {o: backend.object_pose(o) for o in backend.free_objects()}


def on_table(x: float, y: float, half: float = CUBE_HALF) -> Pose:
    return Pose((x, y, TABLE_TOP + half + 0.001))


def settle_and_judge(
    backend, rest, task: PickPlaceTask, start: dict[str, Pose], now: dict[str, Pose]
) -> tuple[Verdict, Verdict]:
    """Put the objects at `now` (others at rest), hold the arm still for 45 control frames and
    judge as the rollout does, the objects having started at `start` (others at rest).

    Returns:
        (the skill's verdict, the shared rules' verdict).
    """
    backend.reset(EpisodeInit({**rest, **now}, HOME, OPEN))
    sampler = WindowSampler(backend, task.target_id, task.goal_id)
    previous = backend.object_pose(task.target_id)
    frames = 45
    for i in range(frames):
        previous = backend.object_pose(task.target_id)
        backend.step(HOME, OPEN)
        if i >= frames - WINDOW_FRAMES:
            sampler.sample()
    half = CAN_HALF if task.target_id == "can_0" else CUBE_HALF
    begin = start[task.target_id].position
    box = ObjectBox(task.target_id, begin, (half, half, half), 0.0)
    observation = observe_final_state(
        backend, task, start={**rest, **start}, target_box=box, max_lift=0.12,
        previous=previous, sampler=sampler,
    )  # fmt: skip
    verdict = judge_skill(task.skill, task.target_id, task.goal_id, observation)
    record = encode(observation_record(task.target_id, task.goal_id, observation, task.skill))
    assert rejudge(record) == verdict  # the dataset's record gives the same verdict
    return verdict, judge(task.target_id, task.goal_id, observation)


def _task(target: str, goal: str, skill: str, relation: str = "on") -> PickPlaceTask:
    return PickPlaceTask(f"{target}-to-{goal}", target, "table_0", goal, None, "", None,
                         relation, skill)  # fmt: skip


def test_place_in_needs_the_centre_below_the_rim(backend, rest):
    """A cube on the bowl's floor is in it; a can standing on that floor with its centre above
    the 6 cm rim passes the shared "in" rules but is not inside the container's volume."""
    bowl = rest["bowl_0"].position
    floor = bowl[2] - BOWL.size[2] / 2 + 0.006
    task = _task("cube_0", "bowl_0", PLACE_IN, "in")
    start = {"cube_0": on_table(0.45, 0.15)}
    inside = {"cube_0": Pose((bowl[0], bowl[1], floor + CUBE_HALF + 0.001))}
    verdict, _ = settle_and_judge(backend, rest, task, start, inside)
    assert verdict.success, verdict
    assert verdict.checks["centre_below_rim_m"] > 0.01
    can = _task("can_0", "bowl_0", PLACE_IN, "in")
    standing = {"can_0": Pose((bowl[0], bowl[1], floor + CAN_HALF + 0.001))}
    verdict, shared = settle_and_judge(
        backend, rest, can, {"can_0": on_table(0.5, -0.15, CAN_HALF)}, standing
    )
    assert shared.success and verdict.reason == "centre_above_rim", verdict


def test_stack_refuses_a_pushed_lower_object(backend, rest):
    """A cube on the book is stacked; the same with the book pushed 5 cm by the placing is not
    (the shared rules let a goal move)."""
    book = rest["book_0"].position
    task = _task("cube_0", "book_0", STACK)
    start = {"cube_0": on_table(0.45, 0.15)}
    top = book[2] + BOOK.size[2] / 2 + CUBE_HALF + 0.001
    verdict, _ = settle_and_judge(
        backend, rest, task, start, {"cube_0": Pose((book[0], book[1], top))}
    )
    assert verdict.success, verdict
    assert verdict.checks["lower_shift_m"] < 0.005
    pushed = Pose((book[0] + 0.05, book[1], book[2]))
    verdict, shared = settle_and_judge(
        backend, rest, task, start,
        {"book_0": pushed, "cube_0": Pose((book[0] + 0.05, book[1], top))},
    )  # fmt: skip
    assert shared.success and verdict.reason == "lower_displaced", verdict
    assert verdict.checks["lower_shift_m"] == pytest.approx(0.05, abs=0.005)


def test_place_at_height_needs_another_level(backend, rest):
    """From the counter down onto the table is a level change; moving along the table is not."""
    task = _task("cube_0", "table_0", PLACE_AT_HEIGHT)
    on_counter = Pose((*COUNTER_CENTRE, COUNTER_TOP + CUBE_HALF + 0.001))
    end = {"cube_0": on_table(0.5, 0.3)}
    verdict, _ = settle_and_judge(backend, rest, task, {"cube_0": on_counter}, end)
    assert verdict.success, verdict
    assert verdict.checks["level_change_m"] == pytest.approx(TABLE_TOP - COUNTER_TOP, abs=0.01)
    verdict, shared = settle_and_judge(backend, rest, task, {"cube_0": on_table(0.45, 0.15)}, end)
    assert shared.success and verdict.reason == "level_not_changed", verdict


def test_place_on_is_the_shared_rules(backend, rest):
    """On the plate succeeds; just beside it is outside the goal."""
    plate = rest["plate_0"].position
    task = _task("cube_0", "plate_0", PLACE_ON)
    start = {"cube_0": on_table(0.45, 0.15)}
    top = plate[2] + 0.01 + CUBE_HALF + 0.001
    verdict, _ = settle_and_judge(
        backend, rest, task, start, {"cube_0": Pose((plate[0], plate[1], top))}
    )
    assert verdict.success, verdict
    beside = {"cube_0": on_table(plate[0], plate[1] + 0.14)}
    verdict, _ = settle_and_judge(backend, rest, task, start, beside)
    assert verdict.reason in ("not_in_goal_region", "not_resting_on_goal"), verdict


def test_unknown_skill_is_refused_by_name(backend, rest):
    """A skill without a judge is one clear error, from the step and from a stored record."""
    backend.reset(EpisodeInit(rest, HOME, OPEN))
    sampler = WindowSampler(backend, "cube_0", "plate_0")
    backend.step(HOME, OPEN)
    sampler.sample()
    box = ObjectBox("cube_0", rest["cube_0"].position, (CUBE_HALF,) * 3, 0.0)
    observation = observe_final_state(
        backend, _task("cube_0", "plate_0", PLACE_ON), start=rest, target_box=box,
        max_lift=0.0, previous=rest["cube_0"], sampler=sampler,
    )  # fmt: skip
    with pytest.raises(ValueError, match="skill: 'juggle' is not one of"):
        judge_skill("juggle", "cube_0", "plate_0", observation)
    record = encode(observation_record("cube_0", "plate_0", observation, "juggle"))
    with pytest.raises(ValueError, match="juggle"):
        rejudge(record)


def test_candidates_name_the_skill_from_geometry(backend, rest):
    """With the cube on the counter: into the bowl is place_in, onto the book a stack, down
    onto the table place_at_height (-15 cm); the can on the table onto the plate is place_on;
    the 12 cm can does not go "in" the 6 cm bowl (its centre would stand above the rim)."""
    on_counter = Pose((*COUNTER_CENTRE, COUNTER_TOP + CUBE_HALF + 0.001))
    backend.reset(EpisodeInit({**rest, "cube_0": on_counter}, HOME, OPEN))
    for _ in range(20):
        backend.step(HOME, OPEN)
    manifest = skills_scene().manifest
    tasks = derive_tasks(
        manifest, backend.object_boxes(), backend.robot_base,
        free_objects=backend.free_objects(), max_tasks=64,
    )  # fmt: skip
    skill = {t.task_id: t for t in tasks}
    assert skill["cube_0-to-bowl_0"].skill == PLACE_IN
    assert skill["cube_0-to-bowl_0"].instruction == "put the red toy block in the white bowl"
    assert skill["cube_0-to-book_0"].skill == STACK
    assert "cube_0-to-can_0" not in skill  # a 6.6 cm can's top is too small a base
    down = next(t for t in tasks if t.task_id.startswith("cube_0-to-table_0-"))
    assert down.skill == PLACE_AT_HEIGHT and down.support_id == COUNTER_ID
    assert down.height_change == pytest.approx(TABLE_TOP - COUNTER_TOP, abs=0.01)
    assert down.instruction.startswith("move the red toy block down onto the ")
    assert skill["can_0-to-plate_0"].skill == PLACE_ON
    assert "can_0-to-bowl_0" not in skill


def test_a_scripted_attempt_of_each_skill_is_kept():
    """The whole rollout (plan, carry, release, settle) ends in a kept success for each skill:
    the box stacked on the book and put in the bowl, the can on the plate, the block from the
    counter down onto the table; the dataset's record re-judges the same."""
    scene = skills_scene()
    on_counter = (*COUNTER_CENTRE, COUNTER_TOP + CUBE_HALF)
    scene.spec.body("cube_0").pos = list(on_counter)
    cube = scene.manifest.object("cube_0")
    moved = cube.model_copy(update={"transform": Transform(position=on_counter)})
    objects = tuple(moved if o.id == "cube_0" else o for o in scene.manifest.objects)
    manifest = scene.manifest.model_copy(update={"objects": objects})
    scene = MujocoScene(spec=scene.spec, objects=scene.objects, manifest=manifest)
    session = EpisodeSession(MujocoBackend(scene), manifest, max_tasks=64)
    try:
        wanted = {
            "box_0-to-book_0": STACK,
            "box_0-to-bowl_0": PLACE_IN,
            "can_0-to-plate_0": PLACE_ON,
            "cube_0-to-table_0-left": PLACE_AT_HEIGHT,
        }
        slots = {t.task_id: i for i, t in enumerate(session.tasks) if t.task_id in wanted}
        assert slots.keys() == wanted.keys()
        for task_id, slot in slots.items():
            record = session.attempt(slot, 0, 0, render=False)
            assert record.verdict.success, (task_id, record.verdict)
            assert record.metadata["skill"] == wanted[task_id]
            assert rejudge(record.metadata["final_state"]) == record.verdict
    finally:
        session.close()


def test_a_target_goes_up_onto_another_piece_of_furniture():
    """Besides the work surface, the static counter 15 cm above the table is a goal surface:
    the box on the table is moved up onto a free square of it (place_at_height, the
    instruction names the counter), and the attempt is a kept success that re-judges."""
    scene = skills_scene()
    session = EpisodeSession(MujocoBackend(scene), scene.manifest, max_tasks=64)
    try:
        slot, task = next(
            (i, t) for i, t in enumerate(session.tasks) if t.task_id == "box_0-to-counter_0-left"
        )
        assert task.skill == PLACE_AT_HEIGHT and task.goal_id == COUNTER_ID
        assert task.instruction == "move the brown small box up onto the left side of the counter"
        assert task.region is not None and task.region.surface_z == pytest.approx(COUNTER_TOP)
        record = session.attempt(slot, 0, 0, render=False)
        assert record.verdict.success, record.verdict
        assert record.verdict.checks["level_change_m"] == pytest.approx(0.15, abs=0.01)
        assert rejudge(record.metadata["final_state"]) == record.verdict
    finally:
        session.close()
