"""Episode seeds and the job's own jitter: objects on supports (mode none), the robot's home."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from episode_generation_job.backends.base import EpisodeInit
from tools.sim.robots.base import SimRobot
from tools.sim.robots.franka import constants as franka
from tools.sim.robots.franka.robot import FRANKA_ROBOT
from tools.tasks.geometry import ObjectBox, Pose, rectangles_overlap, yaw_quat


@dataclass(frozen=True)
class Jitter:
    """Ranges of the randomization (uniform, symmetric)."""

    object_xy: float = 0.02  # metres
    object_yaw: float = 0.25  # radians
    home_joint: float = franka.HOME_JITTER_RAD
    gap: float = 0.015  # kept between footprints
    tries: int = 12


def episode_seed(base_seed: int, episode_index: int, attempt: int) -> int:
    """A stable 63-bit seed for one attempt of one episode slot (independent of sharding)."""
    sequence = np.random.SeedSequence([base_seed, episode_index, attempt])
    return int(sequence.generate_state(2, dtype=np.uint32).astype(np.uint64) @ [1 << 31, 1])


def _overlaps(box: ObjectBox, others: Sequence[ObjectBox], gap: float) -> bool:
    grown = (box.half_extents[0] + gap, box.half_extents[1] + gap)
    return any(
        rectangles_overlap(box.centre, grown, box.yaw, o.centre, o.half_extents, o.yaw)
        for o in others
    )


def sample_init(
    rng: np.random.Generator,
    rest_poses: Mapping[str, Pose],
    boxes: Mapping[str, ObjectBox],
    supports: Mapping[str, str | None],
    jitter: Jitter = Jitter(),
    *,
    robot: SimRobot = FRANKA_ROBOT,
) -> EpisodeInit:
    """Jitter every free object on its support (keeping clear of the others) and the home pose.

    A candidate pose is kept only if the footprint stays on its support, comes no closer than
    `gap` to objects it was clear of, and does not move towards those it was already near;
    otherwise the object keeps its rest pose.

    Args:
        rng: the episode's generator.
        rest_poses: free object id -> pose at rest.
        boxes: measured boxes at rest (free objects and supports).
        supports: free object id -> the id of the object it stands on.
        jitter: ranges.
        robot: whose home pose, gripper open.

    Returns:
        The initial conditions.
    """
    poses: dict[str, Pose] = {}
    placed: dict[str, ObjectBox] = {k: v for k, v in boxes.items() if k not in rest_poses}
    for object_id in sorted(rest_poses):
        rest = rest_poses[object_id]
        box = boxes[object_id]
        support = boxes.get(supports.get(object_id) or "")
        others = [b for k, b in placed.items() if k != supports.get(object_id)]
        clear = [b for b in others if not _overlaps(box, [b], jitter.gap)]
        close = [b for b in others if _overlaps(box, [b], jitter.gap)]
        chosen = rest
        for _ in range(jitter.tries):
            dx, dy = rng.uniform(-jitter.object_xy, jitter.object_xy, size=2)
            dyaw = float(rng.uniform(-jitter.object_yaw, jitter.object_yaw))
            candidate = Pose.of(
                (rest.position[0] + dx, rest.position[1] + dy, rest.position[2] + 0.001),
                _turn(rest.quat_wxyz, dyaw),
            )
            moved = box.moved_to(candidate, rest)
            on_support = support is None or support.contains_xy(
                moved.centre, margin=min(moved.half_extents[:2]) + 0.005
            )
            closer = any(
                math.dist(moved.centre[:2], b.centre[:2]) < math.dist(box.centre[:2], b.centre[:2])
                for b in close
            )  # already close neighbours: never move towards them
            if on_support and not closer and not _overlaps(moved, clear, jitter.gap):
                chosen = candidate
                break
        poses[object_id] = chosen
        placed[object_id] = box.moved_to(chosen, rest)
    return EpisodeInit(poses, home_pose(rng, jitter, robot=robot), robot.open_width)


def home_pose(
    rng: np.random.Generator, jitter: Jitter = Jitter(), *, robot: SimRobot = FRANKA_ROBOT
) -> tuple[float, ...]:
    """The arm's home joint positions, each jittered uniformly by up to `jitter.home_joint`.

    Args:
        rng: the generator (draws one value per joint).
        jitter: ranges.
        robot: whose home pose.

    Returns:
        One position per arm joint, radians.
    """
    home = np.asarray(robot.home_qpos) + rng.uniform(
        -jitter.home_joint, jitter.home_joint, size=len(robot.home_qpos)
    )
    return tuple(float(q) for q in home)


def _turn(quat_wxyz: Sequence[float], yaw: float) -> tuple[float, float, float, float]:
    """Rotate an orientation by `yaw` about world z (left-multiplied)."""
    w1, x1, y1, z1 = yaw_quat(yaw)
    w2, x2, y2, z2 = quat_wxyz
    return (
        w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
        w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
        w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
        w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
    )
