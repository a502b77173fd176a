"""The replay certificate's command and the step validation's replay sample.

    python -m episode_generation_job.replay --dataset DIR [--episodes 0,3] [--scene-dir DIR]

re-simulates recorded episodes (all by default) from their `replay` records and the dataset's
`action` column on the MuJoCo backend (`replay_sim`), and prints per episode the largest error
of `observation.state`, of the recorded object poses and of every body's final qpos. Exit 0
when all are within `--tolerance` (1e-6), 1 when one is not, 2 when the dataset cannot be
replayed here (another scene.usda, another model, no record).

It lives in the episode job, not in `tools/`, because it needs the job's MuJoCo backend and
`tools/` may not import jobs; everything it reads comes through `tools.lerobot`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from episode_generation_job.replay_sim import TOLERANCE, Replayer, ReplayError, ReplayResult
from tools.lerobot import InvalidDatasetError

SAMPLE_SIZE = 3  # episodes the step's validation replays


def sample_indices(indices: Sequence[int], count: int) -> list[int]:
    """Up to `count` episode indices spread evenly over the dataset (first and last included)."""
    if count <= 0 or not indices:
        return []
    picks = np.linspace(0, len(indices) - 1, min(count, len(indices))).round().astype(int)
    return [indices[p] for p in sorted(set(picks.tolist()))]


def replay_episodes(
    dataset: Path, episodes: Sequence[int] | None = None, scene_dir: Path | None = None
) -> list[ReplayResult]:
    """Replay the given episodes (all by default) of a dataset.

    Raises:
        ReplayError: the dataset cannot be replayed here.
    """
    replayer = Replayer(dataset, scene_dir)
    try:
        chosen = replayer.episode_indices() if episodes is None else list(episodes)
        return [replayer.replay(i) for i in chosen]
    finally:
        replayer.close()


def replay_sample(dataset: Path, scene_dir: Path, count: int = SAMPLE_SIZE) -> dict[str, Any]:
    """The validation's replay check: replay up to `count` episodes spread over the dataset.

    Args:
        dataset: the published dataset.
        scene_dir: the scene it was recorded on.
        count: episodes to replay.

    Returns:
        A validation check: ok when every sampled episode is within `TOLERANCE`, with the
        largest errors, per-episode figures and problems (refusals included).
    """
    check: dict[str, Any] = {"name": "replay", "tolerance": TOLERANCE, "problems": []}
    try:
        replayer = Replayer(dataset, scene_dir)
    except ReplayError as exc:
        return {**check, "ok": False, "problems": [str(exc)]}
    results: list[ReplayResult] = []
    try:
        replayable = replayer.replayable_indices()
        if not replayable and replayer.episode_indices():
            return {**check, "ok": True, "skipped": "only open/close episodes (no replay record)"}
        for index in sample_indices(replayable, count):
            try:
                results.append(replayer.replay(index))
            except ReplayError as exc:
                check["problems"].append(str(exc))
    finally:
        replayer.close()
    for r in results:
        if r.worst > TOLERANCE:
            check["problems"].append(f"episode {r.episode_index} diverged by {r.worst:.3g}")
    return {
        **check,
        "ok": bool(results) and not check["problems"],
        "episodes": [vars(r) for r in results],
        "max_state_error": max((r.state_error for r in results), default=None),
        "max_pose_error": max(
            (max(r.pose_error, r.final_qpos_error) for r in results), default=None
        ),
    }


def _indices(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: comma-separated episode indices") from None


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m episode_generation_job.replay",
        description="Re-simulate recorded episodes and print their largest errors.",
    )
    parser.add_argument("--dataset", type=Path, required=True, help="LeRobot dataset folder")
    parser.add_argument("--episodes", type=_indices, help="e.g. 0,3 (default: all)")
    parser.add_argument("--scene-dir", type=Path, help="scene folder (default: ../.. of it)")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE, help="largest error allowed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: 0 when every episode is within tolerance, 1 when one is not, 2 when refused."""
    args = _parse(argv)
    try:
        results = replay_episodes(args.dataset, args.episodes, args.scene_dir)
    except (ReplayError, InvalidDatasetError) as exc:
        print(f"replay: error: {exc}", file=sys.stderr)
        return 2
    for r in results:
        verdict = "ok" if r.worst <= args.tolerance else "DIVERGED"
        print(
            f"episode {r.episode_index}: {r.frames} frames, max |observation.state| error "
            f"{r.state_error:.3g}, max object pose error {r.pose_error:.3g}, "
            f"max final qpos error {r.final_qpos_error:.3g}  {verdict}"
        )
    worst = max((r.worst for r in results), default=0.0)
    summary = f"{len(results)} episodes replayed, largest error {worst:.3g}"
    print(f"{summary} (tolerance {args.tolerance:g})")
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
