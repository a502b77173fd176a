"""Video files through PyAV: encode one episode, concatenate files by packet copy, probe frames."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from av.container import InputContainer, OutputContainer
from av.video.stream import VideoStream

from tools.lerobot.format import SVTAV1_PRESET, VIDEO_CODECS, VIDEO_CRF, VIDEO_GOP, VIDEO_PIX_FMT

_MUXER_OPTIONS = {"movflags": "faststart"}  # index first: readers can stream the file


def encoder_options(codec: str) -> dict[str, str]:
    """FFmpeg options for `codec` (a key of VIDEO_CODECS): short GOP, constant quality."""
    options = {"g": str(VIDEO_GOP), "crf": str(VIDEO_CRF)}
    if codec == "libsvtav1":
        options["preset"] = str(SVTAV1_PRESET)
    elif codec == "h264":
        # The encoder's default B-frame setting, as lerobot's: with g=2 no frame is a B-frame,
        # but every dts runs one frame behind its pts. Files without that delay cannot be
        # packet-copied in front of lerobot's ("non monotonically increasing dts").
        # Same input bytes, one thread, and still ~1 encode in 30 differed (a frame's QP moved
        # by one or two) after the process had decoded other videos; x264's SIMD macroblock
        # tree is the part that varies (mbtree=0 or asm=0 also fix it). cpu-independent swaps
        # in its C version: reruns are byte-identical.
        # One thread: libavcodec otherwise cuts each frame into sliced threads, which at 128² to
        # 256² costs ~40 % more CPU and ~25 % more bytes for no wall time on a busy worker.
        options["x264-params"] = "cpu-independent=1:threads=1"
    return options


class EpisodeVideoEncoder:
    """Owns one mp4 being encoded (one camera of one episode) until `close()`."""

    def __init__(self, path: Path, codec: str, fps: int) -> None:
        if codec not in VIDEO_CODECS:
            raise ValueError(f"codec {codec!r} is not one of {sorted(VIDEO_CODECS)}")
        self.path = path
        self._codec = codec
        self._fps = fps
        self._container: OutputContainer | None = None
        self._stream: VideoStream | None = None
        self.frames = 0

    def write(self, frame: npt.NDArray[np.uint8]) -> None:
        """Encode one (H, W, 3) uint8 RGB frame; the first frame fixes the size."""
        if self._stream is None:
            if self._codec == "libsvtav1":
                # SVT-AV1 prints ~20 banner lines to stderr per encoder (one per camera and
                # episode here), each a log entry on Cloud Run; keep errors unless overridden.
                os.environ.setdefault("SVT_LOG", "1")
            self._container = av.open(str(self.path), "w")
            stream = self._container.add_stream(
                self._codec, rate=self._fps, options=encoder_options(self._codec)
            )
            assert isinstance(stream, VideoStream)
            stream.height, stream.width = int(frame.shape[0]), int(frame.shape[1])
            stream.pix_fmt = VIDEO_PIX_FMT
            self._stream = stream
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        video_frame.pts = self.frames
        self._mux(self._stream.encode(video_frame))
        self.frames += 1

    def close(self) -> None:
        """Flush the encoder and close the file (safe to call twice)."""
        if self._stream is not None:
            self._mux(self._stream.encode(None))
            self._stream = None
        if self._container is not None:
            self._container.close()
            self._container = None

    def discard(self) -> None:
        """Close without caring about errors and delete the file."""
        with contextlib.suppress(Exception):
            self.close()
        self.path.unlink(missing_ok=True)

    def _mux(self, packets: Any) -> None:
        assert self._container is not None
        for packet in packets:
            self._container.mux(packet)


class ConcatenatingMuxer:
    """Owns one dataset mp4 and appends whole mp4 files to it by packet copy until `close()`.

    Episodes are encoded into their own small mp4 first (a failed episode is simply dropped),
    then appended here with their pts shifted by the frames already in the file. All files are
    encoded with the same settings, so the result decodes as one stream and frame k of an
    episode sits exactly at `from_timestamp + k / fps`.
    """

    def __init__(self, path: Path, fps: int) -> None:
        self.path = path
        self._fps = fps
        self._container: OutputContainer | None = None
        self._stream: VideoStream | None = None
        self.frames = 0
        self.nbytes = 0

    def append(self, source: Path, expected_frames: int, first_frame: int | None = None) -> int:
        """Append frames of `source`; return the frame index where they start here.

        Args:
            source: an mp4 written with the same settings.
            expected_frames: how many frames to copy.
            first_frame: copy frames [first_frame, first_frame + expected_frames) of a file
                concatenated from separately encoded episodes (each begins with a keyframe,
                so its packets stand alone); None copies the whole file, which must hold
                exactly `expected_frames`.

        Raises:
            ValueError: if `source` does not hold those frames, or its time base cannot
                express 1/fps exactly.
        """
        start = self.frames
        with av.open(str(source)) as src:
            assert isinstance(src, InputContainer)
            src_stream = src.streams.video[0]
            needed = expected_frames + (first_frame or 0)
            holds = src_stream.frames
            if holds < needed or (first_frame is None and holds != expected_frames):
                raise ValueError(f"{source}: {holds} frames, {needed} expected")
            if src_stream.time_base is None:
                raise ValueError(f"{source}: video stream has no time base")
            ticks = Fraction(1, self._fps) / src_stream.time_base
            if ticks.denominator != 1:
                raise ValueError(f"{source}: time base {src_stream.time_base} cannot hold 1/fps")
            if self._stream is None:
                self._container = av.open(str(self.path), "w", options=_MUXER_OPTIONS)
                self._stream = self._container.add_stream_from_template(src_stream, opaque=True)
                self._stream.time_base = src_stream.time_base
                # The template's bit rate is its own file's; the mp4 header would keep it as
                # the maximum (btrt box), so the bytes would depend on which file came first.
                self._stream.codec_context.bit_rate = 0
            assert self._container is not None
            origin = (src_stream.start_time or 0) + (first_frame or 0) * int(ticks)
            end = origin + expected_frames * int(ticks)
            shift = start * int(ticks) - origin + (src_stream.start_time or 0)
            copied = 0
            for packet in src.demux(src_stream):
                if packet.dts is None or packet.pts is None:  # demuxer flush packet
                    continue
                if packet.dts >= end:  # dts <= pts: every later packet lies past the range
                    break
                if not origin <= packet.pts < end:  # dts runs behind pts (B-frame delay)
                    continue
                packet.pts += shift
                packet.dts += shift
                packet.stream = self._stream
                self.nbytes += packet.size
                self._container.mux(packet)
                copied += 1
        if copied != expected_frames:
            raise ValueError(f"{source}: copied {copied} packets, {expected_frames} expected")
        self.frames += copied
        return start

    def close(self) -> None:
        """Write the index and close the file (safe to call twice)."""
        if self._container is not None:
            self._container.close()
            self._container = None
            self._stream = None


@dataclass(frozen=True)
class VideoProbe:
    """What a decoder sees in an mp4: stream properties and each frame's time in seconds."""

    codec: str
    pix_fmt: str | None
    width: int
    height: int
    frame_times: list[float]


def probe_video(path: Path, *, decode: bool = True) -> VideoProbe:
    """Report the first video stream's properties and every frame's presentation time.

    Args:
        path: the mp4 file.
        decode: decode every frame (catches corrupt streams); False reads packet times only,
            which is much faster and still checks counts and timestamps.

    Raises:
        av.error.FFmpegError: if the file cannot be opened or decoded.
        ValueError: if the file has no video stream.
    """
    with av.open(str(path)) as container:
        assert isinstance(container, InputContainer)
        if not container.streams.video:
            raise ValueError(f"{path}: no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if decode:
            times = [float(f.time) for f in container.decode(stream) if f.time is not None]
        else:
            times = sorted(
                float(p.pts * p.time_base)
                for p in container.demux(stream)
                if p.pts is not None and p.time_base is not None
            )
        return VideoProbe(
            codec=stream.codec_context.codec.canonical_name,
            pix_fmt=stream.codec_context.pix_fmt,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            frame_times=times,
        )
