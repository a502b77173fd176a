"""Whether a task's randomized layouts are feasible often enough to spend attempts on it.

The bundle scatters the scene's objects on every attempt; on a crowded work surface some
tasks almost never keep a free goal square or a clear approach to their target (warehouse
122: two 40 cm bins scattered next to a bottle held from the side, 0 of 24 layouts
feasible). Every attempt of such a task ends in "no_feasible_layout". A few fixed-seed probe
attempts with fewer draws, run once when the session opens, find them: same seeds, same
verdict in every shard and on resume.
"""

from __future__ import annotations

from episode_generation_job.backends.base import SimBackend
from episode_generation_job.domain_randomization import EpisodeRandomizer, RestState
from episode_generation_job.randomization import episode_seed
from tools.sim.robots.kinematics import ArmKinematics
from tools.tasks.task_specifier import PickPlaceTask

PROBE_SEED = 0x1A_0B  # the probes' own seed stream, apart from any SEED's attempts
PROBES, NEEDED = 3, 2  # probe attempts per task, and how many must find a layout
PROBE_DRAWS = 8  # layouts per probe. A task passing 1 draw in 4 is kept 97 % of the time,
# 1 in 8 (an attempt's 24 draws then fail 4 % of the time) 73 %, 1 in 25 (they fail 38 %) 19 %


def keeps_layouts(
    randomizer: EpisodeRandomizer,
    backend: SimBackend,
    kinematics: ArmKinematics,
    task: PickPlaceTask,
    rest: RestState,
    index: int,
) -> bool:
    """Whether `NEEDED` of `PROBES` probe attempts of a task find a feasible layout within
    `PROBE_DRAWS` draws.

    Always true without a bundle (the job's own jitter keeps the layout at rest).

    Args:
        randomizer: the session's randomizer.
        backend: the loaded scene (randomized by the probes; attempts reset it).
        kinematics: the arm at the base pose.
        task: the task.
        rest: the scene at rest.
        index: the task's position in the session's list (its probes' seeds).
    """
    if randomizer.bundle is None:
        return True
    probe = EpisodeRandomizer(randomizer.bundle, randomizer.manifest, max_draws=PROBE_DRAWS)
    found = 0
    for k in range(PROBES):
        seed = episode_seed(PROBE_SEED, index, k)
        conditions = probe.conditions(backend, kinematics, task, rest, seed, render=False)
        found += not isinstance(conditions, str)
        if found >= NEEDED or found + PROBES - 1 - k < NEEDED:
            break
    return found >= NEEDED
