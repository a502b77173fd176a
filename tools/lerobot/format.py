"""LeRobot v3.0 on-disk format: every constant, path template and the `meta/info.json` model."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tools.provenance import tool_versions

CODEBASE_VERSION: Literal["v3.0"] = "v3.0"
DEFAULT_CHUNKS_SIZE = 1000  # files per chunk directory
DEFAULT_DATA_FILES_SIZE_IN_MB = 100
DEFAULT_VIDEO_FILES_SIZE_IN_MB = 200

INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
TASKS_PATH = "meta/tasks.parquet"
EPISODES_DIR = "meta/episodes"
DATA_DIR = "data"
VIDEOS_DIR = "videos"
CHUNK_FILE_PATTERN = "chunk-{chunk_index:03d}/file-{file_index:03d}"
DATA_PATH = f"{DATA_DIR}/{CHUNK_FILE_PATTERN}.parquet"
VIDEO_PATH = VIDEOS_DIR + "/{video_key}/" + CHUNK_FILE_PATTERN + ".mp4"
EPISODES_PATH = f"{EPISODES_DIR}/{CHUNK_FILE_PATTERN}.parquet"
# Caller documents beside info.json (e.g. a segmentation id map, camera calibration).
DOCUMENT_PATH = "meta/{name}.json"
DOCUMENT_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
RESERVED_DOCUMENTS = ("info", "stats")

# meta/tasks.parquet is what pandas writes for DataFrame({"task_index": ...}, index=tasks).
TASKS_INDEX_FIELD = "__index_level_0__"
TASK_INDEX_COLUMN = "task_index"

QUANTILES: dict[str, float] = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}
STAT_NAMES = ("min", "max", "mean", "std", "count", *QUANTILES)

NUMERIC_DTYPES = ("float32", "float64", "int32", "int64")
VIDEO_DTYPE = "video"
# Per-pixel layers (depth in millimetres, segmentation ids): lossless uint16 data columns of
# height * width values (row-major; the info block gives the image size). lerobot's loader
# returns them exactly (its decoders would turn a 16-bit video into 8-bit RGB, so layers are not
# videos), and they are 1-D because lerobot 0.4.4's delete_episodes / split_dataset cannot
# rewrite an Array2D column.
LAYER_DTYPE = "uint16"
LAYER_KINDS = ("depth", "segmentation")
VIDEO_PIX_FMT: Literal["yuv420p"] = "yuv420p"
VIDEO_CHANNELS: Literal[3] = 3
# Encoder name accepted by the writer -> codec name recorded in info.json (FFmpeg canonical).
VIDEO_CODECS: dict[str, str] = {"libsvtav1": "av1", "h264": "h264"}
VIDEO_GOP = 2  # a keyframe every 2 frames: cheap random access for training loaders
VIDEO_CRF = 30
SVTAV1_PRESET = 11
TIMESTAMP_TOLERANCE_S = 1e-4  # the loader's tolerance between a query and a decoded frame

# Columns the writer computes for every frame, in lerobot's order.
FRAME_INDEX_COLUMNS = ("timestamp", "frame_index", "episode_index", "index", "task_index")

# Episode metadata columns (meta/episodes/*.parquet).
EPISODE_INDEX = "episode_index"
EPISODE_TASKS = "tasks"
EPISODE_LENGTH = "length"
DATA_CHUNK = "data/chunk_index"
DATA_FILE = "data/file_index"
FROM_INDEX = "dataset_from_index"
TO_INDEX = "dataset_to_index"
META_CHUNK = "meta/episodes/chunk_index"
META_FILE = "meta/episodes/file_index"
EPISODE_COLUMNS = (
    EPISODE_INDEX,
    EPISODE_TASKS,
    EPISODE_LENGTH,
    DATA_CHUNK,
    DATA_FILE,
    FROM_INDEX,
    TO_INDEX,
    META_CHUNK,
    META_FILE,
)
RESERVED_PREFIXES = ("stats/", "videos/", "data/", "meta/")
VIDEO_FIELDS = ("chunk_index", "file_index", "from_timestamp", "to_timestamp")


def video_column(video_key: str, field: str) -> str:
    """Episode column `videos/<key>/<field>` (field in VIDEO_FIELDS)."""
    return f"videos/{video_key}/{field}"


def stats_column(feature: str, stat: str) -> str:
    """Episode column `stats/<feature>/<stat>`."""
    return f"stats/{feature}/{stat}"


def data_path(chunk_index: int, file_index: int) -> str:
    """Relative path of a data parquet file."""
    return DATA_PATH.format(chunk_index=chunk_index, file_index=file_index)


def video_path(video_key: str, chunk_index: int, file_index: int) -> str:
    """Relative path of one camera's mp4 file."""
    return VIDEO_PATH.format(video_key=video_key, chunk_index=chunk_index, file_index=file_index)


