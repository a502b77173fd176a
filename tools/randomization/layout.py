"""Layout of the replicator bundle (`replicator/`): file names, prim roots and schema version."""

from __future__ import annotations

import posixpath
from typing import Final

from tools.scene_layout import REPLICATOR_DIR

BUNDLE_SCHEMA_VERSION: Final = "1.0.0"

REGIONS_JSON_PATH: Final = posixpath.join(REPLICATOR_DIR, "placement_regions.json")
REGIONS_USD_PATH: Final = posixpath.join(REPLICATOR_DIR, "placement_regions.usda")
CONFIGS_DIR: Final = posixpath.join(REPLICATOR_DIR, "configs")
SAMPLES_DIR: Final = posixpath.join(REPLICATOR_DIR, "samples")
SCRIPTS_DIR: Final = posixpath.join(REPLICATOR_DIR, "scripts")
SCRIPT_PATH: Final = posixpath.join(SCRIPTS_DIR, "replicator_randomize.py")
METADATA_PATH: Final = posixpath.join(REPLICATOR_DIR, "bundle_metadata.json")
README_PATH: Final = posixpath.join(REPLICATOR_DIR, "README.md")

# Prims: placement regions live in placement_regions.usda (a layer stacked over scene.usda);
# distractors are created by whoever applies a randomization (Replicator or MuJoCo).
REGIONS_ROOT_PRIM: Final = "/World/PlacementRegions"
DISTRACTOR_ROOT_PRIM: Final = "/World/Distractors"
DISTRACTOR_NAME_TEMPLATE: Final = "distractor_{slot}"
REGION_ID_KEY: Final = "blueprint:regionId"
# The Replicator custom event that starts a new episode (per-episode randomizers listen to it).
EPISODE_EVENT: Final = "blueprint_episode"

POLICY_PICK_AND_PLACE: Final = "pick_and_place"
POLICY_TABLE_CLEARING: Final = "table_clearing"
KNOWN_POLICIES: Final = (POLICY_PICK_AND_PLACE, POLICY_TABLE_CLEARING)


def config_path(policy: str) -> str:
    """Scene-relative path of a policy's randomization config.

    Args:
        policy: the policy name.

    Returns:
        `replicator/configs/<policy>.json`.
    """
    return posixpath.join(CONFIGS_DIR, f"{policy}.json")


def samples_path(policy: str) -> str:
    """Scene-relative path of a policy's pre-sampled episode randomizations.

    Args:
        policy: the policy name.

    Returns:
        `replicator/samples/<policy>.json`.
    """
    return posixpath.join(SAMPLES_DIR, f"{policy}.json")


def distractor_name(slot: int) -> str:
    """Name of a distractor slot (MuJoCo body name, USD prim name).

    Args:
        slot: the slot index.

    Returns:
        `distractor_<slot>`.
    """
    return DISTRACTOR_NAME_TEMPLATE.format(slot=slot)
