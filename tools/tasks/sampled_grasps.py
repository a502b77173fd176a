"""Grasps from geometry for what the box rules refuse: the antipodal sampler's ranked grasps
on an object's collision hulls (`tools.grasps`) for a robot's gripper.

The box rules (`tools.tasks.skills.grasp_skill`) pinch across an object's box; a 7.7 cm
apple is then too wide for the Panda (7.6 cm), though pinched above its equator it is 7 cm
across, and a 9 cm jar is too wide for both arms though its shoulder fits the xArm. Objects
the rules call too wide are sampled once per gripper (cached by geometry hash, on disk under
`default_cache_dir()` or `$BP_GRASP_CACHE_DIR`, so shard workers and reruns sample nothing);
those with a grasp become `tools.tasks.skills.ANTIPODAL` targets. The sampler already keeps
only grasps whose far contact lies in the material's friction cone and whose load moment
(mass x lever) a pinch carries. Which of them is clear of the neighbours and reachable is
decided per placement by the episodes' planner (`episode_generation_job.antipodal_attempt`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from tools.grasps.antipodal import DEFAULT_SETTINGS, AntipodalGrasps, SamplerSettings
from tools.grasps.cache import cached_grasps, grasp_key, load_hull_vertices
from tools.grasps.gripper_model import GripperModel, gripper_for
from tools.robots import RobotDescription
from tools.scene_manifest import SceneManifest, SceneObject, SimRole
from tools.tasks.geometry import ObjectBox
from tools.tasks.skills import grasp_refusal, grasp_skill

MIN_FRICTION = 0.05  # a material without friction still gets a (narrow) cone
_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class SampledGrasps:
    """An object's ranked grasps for one gripper, in its asset frame (the simulated body's
    frame), best first; equal when sampled from the same geometry and settings (`key`).

    Attributes:
        key: the grasp cache's key (geometry, gripper, settings, sampler version).
        grasps: the sampler's grasps.
        sample_s: seconds spent sampling them (0 when they came from the cache).
    """

    key: str
    grasps: AntipodalGrasps = field(compare=False, repr=False)
    sample_s: float = field(default=0.0, compare=False)


def default_cache_dir() -> Path:
    """`~/.cache/blueprint-pipeline/grasps` (as simready's hull cache; the key is the
    geometry's hash, so one folder serves every scene)."""
    return Path.home() / ".cache" / "blueprint-pipeline" / "grasps"


def sampler_settings(obj: SceneObject) -> tuple[SamplerSettings, tuple[float, float, float] | None]:
    """The sampler's settings for an object (its material's friction, its mass) and its
    centre of mass (None: unknown)."""
    if obj.physics is None:
        return DEFAULT_SETTINGS, None
    friction = max(obj.physics.static_friction, MIN_FRICTION)
    settings = replace(DEFAULT_SETTINGS, friction=friction, mass_kg=obj.physics.mass_kg)
    return settings, tuple(obj.physics.center_of_mass)  # type: ignore[return-value]


def object_sampled_grasps(
    scene_dir: Path, obj: SceneObject, gripper: GripperModel, directory: Path | None
) -> SampledGrasps | None:
    """An object's sampled grasps (None: no OBJ hulls, or the asset is scaled: the hulls are
    the unscaled asset's)."""
    if any(abs(s - 1.0) >= 1e-9 for s in obj.transform.scale):
        return None
    hulls = load_hull_vertices(scene_dir, obj.asset.collision_paths)
    if not hulls:
        return None
    settings, com = sampler_settings(obj)
    start = time.perf_counter()
    grasps, hit = cached_grasps(hulls, gripper, com, settings, directory)
    spent = 0.0 if hit else time.perf_counter() - start
    return SampledGrasps(grasp_key(hulls, gripper, com, settings), grasps, spent)


def scene_sampled_grasps(
    scene_dir: Path | None,
    manifest: SceneManifest,
    robot: RobotDescription,
    boxes: Mapping[str, ObjectBox],
    rimmed: Collection[str] = (),
    directory: Path | None = None,
) -> dict[str, SampledGrasps]:
    """The sampled grasps of the manipulable objects the box rules find too wide for the
    robot's gripper (no pinch, rim or side grasp), where the sampler finds some.

    Args:
        scene_dir: the scene folder (None: no hulls, no grasps).
        manifest: the scene contract.
        robot: whose gripper.
        boxes: the objects' boxes at rest (the rules' input).
        rimmed: objects held by their rim (`tools.tasks.rest_scene.scene_rims`).
        directory: the cache folder (None: `default_cache_dir()`; `$BP_GRASP_CACHE_DIR` wins).

    Returns:
        Object id -> its grasps, for objects with at least one.
    """
    return gripper_sampled_grasps(scene_dir, manifest, gripper_for(robot), boxes, rimmed, directory)


def gripper_sampled_grasps(
    scene_dir: Path | None,
    manifest: SceneManifest,
    gripper: GripperModel,
    boxes: Mapping[str, ObjectBox],
    rimmed: Collection[str] = (),
    directory: Path | None = None,
) -> dict[str, SampledGrasps]:
    """`scene_sampled_grasps` for a gripper model (a Genie Sim robot's: `generic_gripper`),
    the box rules judged with its widest grasp (`GripperModel.max_width`)."""
    if scene_dir is None:
        return {}
    folder = directory or default_cache_dir()
    width = gripper.max_width
    found = {}
    tried, start = 0, time.perf_counter()
    for obj in manifest.objects:
        box = boxes.get(obj.id)
        if obj.sim_role is not SimRole.MANIPULABLE or box is None:
            continue
        if grasp_skill(box, obj.category, width, obj.id in rimmed) is not None:
            continue
        if grasp_refusal(box, obj.category, width) != "too_wide":
            continue  # too short to pinch, or too tall to set down upright
        sampled = object_sampled_grasps(scene_dir, obj, gripper, folder)
        tried += 1
        if sampled is not None and len(sampled.grasps):
            found[obj.id] = sampled
    if tried:  # planning time, reported apart from physics
        _LOG.info(
            "grasps sampled for %d of %d objects too wide for the %s's box pinch in %.2f s",
            len(found), tried, gripper.name, time.perf_counter() - start,
        )  # fmt: skip
    return found
