"""The hardening spec's `tools/geniesim_adapter`: where the Genie Sim adapter's parts live.

The formats Genie Sim reads and writes (folder and file names, the task JSON's fields, the
robots it ships, the episode writer's schema) are `tools.geniesim_format`, re-exported here.
The builders of the export's three documents need the export step's geometry, so they live
in that job (a tools package never imports a job): `scene_graph.json` in
`genie-sim-export-job/scene_graph.py`, `asset_index.json` in `asset_index.py` and each task
JSON in `task_config.py`; the import side reads episodes in `genie-sim-import-job/`.
"""

from tools import geniesim_format
from tools.geniesim_format import *  # noqa: F403 - this package is those names under the spec's
from tools.geniesim_format.assets import EXPORT_SCHEMA_VERSION, FORMAT_REFERENCE

__all__ = [*geniesim_format.__all__, "EXPORT_SCHEMA_VERSION", "FORMAT_REFERENCE"]