def episodes_path(chunk_index: int, file_index: int) -> str:
    """Relative path of an episode-metadata parquet file."""
    return EPISODES_PATH.format(chunk_index=chunk_index, file_index=file_index)


def next_chunk_file(chunk_index: int, file_index: int, chunks_size: int) -> tuple[int, int]:
    """The (chunk, file) after this one: files fill a chunk up to `chunks_size`, then roll."""
    if file_index + 1 >= chunks_size:
        return chunk_index + 1, 0
    return chunk_index, file_index + 1


class VideoInfo(BaseModel):
    """The `info` block of a video feature, keyed with lerobot's dotted names."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    height: int = Field(alias="video.height", gt=0)
    width: int = Field(alias="video.width", gt=0)
    codec: str = Field(alias="video.codec", min_length=1)
    pix_fmt: Literal["yuv420p"] = Field(VIDEO_PIX_FMT, alias="video.pix_fmt")
    is_depth_map: Literal[False] = Field(False, alias="video.is_depth_map")
    fps: int = Field(alias="video.fps", gt=0)
    channels: Literal[3] = Field(VIDEO_CHANNELS, alias="video.channels")
    has_audio: Literal[False] = False


class LayerInfo(BaseModel):
    """The `info` block of a per-pixel layer: what its uint16 values mean."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    kind: Literal["depth", "segmentation"] = Field(alias="layer.kind")
    is_depth_map: bool = Field(alias="layer.is_depth_map")
    unit: Literal["mm"] | None = Field(None, alias="layer.unit")
    zero: str = Field(alias="layer.zero", min_length=1, description="what a 0 pixel means")
    id_map: str | None = Field(None, alias="layer.id_map", description="meta/*.json: id -> name")
    camera: str = Field(alias="layer.camera", min_length=1)
    height: int = Field(alias="layer.height", gt=0)
    width: int = Field(alias="layer.width", gt=0)

    @model_validator(mode="after")
    def _check(self) -> LayerInfo:
        depth = self.kind == "depth"
        if self.is_depth_map != depth or (self.unit == "mm") != depth:
            raise ValueError("a depth layer (and only it) is a depth map in mm")
        if (self.id_map is not None) == depth:
            raise ValueError("a segmentation layer (and only it) names its id map")
        return self


