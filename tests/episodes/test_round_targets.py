"""Round targets (an orange) have no base: their tilt is not judged; everything else is."""

import math

import pytest

from episode_generation_job.final_state import encode, observation_record, rejudge
from episode_generation_job.success import EpisodeObservation, MotionWindow, judge
from tools.tasks.geometry import ObjectBox, Pose
from tools.tasks.round_objects import rolls
from tools.tasks.task_specifier import GoalRegion

REGION = GoalRegion((0.5, 0.0), (0.06, 0.06), 0.0, 0.80, "on", None)
REST = MotionWindow((0.0,) * 15, (0.0,) * 15)
TURNED = (math.cos(math.radians(11)), math.sin(math.radians(11)), 0.0, 0.0)  # 22 degrees


def _observation(rolls_: bool, end_z: float = 0.84, moving: bool = False) -> EpisodeObservation:
    start = {"orange": Pose((0.3, 0.0, 0.79)), "box": Pose((0.5, 0.0, 0.76))}
    end = {"orange": Pose((0.5, 0.0, end_z), TURNED), "box": Pose((0.5, 0.0, 0.76))}
    motion = MotionWindow((0.05,) * 15, (0.0,) * 15) if moving else REST
    return EpisodeObservation(
        start, end, 0.2, 0.04, 0.0, False, REGION, True, motion, REST, {"box": 1.4}, (),
        target_rolls=rolls_,
    )  # fmt: skip


def test_a_round_target_turned_on_its_goal_is_a_success_a_mug_is_not():
    """The same 22-degree turn: a round orange at rest on the box succeeds, anything with a
    base is `not_upright`."""
    assert judge("orange", "box", _observation(True)).success
    assert judge("orange", "box", _observation(False)).reason == "not_upright"


def test_a_round_target_is_still_judged_on_every_other_rule():
    """Rolling still moving, or off the goal surface, fails as before."""
    assert judge("orange", "box", _observation(True, moving=True)).reason == "not_at_rest"
    assert judge("orange", "box", _observation(True, end_z=0.90)).reason == "not_resting_on_goal"


def test_the_record_keeps_the_flag_and_old_records_judge_every_tilt():
    """The dataset's final_state carries it (re-judging gives the step's verdict); a record
    written before the flag existed re-judges as before."""
    record = observation_record("orange", "box", _observation(True))
    assert rejudge(encode(record)).success
    del record["target_rolls"]
    assert rejudge(encode(record)).reason == "not_upright"


@pytest.mark.parametrize(
    ("category", "half", "expected"),
    [
        ("orange", (0.039, 0.036, 0.037), True),
        ("Apple", (0.04, 0.04, 0.036), True),
        ("tennis ball", (0.033, 0.033, 0.033), True),
        ("orange", (0.06, 0.03, 0.03), False),  # a squashed or cut one keeps the rule
        ("box", (0.04, 0.04, 0.04), False),  # a cube has faces to stand on
        ("mug", (0.045, 0.04, 0.05), False),
    ],
)
def test_round_means_a_round_category_and_a_near_cubic_box(category, half, expected):
    box = ObjectBox("x", (0.0, 0.0, 0.0), half, 0.0)
    assert rolls(box, category) is expected


def test_the_label_counts_where_the_category_is_generic():
    """Ingest may say category "fruit", label "orange"."""
    box = ObjectBox("x", (0.0, 0.0, 0.0), (0.038, 0.035, 0.036), 0.0)
    assert rolls(box, "fruit", "orange") and rolls(box, "produce", "orange")
    assert not rolls(box, "container", "jar")
