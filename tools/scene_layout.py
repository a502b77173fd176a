"""Scene directory layout (= bucket prefix `scenes/<scene_id>/`): every path in one place."""

from __future__ import annotations

import posixpath

SCENES_PREFIX = "scenes"

REGEN3D_DIR = "regen3d"
ASSETS_DIR = "assets"
MANIFEST_PATH = "assets/scene_manifest.json"  # written once, by the ingest
SIMREADY_LAYER_PATH = "assets/simready.json"  # simready's physics, hulls, articulation, drops
USD_LAYER_PATH = "usd/scene_state.json"  # usd's per-object USD paths and settled poses
# The manifest's layers in step order: the loader merges them over MANIFEST_PATH.
MANIFEST_LAYERS = {"simready": SIMREADY_LAYER_PATH, "usd": USD_LAYER_PATH}
MANIFEST_FILES = (MANIFEST_PATH, *MANIFEST_LAYERS.values())  # what a manifest hash covers
USD_DIR = "usd"
SCENE_USD_PATH = "usd/scene.usda"
REPLICATOR_DIR = "replicator"
SCENE_TASKS_PATH = "replicator/scene_tasks.json"  # supports and candidate tasks, decided once
EPISODES_DIR = "episodes"
LEROBOT_DIR = "episodes/lerobot"
EPISODE_SHARDS_DIR = "episodes/shards"  # per-run shard part datasets, merged into lerobot/
GENIESIM_EXPORT_DIR = "geniesim/export"
GENIESIM_IMPORT_DIR = "geniesim/import"
GENIESIM_RESULTS_PATH = "geniesim/results.tar.gz"  # Genie Sim's recordings, uploaded
REPORTS_DIR = "reports"
VALIDATION_REPORT_PATH = "reports/validation_report.json"
EPISODES_SUMMARY_PATH = "reports/episodes_summary.json"
EPISODES_PREVIEW_PATH = "reports/episodes_preview.mp4"
MARKERS_DIR = ".markers"
CHECKPOINTS_DIR = ".checkpoints"


def asset_dir(object_id: str) -> str:
    """Folder of one object's normalized meshes, hulls and USD."""
    return posixpath.join(ASSETS_DIR, object_id)


def complete_marker_path(step: str) -> str:
    """The marker a successful step writes last."""
    return posixpath.join(MARKERS_DIR, f"{step}.complete.json")


def failed_marker_path(step: str, attempt: int | str) -> str:
    """The create-only failure marker of one attempt: a local attempt number, or on Cloud Run
    `<execution>-task<index>-attempt<attempt>` (unique across executions and tasks)."""
    return posixpath.join(MARKERS_DIR, f"{step}.failed-{attempt}.json")


def checkpoint_path(step: str) -> str:
    """Where a step checkpoints its successful items."""
    return posixpath.join(CHECKPOINTS_DIR, f"{step}.json")


def scene_prefix(scene_id: str) -> str:
    """The bucket prefix of a scene."""
    return posixpath.join(SCENES_PREFIX, scene_id)
