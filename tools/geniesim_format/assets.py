"""Genie Sim's input formats: the `$SIM_ASSETS` tree and the task JSON (constants, paths, names)."""

# Matched to AgibotTech/genie_sim v3.2.0 (commit 0e659ad): `client/layout/task_generate.py`
# (task loading), `client/layout/object.py` (`OmniObject.from_obj_dir`, interaction and grasp
# files), `client/layout/utils/layout_object.py` (mesh of `Aligned.usd`, `upAxis`, `scale`) and
# `source/data_collection/TASK_CONFIG_GUIDE.md`.


from __future__ import annotations

import posixpath
import re
from typing import Final

FORMAT_REFERENCE: Final = "AgibotTech/genie_sim v3.2.0 (0e659ad)"
EXPORT_SCHEMA_VERSION: Final = "1.0.0"  # of our own scene_graph.json and asset_index.json

# Folders of the export; each is relative to the export root, which Genie Sim reads as
# `$SIM_ASSETS` (every path in a task JSON is relative to it).
OBJECTS_DIR: Final = "objects"
INTERACTION_DIR: Final = "interaction"
BACKGROUND_DIR: Final = "background"
TASKS_DIR: Final = "tasks"

# Files of one object (objects/<object_dir>/) and of its interaction folder.
ALIGNED_USD: Final = "Aligned.usd"
OBJECT_PARAMETERS: Final = "object_parameters.json"
TEXTURES_DIR: Final = "textures"
INTERACTION_JSON: Final = "interaction.json"
GRASP_POSE_FILE: Final = "grasp_pose/grasp_pose.pkl"  # relative to interaction/<object_dir>/
BACKGROUND_USD: Final = "background.usda"
SCENE_GRAPH: Final = "scene_graph.json"
ASSET_INDEX: Final = "asset_index.json"

# object_parameters.json: assets are in metres, so `scale` is 1.0 and must be present (a task
# template's `scale` overrides only an existing key); Genie Sim's layout reads the mesh at
# scale * 1000 (millimetres) and defaults to 0.001 (millimetre assets) when the key is missing.
ASSET_SCALE: Final = 1.0
UP_AXIS: Final = "z"  # our assets are Z-up; `upAxis` is required by LayoutObject
RIGID_BODY_TYPE: Final = "rigid_body"

# Grasps: above this many, Genie Sim runs grasp NMS and multiplies positions by `scale`.
# Staying at or below keeps our grasps exactly as written, in the asset frame.
MAX_GRASPS: Final = 60
GRASP_PRIMITIVE: Final = "default"  # `primitive: null` in a stage means this key
GRIPPER_ID: Final = "gripper"  # the active object of a pick

# Task JSON vocabulary.
STAGE_ACTIONS: Final = ("pick", "place", "insert", "rotate", "reset")
CHECKER_DISTANCE: Final = "distance_to_target"
RULE_LESS_THAN: Final = "lessThan"
# Task shapes we export, each as Genie Sim's own templates of that kind do it.
TASK_PICK_UP: Final = "pick_up"  # pick (lifted), like tasks/geniesim_2025/pick_*
TASK_PLACE_ON: Final = "place_on"  # pick, place, reset
TASK_PLACE_IN: Final = "place_in"  # pick, place, reset into a container (place_*_into_box)
TASK_SHAPES: Final = (TASK_PICK_UP, TASK_PLACE_ON, TASK_PLACE_IN)
# `task_metric.filter_rules[].rule_name`: methods of Genie Sim's
# `common/data_filter/filter_rules/data_filter.py` DataFilter, run on each recorded episode.
RULE_GRIPPER_IN_VIEW: Final = "is_gripper_in_view"
RULE_IN_TARGET: Final = "is_object_relative_position_in_target"
RULE_LIFTED: Final = "is_object_end_higher_than_start"
RULE_UNDISTURBED: Final = "is_object_pose_similar2start"
FILTER_RULES: Final = (RULE_GRIPPER_IN_VIEW, RULE_IN_TARGET, RULE_LIFTED, RULE_UNDISTURBED)
RESULT_CODE_TASK: Final = 1  # the templates' result_code for a failed task rule
RESULT_CODE_VIEW: Final = 4  # ... and for a gripper out of the head camera's view
RECORDING_FPS: Final = 30
WORKSPACE_HEIGHT_M: Final = 0.2  # z size of a SPACE workspace; objects rest on its bottom face

_PRIM_INVALID = re.compile(r"[^A-Za-z0-9_]")


def prim_safe(name: str) -> str:
    """A name usable as a USD prim name and a file name (Genie Sim adds `/World/Objects/<id>`).

    Args:
        name: any id (ours are `[A-Za-z0-9][A-Za-z0-9_-]*`).

    Returns:
        The name with other characters as '_', prefixed with 'o_' if it starts with a digit.
    """
    safe = _PRIM_INVALID.sub("_", name)
    return f"o_{safe}" if not safe or safe[0].isdigit() else safe


def object_dir_name(scene_id: str, object_id: str) -> str:
    """Folder name of an object: unique across scenes (interaction/ is keyed by this name)."""
    return prim_safe(f"{scene_id}__{object_id}")


def object_dir(dir_name: str) -> str:
    """Export-relative folder of an object (its `data_info_dir`, with a trailing slash)."""
    return f"{OBJECTS_DIR}/{dir_name}/"


def interaction_dir(dir_name: str) -> str:
    """Export-relative folder of an object's interaction.json and grasp poses."""
    return f"{INTERACTION_DIR}/{dir_name}/"


def background_dir(scene_id: str) -> str:
    """Export-relative folder of the scene's background (its `scene_id`/`scene_info_dir`)."""
    return f"{BACKGROUND_DIR}/{prim_safe(scene_id)}/"


def background_usd(scene_id: str) -> str:
    """Export-relative path of the background USD (`scene_usd`)."""
    return posixpath.join(background_dir(scene_id), BACKGROUND_USD)


def task_name(scene_id: str, task_id: str) -> str:
    """Genie Sim task name (also the prefix of its `recording_data/<task>_<i>/` folders)."""
    return prim_safe(f"{scene_id}__{task_id}")


def task_file(name: str) -> str:
    """Export-relative path of a task JSON."""
    return f"{TASKS_DIR}/{name}.json"
