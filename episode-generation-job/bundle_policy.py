"""Which randomization episodes can apply: the bundle's policy, or the job's jitter when the
replicator step ran and found no feasible task for that policy."""

from __future__ import annotations

import json
from pathlib import Path

from episode_generation_job.settings import EpisodeSettings
from tools.randomization.layout import METADATA_PATH, config_path
from tools.structured_logging import get_logger

log = get_logger(__name__)


def unsupported_policy(scene_dir: Path, settings: EpisodeSettings) -> str | None:
    """Why the bundle has no config for POLICY although the replicator step ran, if so.

    The replicator writes `replicator/configs/<policy>.json` only for the policies the scene
    supports (a task object on the work surface with room within reach) and lists them in
    `bundle_metadata.json`. A policy missing from that list is a fact about the scene, not a
    missing input: episodes fall back to the job's own jitter and say so.

    Args:
        scene_dir: the scene folder.
        settings: the job settings (RANDOMIZATION, POLICY).

    Returns:
        One line naming the policy and the policies the bundle has, or None when the bundle
        applies (or was not built: then the missing config stays an input error).
    """
    if settings.RANDOMIZATION != "bundle" or (scene_dir / config_path(settings.POLICY)).is_file():
        return None
    try:
        policies = json.loads((scene_dir / METADATA_PATH).read_text())["policies"]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no readable bundle: the replicator step did not run
    if not isinstance(policies, list) or settings.POLICY in policies:
        return None  # listed but missing: a broken bundle, reported by load_bundle_config
    listed = ", ".join(str(p) for p in policies) or "none"
    return (
        f"the replicator bundle has no {settings.POLICY} config: the scene offers it no feasible "
        f"task (bundle policies: {listed}); episodes use RANDOMIZATION=none"
    )


def applicable_settings(scene_dir: Path, settings: EpisodeSettings) -> EpisodeSettings:
    """The settings with RANDOMIZATION=none when the bundle does not support POLICY.

    Args:
        scene_dir: the scene folder.
        settings: the job settings.

    Returns:
        The settings episodes run with (the same object when nothing changes).
    """
    reason = unsupported_policy(scene_dir, settings)
    if reason is None:
        return settings
    log.warning(reason)
    return settings.model_copy(update={"RANDOMIZATION": "none"})
