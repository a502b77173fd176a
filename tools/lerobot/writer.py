"""Write a LeRobot v3.0 dataset from arrays and frame streams; published atomically on finalize.

Durability and sharding. A writer assembles its dataset in `.<root>.staging` next to `root`
and publishes it with a rename once meta/info.json is written, so a killed process never leaves
a tree that looks complete (the next writer for that root cleans up). The unit of durability is
thus a published dataset. The episode job gives every shard (process or Cloud Run task) its own
directory and publishes a small *part* dataset every K episodes (`shard-0003/part-000012/`),
putting each episode's identity in `extra_episode_metadata` (e.g. `episode_key`). On restart
after SIGKILL it lists `published_datasets(shard_dir)`, reads the keys from
`open_dataset(part).episodes`, skips those and regenerates the rest: published episodes are
never lost, unpublished ones never counted twice. `merge_datasets(parts, out_root)` then builds
the final dataset (see `tools.lerobot.merge`).

Appending: `append=True` reopens a published dataset. Its data and video files are hard-linked
into staging, new episodes go to new files, meta/ is rewritten, and the tree is republished.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from tools.lerobot.builder import DatasetBuilder, Limits
from tools.lerobot.errors import FeatureError
from tools.lerobot.format import (
    DEFAULT_CHUNKS_SIZE,
    DEFAULT_DATA_FILES_SIZE_IN_MB,
    DEFAULT_FEATURES,
    DEFAULT_VIDEO_FILES_SIZE_IN_MB,
    VIDEO_CODECS,
    DatasetInfo,
    FeatureSpec,
    Provenance,
    VideoInfo,
)
from tools.lerobot.inputs import (
    check_first_frame,
    check_frames,
    parse_features,
    parse_provenance,
    parse_video_keys,
)
from tools.lerobot.reader import DatasetContents, open_dataset
from tools.lerobot.staging import is_complete, recover
from tools.lerobot.stats import FeatureStats, ImageStatsAccumulator
from tools.lerobot.video import EpisodeVideoEncoder
from tools.structured_logging import get_logger, log_fields
from tools.tracing import span

log = get_logger(__name__)
FrameSource = npt.NDArray[np.uint8] | Iterable[npt.NDArray[np.uint8]]


class LeRobotDatasetWriter:
    """Owns one dataset being written: its staging tree, open files and per-episode encoders.

    Use as a context manager: a clean exit finalizes, an exception aborts (nothing published).
    """

    def __init__(
        self,
        root: Path | str,
        fps: int,
        robot_type: str | None,
        features: Mapping[str, FeatureSpec | Mapping[str, Any]],
        video_keys: Sequence[str],
        provenance: Provenance | Mapping[str, Any],
        codec: str = "libsvtav1",
        *,
        append: bool = False,
        chunks_size: int = DEFAULT_CHUNKS_SIZE,
        data_files_size_in_mb: int | float = DEFAULT_DATA_FILES_SIZE_IN_MB,
        video_files_size_in_mb: int | float = DEFAULT_VIDEO_FILES_SIZE_IN_MB,
        documents: Mapping[str, Any] | None = None,
    ) -> None:
        """Open a new dataset at `root` (or an existing one with `append=True`).

        Args:
            root: dataset directory; published there by `finalize()`.
            fps: frames per second of every episode and video.
            robot_type: e.g. "franka_panda".
            features: per-frame data features: numeric (1-D shapes), e.g. observation.state,
                action, and per-pixel uint16 layers ((H, W) with a layer info block).
            video_keys: camera features, e.g. observation.images.wrist ((T, H, W, 3) uint8).
            provenance: backend, seed, scene hash, source; recorded in meta/info.json.
            codec: "libsvtav1" (AV1) or "h264".
            append: add episodes to the published dataset at `root` if there is one.
            chunks_size: files per chunk directory.
            data_files_size_in_mb: a data parquet file rolls over past this size.
            video_files_size_in_mb: a camera's mp4 file rolls over past this size.
            documents: JSON documents written as meta/<name>.json (e.g. a segmentation layer's
                id map); on append they must equal the existing dataset's.

        Raises:
            FeatureError: bad fps, codec, features or video keys, or (append) settings that
                differ from the existing dataset's.
            DatasetStateError: `root` is already a dataset and `append` is False.
        """
        if not isinstance(fps, int) or fps <= 0:
            raise FeatureError("fps", f"must be a positive integer, not {fps!r}")
        if codec not in VIDEO_CODECS:
            raise FeatureError("codec", f"must be one of {sorted(VIDEO_CODECS)}, not {codec!r}")
        self.root = Path(root)
        self._fps = fps
        self._codec = codec
        self._features = parse_features(features)
        self._video_keys = parse_video_keys(video_keys, self._features)
        self._provenance = parse_provenance(provenance)
        limits = Limits(chunks_size, data_files_size_in_mb, video_files_size_in_mb)
        base = None
        if append:
            recover(self.root)
            if is_complete(self.root):
                base = open_dataset(self.root)
                self._check_compatible(base, robot_type, documents or {})
                info = base.info
                limits = Limits(
                    info.chunks_size, info.data_files_size_in_mb, info.video_files_size_in_mb
                )
        self._builder = DatasetBuilder(
            self.root,
            fps=fps,
            robot_type=robot_type,
            features=self._features,
            video_keys=self._video_keys,
            provenance=self._provenance,
            limits=limits,
            base=base,
            documents=documents,
        )

    @property
    def num_episodes(self) -> int:
        """Episodes in the dataset so far (including those it was opened with)."""
        return self._builder.num_episodes

    def add_episode(
        self,
        task: str,
        frames: Mapping[str, npt.NDArray[Any]],
        images: Mapping[str, FrameSource],
        extra_episode_metadata: Mapping[str, Any] | None = None,
    ) -> int:
        """Encode and write one episode; a rejected episode leaves the dataset unchanged.

        Args:
            task: natural-language task of the episode.
            frames: one (T, ...) array per declared feature (not timestamp/index columns).
            images: per video key, a (T, H, W, 3) uint8 array or an iterable of (H, W, 3)
                uint8 frames (consumed once, streamed into the encoder).
            extra_episode_metadata: extra columns for the episode row (numbers, strings,
                bools, lists of them; nested dicts become `a/b` columns).

        Returns:
            The episode_index assigned to the episode.

        Raises:
            FeatureError: missing/unknown keys, wrong shapes or dtypes, non-finite values,
                inconsistent lengths, or bad metadata; nothing is written then.
            DatasetStateError: the writer is finalized, aborted or broken.
        """
        self._builder.ensure_open()
        if not isinstance(task, str) or not task.strip():
            raise FeatureError("task", "must be a non-empty string")
        columns, length = check_frames(self._features, frames)
        flat = self._builder.check_extra(extra_episode_metadata)
        if set(images) != set(self._video_keys):
            raise FeatureError("images", f"keys {sorted(images)} != video keys {self._video_keys}")
        encoded: dict[str, tuple[Path, int, VideoInfo, FeatureStats]] = {}
        try:
            for key in self._video_keys:
                encoded[key] = self._encode(key, images[key], length)
                length = encoded[key][1]
            if length is None:
                raise FeatureError("frames", "an episode needs at least one feature or camera")
            placements = {
                key: self._builder.place_video(key, path, n, info)
                for key, (path, n, info, _) in encoded.items()
            }
            video_stats = {key: value[3] for key, value in encoded.items()}
            index = self._builder.write_episode(
                length, columns, task, placements, video_stats, flat
            )
        finally:
            for path, *_ in encoded.values():
                path.unlink(missing_ok=True)
        log.debug("episode written", extra=log_fields(episode_index=index, frames=length))
        return index

    def finalize(self) -> DatasetInfo:
        """Close files, write metadata (info.json last) and publish; a second call is a no-op.

        Returns:
            The published meta/info.json.

        Raises:
            DatasetStateError: nothing was written, or an episode failed to commit.
        """
        with span("lerobot.finalize", root=str(self.root)):
            return self._builder.finalize()

    def abort(self) -> None:
        """Drop everything not yet published (safe to call twice, and after finalize)."""
        self._builder.abort()

    def __enter__(self) -> LeRobotDatasetWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.finalize()
        else:
            self.abort()

    def _encode(
        self, key: str, source: FrameSource, length: int | None
    ) -> tuple[Path, int, VideoInfo, FeatureStats]:
        if isinstance(source, np.ndarray) and source.ndim != 4:
            raise FeatureError(f"images.{key}", f"shape {source.shape} is not (T, H, W, 3)")
        expected = self._builder.video_info(key)
        path = self._builder.tmp_dir / f"episode-{self.num_episodes:06d}-{key}.mp4"
        encoder = EpisodeVideoEncoder(path, self._codec, self._fps)
        accumulator = ImageStatsAccumulator()
        size: tuple[int, int] | None = None
        try:
            for frame in source:
                frame = np.asarray(frame)
                if size is None:
                    size = check_first_frame(key, frame, expected)
                if frame.shape != (*size, 3) or frame.dtype != np.uint8:
                    raise FeatureError(f"images.{key}", f"frame {frame.shape} {frame.dtype}")
                encoder.write(frame)
                accumulator.update(frame)
            encoder.close()
        except BaseException:
            encoder.discard()
            raise
        if size is None or (length is not None and encoder.frames != length):
            encoder.discard()
            raise FeatureError(f"images.{key}", f"{encoder.frames} frames, expected {length}")
        info = VideoInfo(
            height=size[0], width=size[1], codec=VIDEO_CODECS[self._codec], fps=self._fps
        )
        return path, encoder.frames, info, accumulator.result()

    def _check_compatible(
        self, base: DatasetContents, robot_type: str | None, documents: Mapping[str, Any]
    ) -> None:
        info = base.info
        declared = {n: s for n, s in info.data_features.items() if n not in DEFAULT_FEATURES}
        checks = {
            "fps": (info.fps, self._fps),
            "robot_type": (info.robot_type, robot_type),
            "features": (declared, self._features),
            "video_keys": (info.video_keys, self._video_keys),
            "provenance": (info.provenance, self._provenance),
            "documents": (base.documents, dict(documents)),
        }
        for key in info.video_keys:
            checks[f"codec of {key}"] = (info.video_info(key).codec, VIDEO_CODECS[self._codec])
        for name, (existing, requested) in checks.items():
            if existing != requested:
                raise FeatureError(name, f"{requested!r} differs from the existing {existing!r}")
