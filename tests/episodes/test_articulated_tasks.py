"""Open/close tasks derived from the manifest's articulation, and how they are judged."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests.articulated_scenes import NIGHTSTAND, build_articulated_scene
from tests.usd_assembly.conftest import build_scene
from tools.scene_manifest import SceneManifest, load_manifest
from tools.tasks.articulated import (
    CLOSE_START_FRACTION,
    RING_IN_FRONT_M,
    JointFrame,
    derive_articulated_tasks,
    judge_fraction,
    ring_candidates,
    skip_reason,
    station_candidates,
)
from tools.tasks.skills import (
    ARTICULATED_SKILLS,
    CLOSE_DRAWER,
    INSTRUCTION_TEMPLATES,
    OPEN_DRAWER,
    instruction_for,
)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> SceneManifest:
    """The articulated nightstand scene's manifest."""
    return load_manifest(build_articulated_scene(tmp_path_factory.mktemp("tasks") / "scene"))


def test_a_drawer_gets_an_open_and_a_close_task(manifest: SceneManifest) -> None:
    """One open_drawer (starts closed) and one close_drawer (starts open) per drawer joint."""
    tasks = derive_articulated_tasks(manifest)
    assert [t.skill for t in tasks] == [OPEN_DRAWER, CLOSE_DRAWER]
    opened, closed = tasks
    assert opened.object_id == closed.object_id == NIGHTSTAND
    assert opened.opens and not closed.opens
    assert (opened.start_fraction, closed.start_fraction) == (0.0, CLOSE_START_FRACTION)
    assert opened.instruction == "open the drawer of the nightstand"
    assert closed.task_id == f"{NIGHTSTAND}-{closed.joint_name}-close"


def test_the_joint_frame_is_in_world_coordinates(manifest: SceneManifest) -> None:
    """The nightstand faces world -X (yaw -90 deg): the drawer slides along -X, handle in front."""
    frame = derive_articulated_tasks(manifest)[0].frame
    np.testing.assert_allclose(frame.axis, (-1.0, 0.0, 0.0), atol=1e-6)
    np.testing.assert_allclose(frame.front, (-1.0, 0.0, 0.0), atol=1e-6)
    assert frame.handle[0] < 1.75 - 0.225  # in front of the carcass
    np.testing.assert_allclose(frame.handle_at(0.2) - frame.handle, (-0.2, 0.0, 0.0), atol=1e-9)


def test_every_skill_has_an_instruction_template() -> None:
    """The four articulated skills are registered with a template naming the object."""
    assert set(ARTICULATED_SKILLS) == set(INSTRUCTION_TEMPLATES)
    assert instruction_for("close_door", "fridge") == "close the door of the fridge"


@pytest.mark.parametrize(
    ("opens", "fraction", "released", "expected"),
    [
        (True, 0.6, True, (True, "ok")),
        (True, 0.59, True, (False, "not_open")),
        (False, 0.05, True, (True, "ok")),
        (False, 0.06, True, (False, "not_closed")),
        (True, 0.9, False, (False, "not_released")),
    ],
)
def test_judged_from_the_joint_and_the_release(
    opens: bool, fraction: float, released: bool, expected: tuple[bool, str]
) -> None:
    """Open: >= 60 % of the range; closed: <= 5 %; the hand must have let go."""
    assert judge_fraction(opens, fraction, released) == expected


def _frame(kind: str, upper: float, height: float = 0.5) -> JointFrame:
    front = np.array([0.0, -1.0, 0.0])
    axis = front if kind == "prismatic" else np.array([0.0, 0.0, -1.0])
    return JointFrame(kind, axis, np.array([-0.3, -0.3, 0.0]), np.array([0.2, -0.33, height]),
                      front, 0.0, upper)  # fmt: skip


def test_short_runners_low_swings_and_unreachable_handles_get_no_task() -> None:
    """A joint gets no task when 60 % of it is trivial or its handle is out of reach."""
    assert skip_reason(_frame("prismatic", 0.04)) is not None
    assert skip_reason(_frame("revolute", math.radians(30))) is not None
    assert skip_reason(_frame("revolute", math.radians(110), height=1.4)) is not None
    assert skip_reason(_frame("prismatic", 0.4)) is None


def test_a_door_turns_its_handle_about_the_hinge() -> None:
    """At 90 deg a left-hinged door's handle stands out of the front by its hinge distance."""
    frame = _frame("revolute", math.radians(110))
    radius = float(np.linalg.norm((frame.handle - frame.origin)[:2]))
    moved = frame.handle_at(math.pi / 2)
    assert float(np.linalg.norm((moved - frame.origin)[:2])) == pytest.approx(radius)
    assert moved[1] < frame.handle[1] - 0.4  # out into the room (-Y)


def test_stations_face_the_handle_from_the_room() -> None:
    """Every candidate base stands in front of the handle and faces it."""
    frame = _frame("prismatic", 0.4)
    for base in station_candidates(frame, 0.0, 0.0):
        assert base.position[1] < frame.handle[1] - 0.45  # standoffs 0.5 to 0.8 m
        assert base.position[2] == 0.0
        assert math.cos(base.yaw - math.pi / 2) > 0.99  # facing +Y, towards the front


def test_a_scene_without_articulated_objects_has_no_task(tmp_path: Path) -> None:
    """Static furniture only: nothing to open or close."""
    assert derive_articulated_tasks(load_manifest(build_scene(tmp_path / "plain"))) == []


def test_ring_stations_face_the_middle_of_the_handle_path() -> None:
    """A closed door's robot may stand anywhere round its handle's path, facing its middle."""
    frame = _frame("revolute", math.radians(110))
    middle = frame.handle_at(math.radians(40))
    poses = ring_candidates(frame, math.radians(80), 0.0)
    assert 0 < len(poses) < 36  # only those in front of the open door's outer face
    normal = frame.motion(math.radians(80)) @ frame.front
    for base in poses:
        ahead = np.asarray(base.position[:2]) - frame.handle_at(math.radians(80))[:2]
        assert float(ahead @ normal[:2]) >= RING_IN_FRONT_M
        dx, dy = middle[0] - base.position[0], middle[1] - base.position[1]
        assert math.hypot(dx, dy) in (pytest.approx(0.5), pytest.approx(0.65), pytest.approx(0.8))
        assert math.cos(base.yaw - math.atan2(dy, dx)) > 0.999
