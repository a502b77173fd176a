"""Door and drawer positions per episode, drawn within each joint's limits (applied to MuJoCo by
`mujoco_apply`).

Every joint of the manifest's articulated objects gets a sample (so an engine resets all of
them, not only the drawn ones); joints a policy's tasks need closed (an "open the drawer" task)
are listed in `JointConfig.keep_closed` and sampled at their closed position.
"""

from __future__ import annotations

import numpy as np

from tools.randomization.config import JointConfig
from tools.randomization.samples import JointSample
from tools.scene_manifest import SceneManifest


def joint_key(object_id: str, joint: str) -> str:
    """The `<object>/<joint>` key used in configs and samples."""
    return f"{object_id}/{joint}"


def sample_joints(
    params: JointConfig, manifest: SceneManifest, rng: np.random.Generator
) -> tuple[JointSample, ...]:
    """One position per door/drawer joint, uniform over the configured open-fraction range.

    Args:
        params: the policy's joint randomizer.
        manifest: gives the articulated objects, their joints and limits.
        rng: the joint stream of the episode's generator.

    Returns:
        Samples in manifest order (objects, then joints).
    """
    samples = []
    low, high = params.open_fraction
    for obj in manifest.objects:
        if obj.articulation is None:
            continue
        for joint in obj.articulation.joints:
            key = joint_key(obj.id, joint.name)
            fraction = 0.0 if key in params.keep_closed else float(rng.uniform(low, high))
            position = joint.lower + fraction * (joint.upper - joint.lower)
            samples.append(
                JointSample(
                    object_id=obj.id, joint=joint.name, open_fraction=fraction, position=position
                )
            )
    return tuple(samples)