class FeatureSpec(BaseModel):
    """One entry of `features`: a numeric column (1-D shape), a per-pixel layer (H * W uint16
    values), or a video stream (H, W, 3)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dtype: str
    shape: tuple[int, ...]
    names: list[str] | dict[str, list[str]] | None = None
    info: VideoInfo | LayerInfo | None = None

    @field_validator("info", mode="before")
    @classmethod
    def _info_kind(cls, info: Any) -> Any:
        """A dict with `layer.*` keys is a layer block (so its errors are the layer's own)."""
        if isinstance(info, dict) and any(str(key).startswith("layer.") for key in info):
            return LayerInfo.model_validate(info)
        return info

    @model_validator(mode="after")
    def _check(self) -> FeatureSpec:
        if any(dim <= 0 for dim in self.shape):
            raise ValueError(f"shape {self.shape} has a non-positive dimension")
        if self.dtype == VIDEO_DTYPE:
            if len(self.shape) != 3 or self.shape[2] != VIDEO_CHANNELS:
                raise ValueError(f"a video feature has shape (height, width, 3), not {self.shape}")
            if not isinstance(self.info, VideoInfo | None):
                raise ValueError("a video feature's info is a video block")
            if self.info is not None and (self.info.height, self.info.width) != self.shape[:2]:
                raise ValueError("video info height/width disagree with the shape")
            return self
        if self.dtype == LAYER_DTYPE:
            if not isinstance(self.info, LayerInfo) or self.shape != (
                self.info.height * self.info.width,
            ):
                raise ValueError(
                    "a uint16 layer has a layer info block and shape (height * width,)"
                )
            return self
        if self.dtype not in NUMERIC_DTYPES:
            known = (*NUMERIC_DTYPES, LAYER_DTYPE, VIDEO_DTYPE)
            raise ValueError(f"dtype {self.dtype!r} is not one of {known}")
        if len(self.shape) != 1:
            raise ValueError(f"numeric features are 1-D (flatten with names), not {self.shape}")
        if self.info is not None:
            raise ValueError("only video and layer features carry an info block")
        if isinstance(self.names, list) and len(self.names) != self.shape[0]:
            raise ValueError(f"{len(self.names)} names for shape {self.shape}")
        return self

    def to_json(self) -> dict[str, Any]:
        """The JSON form lerobot reads: dtype, shape (list), names (null allowed), info."""
        out: dict[str, Any] = {"dtype": self.dtype, "shape": list(self.shape), "names": self.names}
        if self.info is not None:
            out["info"] = self.info.model_dump(mode="json", by_alias=True)
        return out


def _scalar(dtype: str) -> FeatureSpec:
    return FeatureSpec(dtype=dtype, shape=(1,), names=None)


DEFAULT_FEATURES: dict[str, FeatureSpec] = {
    "timestamp": _scalar("float32"),
    "frame_index": _scalar("int64"),
    "episode_index": _scalar("int64"),
    "index": _scalar("int64"),
    "task_index": _scalar("int64"),
}


class Provenance(BaseModel):
    """Where the episodes came from; stored as `provenance` in meta/info.json."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(pattern=r"^[a-z0-9_\-]+$", description="producer, e.g. mujoco, geniesim")
    backend: str = Field(min_length=1, description="physics/render backend that made the frames")
    seed: int | None = Field(None, description="base seed of the run")
    scene_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$", description="scene.usda")
    tool_versions: dict[str, str] = Field(default_factory=tool_versions)
    # The rest is what `tools.provenance.provenance_record` names; optional, so datasets of
    # other producers (and written before these fields) still parse.
    data_source: str | None = Field(None, description="mock-fixture, reconstruction, authored")
    code: dict[str, Any] = Field(default_factory=dict, description="version, git commit, dirty")
    input_sha256: dict[str, str | None] = Field(default_factory=dict, description="by path")
    settings: dict[str, Any] = Field(default_factory=dict, description="that change the output")
    robot_asset: dict[str, str | None] = Field(default_factory=dict)
    run_fingerprint: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")


class DatasetInfo(BaseModel):
    """meta/info.json; validates the cross-field rules of the format on construction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    codebase_version: Literal["v3.0"] = CODEBASE_VERSION
    robot_type: str | None
    total_episodes: int = Field(ge=0)
    total_frames: int = Field(ge=0)
    total_tasks: int = Field(ge=0)
    chunks_size: int = Field(DEFAULT_CHUNKS_SIZE, gt=0)
    data_files_size_in_mb: int | float = Field(DEFAULT_DATA_FILES_SIZE_IN_MB, gt=0)
    video_files_size_in_mb: int | float = Field(DEFAULT_VIDEO_FILES_SIZE_IN_MB, gt=0)
    fps: int = Field(gt=0)
    splits: dict[str, str]
    data_path: str = DATA_PATH
    video_path: str | None = VIDEO_PATH
    features: dict[str, FeatureSpec]
    provenance: Provenance

    @field_validator("features")
    @classmethod
    def _check_features(cls, features: dict[str, FeatureSpec]) -> dict[str, FeatureSpec]:
        for name, spec in DEFAULT_FEATURES.items():
            if features.get(name) != spec:
                raise ValueError(f"feature {name!r} must be {spec.to_json()}")
        for name, spec in features.items():
            if "/" in name:
                raise ValueError(f"feature name {name!r} contains '/'")
            if spec.dtype == VIDEO_DTYPE and spec.info is None:
                raise ValueError(f"video feature {name!r} has no info block")
        return features

    @model_validator(mode="after")
    def _check_consistency(self) -> DatasetInfo:
        if self.splits != {"train": f"0:{self.total_episodes}"}:
            raise ValueError(f"splits must be {{'train': '0:{self.total_episodes}'}}")
        if self.data_path != DATA_PATH:
            raise ValueError(f"data_path must be {DATA_PATH!r}")
        expected_video_path = VIDEO_PATH if self.video_keys else None
        if self.video_path != expected_video_path:
            raise ValueError(f"video_path must be {expected_video_path!r}")
        for key in self.video_keys:
            info = self.video_info(key)
            if info.fps != self.fps:
                raise ValueError(f"video {key!r} fps {info.fps} differs from fps {self.fps}")
        if self.total_episodes > 0 and (self.total_frames == 0 or self.total_tasks == 0):
            raise ValueError("episodes without frames or tasks")
        return self

    @property
    def video_keys(self) -> list[str]:
        """Names of the video features, in declaration order."""
        return [name for name, spec in self.features.items() if spec.dtype == VIDEO_DTYPE]

    def video_info(self, key: str) -> VideoInfo:
        """The info block of video feature `key` (every video feature has one)."""
        info = self.features[key].info
        assert isinstance(info, VideoInfo), f"{key} is not a video feature"
        return info

    @property
    def layer_keys(self) -> list[str]:
        """Names of the per-pixel layer features (depth, segmentation), in declaration order."""
        return [name for name, spec in self.features.items() if spec.dtype == LAYER_DTYPE]

    @property
    def data_features(self) -> dict[str, FeatureSpec]:
        """Features stored as parquet columns (everything but videos), in column order."""
        return {n: s for n, s in self.features.items() if s.dtype != VIDEO_DTYPE}

    def to_json(self) -> dict[str, Any]:
        """The JSON document written to meta/info.json (lerobot's key order)."""
        out = self.model_dump(mode="json", exclude={"features", "provenance"})
        out["features"] = {name: spec.to_json() for name, spec in self.features.items()}
        out["provenance"] = self.provenance.model_dump(mode="json")
        return out
