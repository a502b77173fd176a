"""Reading Genie Sim's episode videos with PyAV: frame counts and RGB frames."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray


def count_frames(path: Path) -> int:
    """Frames of the first video stream, by decoding (containers' counts are unreliable).

    Raises:
        ValueError: the file has no video stream or cannot be decoded.
    """
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ValueError("no video stream")
            return sum(1 for _ in container.decode(video=0))
    except av.FFmpegError as exc:
        raise ValueError(f"undecodable video ({type(exc).__name__})") from exc


def video_size(path: Path) -> tuple[int, int]:
    """(height, width) of the first video stream."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return int(stream.height), int(stream.width)


def rgb_frames(path: Path) -> Iterator[NDArray[np.uint8]]:
    """The video's frames as (H, W, 3) uint8 RGB arrays, streamed."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
