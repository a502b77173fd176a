"""Doors and drawers of an exported object in Genie Sim's form (tools.geniesim_format.articulation).

An articulated object's `object_parameters.json` gains `part_joint_limits` (Genie Sim then
flags it `is_articulated`) and its `interaction.json` gains passive `pull`/`push` elements at
each handle, with the part they move (`part_id`); its task JSON entry says `is_articulated`.
Aligned.usd keeps the asset's `Parts/<part>` prims, which is where Genie Sim looks for a part.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tools.geniesim_format.articulation import (
    PART_JOINT_LIMITS,
    handle_elements,
    part_joint_limits,
)
from tools.scene_manifest import SceneObject


def add_articulation(
    obj: SceneObject, offset: np.ndarray, parameters: dict[str, Any], interaction: dict[str, Any]
) -> bool:
    """Add an articulated object's parts and joints to its two documents (in place).

    Args:
        obj: the manifest object.
        offset: Aligned.usd's origin in the object's scaled asset frame.
        parameters: its object_parameters.json document.
        interaction: its interaction.json document.

    Returns:
        Whether the object is articulated (False: the documents are unchanged).
    """
    articulation = obj.articulation
    if articulation is None:
        return False
    scale = np.asarray(obj.transform.scale, dtype=np.float64)
    centre = np.asarray(offset, dtype=np.float64)
    parameters[PART_JOINT_LIMITS] = part_joint_limits(articulation, scale, centre)
    interaction["interaction"]["passive"].update(handle_elements(articulation, scale, centre))
    return True
