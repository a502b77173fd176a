"""Images for the page: downscaled and inlined as data URIs, and thumbnails from a video."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import av
from PIL import Image

IMAGE_MAX_SIDE_PX = 640
THUMBNAIL_MAX_SIDE_PX = 256
_JPEG_QUALITY = 82


@dataclass(frozen=True)
class InlineImage:
    """An image ready for `<img src=...>`, with its size in pixels."""

    src: str
    width: int
    height: int


def inline_image(image: Image.Image, max_side: int = IMAGE_MAX_SIDE_PX) -> InlineImage:
    """The image as a JPEG data URI, no larger than `max_side` on its long side."""
    picture = image.convert("RGB")
    picture.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return InlineImage(f"data:image/jpeg;base64,{encoded}", picture.width, picture.height)


def inline_image_file(raw: bytes | None, max_side: int = IMAGE_MAX_SIDE_PX) -> InlineImage | None:
    """An image file's bytes inlined, or None when absent or not a readable image."""
    if not raw:
        return None
    try:
        with Image.open(io.BytesIO(raw)) as image:
            return inline_image(image, max_side)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _rgb(frame: av.VideoFrame) -> Image.Image:
    return Image.fromarray(frame.to_ndarray(format="rgb24"))


def video_thumbnails(raw: bytes | None, count: int = 4) -> list[tuple[float, InlineImage]]:
    """`count` frames spread evenly over a video, with their times in seconds.

    Returns an empty list when the video is absent or cannot be decoded.
    """
    if not raw or count <= 0:
        return []
    try:
        with av.open(io.BytesIO(raw), mode="r") as container:
            frames = list(container.decode(video=0))
            step = len(frames) / count
            picks = sorted({min(len(frames) - 1, int(step * (i + 0.5))) for i in range(count)})
            return [
                (
                    float(frames[i].time or 0.0),
                    inline_image(_rgb(frames[i]), THUMBNAIL_MAX_SIDE_PX),
                )
                for i in picks
                if frames
            ]
    except (av.error.FFmpegError, OSError, ValueError):
        return []
