"""Same frames, same mp4 bytes: H.264 encodes do not depend on what the process did before."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import av
import numpy as np

from tools.lerobot.video import EpisodeVideoEncoder

HEIGHT, WIDTH, FRAMES = 48, 64, 12
# Without x264's cpu-independent mode about 1 encode in 30 came out different here, so 80
# encodes miss the fault with a probability of a few percent; each takes ~0.05 s.
ENCODES = 80


def _frames() -> list[np.ndarray]:
    """A moving colour ramp (what Genie Sim's mock cameras record)."""
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    frames = []
    for i in range(FRAMES):
        image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        image[..., 0] = (xx + 4 * i) % WIDTH * 255 // WIDTH
        image[..., 1] = yy * 255 // HEIGHT
        frames.append(image)
    return frames


def _source_video(path: Path, frames: list[np.ndarray]) -> Path:
    """An H.264 file with the encoder's defaults, to decode between encoded frames."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _decode(path: Path) -> None:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frame.to_ndarray(format="rgb24")


def test_h264_encodes_are_byte_identical_while_other_videos_are_decoded(tmp_path: Path) -> None:
    """The import decodes a source video while encoding its frames: that must not leak in.

    x264's SIMD macroblock-tree code made the rate control of such encodes vary (a frame's QP
    moved by one or two) although every input byte was the same; the writer now asks x264 for
    its cpu-independent code path.
    """
    frames = _frames()
    source = _source_video(tmp_path / "source.mp4", frames)
    digests: Counter[str] = Counter()
    for _ in range(ENCODES):
        encoder = EpisodeVideoEncoder(tmp_path / "episode.mp4", "h264", 30)
        for frame in frames:
            _decode(source)
            encoder.write(frame)
        encoder.close()
        digests[hashlib.sha256(encoder.path.read_bytes()).hexdigest()] += 1
    assert len(digests) == 1, f"{ENCODES} encodes of the same frames gave {dict(digests)}"
