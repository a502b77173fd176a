"""The hardening spec's `tools/geniesim_adapter`: where the Genie Sim adapter's parts live.

The formats Genie Sim reads and writes (folder and file names, the task JSON's fields, the
robots it ships, the episode writer's schema) are `tools.geniesim_format`, re-exported here.
The builders of the export's three documents need the export step's geometry, so they live
in that job (a tools package never imports a job): `scene_graph.json` in
`genie-sim-export-job/scene_graph.py`, `asset_index.json` in `asset_index.py` and each task
JSON in `task_config.py`; the import side reads episodes in `genie-sim-import-job/`.
"""

from tools.geniesim_format import (
    DEFAULT_ROBOT,
    ROBOTS,
    SUPPORTED_ROBOTS,
    GenieSimRobot,
    UnsupportedRobotError,
    assets,
    genie_sim_robot,
    results,
    robot_for_meta_type,
)
from tools.geniesim_format.assets import EXPORT_SCHEMA_VERSION, FORMAT_REFERENCE

__all__ = [
    "DEFAULT_ROBOT",
    "EXPORT_SCHEMA_VERSION",
    "FORMAT_REFERENCE",
    "ROBOTS",
    "SUPPORTED_ROBOTS",
    "GenieSimRobot",
    "UnsupportedRobotError",
    "assets",
    "genie_sim_robot",
    "results",
    "robot_for_meta_type",
]
