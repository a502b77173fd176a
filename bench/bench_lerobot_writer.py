"""Benchmark: LeRobot writer encoding rate (libsvtav1 vs h264) and merge by re-mux vs re-encode.

Usage: .venv/bin/python bench/bench_lerobot_writer.py [--episodes 8] [--length 120] [--size 128]

Prints camera frames per second for writing N episodes of two cameras, the output size, and
for merging two shards: the re-mux rates `merge_datasets` uses (whole files in source order, or
episode by episode in `order_by` order, as the episode job merges) against decoding and encoding
the same frames again.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import numpy as np

from tools.lerobot import LeRobotDatasetWriter, Provenance, merge_datasets, validate_dataset
from tools.lerobot.video import EpisodeVideoEncoder

CAMERAS = ["observation.images.front", "observation.images.wrist"]
FEATURES: dict[str, dict[str, Any]] = {
    "observation.state": {"dtype": "float32", "shape": [9]},
    "action": {"dtype": "float32", "shape": [8]},
}
PROVENANCE = Provenance(source="bench", backend="synthetic", seed=0)


def _frames(length: int, size: int, phase: int) -> np.ndarray:
    """A moving box over a gradient: compressible like a rendered scene, not like noise."""
    y, x = np.mgrid[0:size, 0:size]
    base = np.stack([x * 255 // size, y * 255 // size, np.full_like(x, 90)], axis=-1)
    video = np.repeat(base[None].astype(np.uint8), length, axis=0)
    for t in range(length):
        top = (t * 2 + phase) % (size - 24)
        video[t, top : top + 24, top : top + 24] = (230, 40, 40)
    return video


def _write(root: Path, codec: str, episodes: int, length: int, size: int, first: int = 0) -> float:
    rng = np.random.default_rng(0)
    elapsed = 0.0
    with LeRobotDatasetWriter(
        root, 30, "franka_panda", FEATURES, CAMERAS, PROVENANCE, codec=codec
    ) as writer:
        for number in range(first, first + episodes):
            frames = {
                name: rng.normal(size=(length, spec["shape"][0])) for name, spec in FEATURES.items()
            }
            images = {cam: _frames(length, size, number * 7 + i) for i, cam in enumerate(CAMERAS)}
            start = time.perf_counter()
            writer.add_episode("pick up the cube", frames, images, {"episode_key": f"e{number}"})
            elapsed += time.perf_counter() - start
    return elapsed


def _reencode_rate(video: Path, codec: str) -> float:
    """Camera frames/s for decoding a file and encoding it again (the alternative to re-mux)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, av.open(str(video)) as container:
        encoder = EpisodeVideoEncoder(Path(tmp) / "again.mp4", codec, 30)
        for frame in container.decode(video=0):
            encoder.write(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8))
        encoder.close()
        frames = encoder.frames
    return frames / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=8)
    parser.add_argument("--length", type=int, default=120)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    camera_frames = args.episodes * args.length * len(CAMERAS)
    print(
        f"{args.episodes} episodes x {args.length} frames x {len(CAMERAS)} cameras at {args.size}^2"
    )
    for codec in ("libsvtav1", "h264"):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "ds"
            seconds = _write(root, codec, args.episodes, args.length, args.size)
            megabytes = sum(p.stat().st_size for p in (root / "videos").rglob("*.mp4")) / 2**20
            print(
                f"{codec:>10}: write {camera_frames / seconds:7.0f} camera frames/s "
                f"({args.episodes * args.length / seconds:6.0f} steps/s), videos {megabytes:.2f} MB"
            )
            half = args.episodes // 2
            shards = [Path(tmp) / "s0", Path(tmp) / "s1"]
            _write(shards[0], codec, half, args.length, args.size)
            _write(shards[1], codec, args.episodes - half, args.length, args.size, first=half)
            start = time.perf_counter()
            merge_datasets(shards, Path(tmp) / "merged")
            merge_seconds = time.perf_counter() - start
            assert validate_dataset(Path(tmp) / "merged") == []
            start = time.perf_counter()
            merge_datasets(shards, Path(tmp) / "by_key", order_by="episode_key")
            by_key_seconds = time.perf_counter() - start
            assert validate_dataset(Path(tmp) / "by_key") == []
            video = Path(tmp) / f"merged/videos/{CAMERAS[0]}/chunk-000/file-000.mp4"
            print(
                f"{'':>10}  merge by re-mux {camera_frames / merge_seconds:7.0f} camera frames/s"
                f" (file by file), {camera_frames / by_key_seconds:7.0f} (episode by episode, in"
                f" key order); re-encoding runs at {_reencode_rate(video, codec):6.0f} frames/s"
            )


if __name__ == "__main__":
    main()
