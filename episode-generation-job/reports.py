"""Step reports: `reports/episodes_summary.json` and a preview video of the first episodes."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

from episode_generation_job.dataset import FPS
from episode_generation_job.episode_layout import PREVIEW_PATH, SUMMARY_PATH
from episode_generation_job.randomization_record import VALUES_COLUMN
from tools.data_source import caption_if_mock
from tools.lerobot import open_dataset


def summarize(shards: Sequence[dict[str, Any]], extra: dict[str, Any]) -> dict[str, Any]:
    """Combine shard summaries into the step summary.

    Args:
        shards: each shard's `summary.json`.
        extra: fields to add (backend, cameras, workers, dataset episodes).

    Returns:
        Totals, the success rate over attempts, failure reasons and throughput.
    """
    # Failed attempts by key: a slot retried by another worker after a kill (claimed slots)
    # repeats the same attempt keys, which count once.
    by_key: dict[str, str] = {}
    disturbed: dict[str, list[dict[str, Any]]] = {}
    for shard in shards:
        by_key.update(shard["failed_attempts"])
        disturbed.update(shard.get("disturbed", {}))  # absent in summaries of older runs
    failures = Counter(by_key.values())
    attempts = sum(int(s["attempts"]) for s in shards)
    new_successes = sum(int(s["succeeded"]) - int(s["resumed"]) for s in shards)
    attempt_seconds = sum(float(s["attempt_seconds"]) for s in shards)
    wall = max((float(s["wall_seconds"]) for s in shards), default=0.0)
    succeeded = sum(int(s["succeeded"]) for s in shards)
    failed = sum(failures.values())
    return {
        "episodes_succeeded": succeeded,
        "attempts_this_run": attempts,
        "failed_attempts": failed,
        "success_rate": round(succeeded / (succeeded + failed), 4) if succeeded + failed else 1.0,
        "failure_reasons": dict(sorted(failures.items())),
        # Which objects failed attempts disturbed, per attempt and how often each one.
        "disturbed_objects": dict(sorted(disturbed.items())),
        "disturbed_object_counts": dict(
            sorted(Counter(d["object_id"] for v in disturbed.values() for d in v).items())
        ),
        "given_up": sorted(k for s in shards for k in s.get("given_up", [])),
        "frames": sum(int(s["frames"]) for s in shards),
        "physics_steps": sum(int(s["physics_steps"]) for s in shards),
        "attempt_seconds": round(attempt_seconds, 3),
        "wall_seconds": round(wall, 3),
        "episodes_per_hour": round(3600 * new_successes / wall, 1) if wall > 0 else None,
        "shards": list(shards),
        **extra,
    }


def randomization_ranges(dataset: Path) -> dict[str, dict[str, float]]:
    """The range of every recorded randomization value over a dataset's episodes.

    Args:
        dataset: the merged dataset.

    Returns:
        Value name -> {"min", "max"} (values no episode recorded are left out).
    """
    contents = open_dataset(dataset)
    prefix = f"{VALUES_COLUMN}/"
    seen: dict[str, list[float]] = {}
    for row in contents.episodes:
        for key, value in contents.extra_metadata(row).items():
            if key.startswith(prefix) and isinstance(value, int | float):
                seen.setdefault(key[len(prefix) :], []).append(float(value))
    return {
        name: {"min": round(min(v), 6), "max": round(max(v), 6)} for name, v in sorted(seen.items())
    }


def write_summary(scene_dir: Path, summary: dict[str, Any]) -> Path:
    """Write the summary JSON (sorted keys)."""
    path = scene_dir / SUMMARY_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n")
    return path


def _decode(path: Path, start: float, stop: float) -> list[NDArray[np.uint8]]:
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.pts is None or frame.time_base is None:
                continue
            t = float(frame.pts * frame.time_base)
            if start - 1e-4 <= t < stop - 1e-4:
                frames.append(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8))
    return frames


def write_preview(scene_dir: Path, dataset: Path, episodes: int) -> Path | None:
    """Side-by-side camera views of the first episodes, as one H.264 mp4.

    Args:
        scene_dir: the scene folder.
        dataset: the merged dataset.
        episodes: how many episodes to show.

    Returns:
        The preview path, or None when the dataset has no cameras or `episodes` is 0.
        Frames of a mock-fixture dataset carry a caption saying so.
    """
    contents = open_dataset(dataset)
    data_source = contents.info.provenance.data_source
    keys = contents.info.video_keys
    if not keys or episodes <= 0:
        return None
    clips: list[NDArray[np.uint8]] = []
    for row in contents.episodes[:episodes]:
        views = []
        for key in keys:
            chunk, file = row[f"videos/{key}/chunk_index"], row[f"videos/{key}/file_index"]
            path = dataset / contents.info.video_path.format(  # type: ignore[union-attr]
                video_key=key, chunk_index=chunk, file_index=file
            )
            views.append(
                _decode(
                    path, row[f"videos/{key}/from_timestamp"], row[f"videos/{key}/to_timestamp"]
                )
            )
        length = min(len(v) for v in views)
        clips.extend(
            caption_if_mock(np.hstack([v[i] for v in views]), data_source) for i in range(length)
        )
    out = scene_dir / PREVIEW_PATH
    out.parent.mkdir(parents=True, exist_ok=True)
    height, width = clips[0].shape[:2]
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(FPS))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        # x264's cpu-independent mode, as the dataset writer's (tools/lerobot/video.py): without
        # it about 1 encode in 30 varies: a Cloud Run preview differed from a local run's.
        stream.options = {"x264-params": "cpu-independent=1"}
        for image in clips:
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out
