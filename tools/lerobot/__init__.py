"""LeRobot v3.0 datasets: write, merge shards, validate (pyarrow + PyAV, no lerobot needed)."""

from tools.lerobot.errors import DatasetStateError, FeatureError, InvalidDatasetError
from tools.lerobot.format import (
    CODEBASE_VERSION,
    DEFAULT_FEATURES,
    STAT_NAMES,
    VIDEO_CODECS,
    DatasetInfo,
    FeatureSpec,
    Provenance,
    VideoInfo,
)
from tools.lerobot.merge import merge_datasets
from tools.lerobot.reader import DatasetContents, open_dataset, published_datasets
from tools.lerobot.validate import require_valid, validate_dataset
from tools.lerobot.writer import LeRobotDatasetWriter

__all__ = [
    "CODEBASE_VERSION",
    "DEFAULT_FEATURES",
    "STAT_NAMES",
    "VIDEO_CODECS",
    "DatasetContents",
    "DatasetInfo",
    "DatasetStateError",
    "FeatureError",
    "FeatureSpec",
    "InvalidDatasetError",
    "LeRobotDatasetWriter",
    "Provenance",
    "VideoInfo",
    "merge_datasets",
    "open_dataset",
    "published_datasets",
    "require_valid",
    "validate_dataset",
]
