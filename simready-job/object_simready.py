"""One object made simulation-ready: repaired mesh, mass model, optional LLM, hull files."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import trimesh

from simready_job.collision import CollisionResult
from simready_job.llm_physics import RECORD_NAME, LLMPhysicsEstimator, ObjectFacts, clamp_guess
from simready_job.material_priors import PriorTable, ResolvedPrior
from simready_job.mesh_io import obj_bytes
from simready_job.object_geometry import GeometryTools, object_geometry
from simready_job.physics_model import MassModel, estimate_mass, make_physics
from tools.scene_layout import asset_dir
from tools.scene_manifest import Physics, SceneObject, SimRole

COLLISION_DIR = "collision"
_DYNAMIC_ROLES = (SimRole.MANIPULABLE, SimRole.DISTRACTOR)


def collision_dir(object_id: str) -> str:
    """Scene-relative folder of an object's hulls: assets/<object_id>/collision."""
    return f"{asset_dir(object_id)}/{COLLISION_DIR}"


@dataclass(frozen=True)
class ObjectTools:
    """What processing an object needs besides the object itself."""

    table: PriorTable
    geometry: GeometryTools
    estimator: LLMPhysicsEstimator | None = None


@dataclass(frozen=True)
class ObjectOutcome:
    """The physics and hull files of one object, and what is worth recording."""

    physics: Physics
    collision_paths: tuple[str, ...]
    method: str
    hull_vertices: tuple[int, ...]
    decomposed_parts: int
    notes: tuple[str, ...]


def process_object(scene_dir: Path, obj: SceneObject, tools: ObjectTools) -> ObjectOutcome:
    """Compute physics and write collision hulls for one object.

    The background (room) gets one slab per floor/wall plane and a nominal mass from the
    slabs; every other object gets its repaired mesh's mass model and hulls. The geometry
    comes from the object-geometry cache when the same mesh bytes were seen before. Dynamic
    objects (manipulable, distractor) may get an LLM estimate when an estimator is given.

    Args:
        scene_dir: the scene folder.
        obj: the manifest object.
        tools: priors, geometry parameters and caches, and the optional LLM estimator.

    Returns:
        The outcome; hulls are written under assets/<id>/collision/ (old ones removed).

    Raises:
        InputError: the mesh is missing, unreadable or degenerate (DegenerateMeshError).
    """
    source = obj.asset.mesh_path
    background = obj.sim_role is SimRole.BACKGROUND
    geometry = object_geometry(
        scene_dir / source, obj.asset.format, source, background, tools.geometry
    )
    collision = geometry.collision
    body = geometry.body()
    notes = list(geometry.notes)
    prior = tools.table.resolve(obj.category, label=obj.semantics.label)
    mass = estimate_mass(body, obj.transform.scale, prior, tools.table)
    physics = _priors_physics(mass, prior)
    if tools.estimator is not None and obj.sim_role in _DYNAMIC_ROLES:
        physics = _llm_physics(scene_dir, obj, body, mass, prior, tools, notes) or physics
    return ObjectOutcome(
        physics=physics,
        collision_paths=write_hulls(scene_dir, obj.id, collision),
        method=collision.method,
        hull_vertices=tuple(len(p.vertices) for p in collision.pieces),
        decomposed_parts=collision.decomposed_parts,
        notes=tuple(notes),
    )


def _priors_physics(mass: MassModel, prior: ResolvedPrior) -> Physics:
    return make_physics(
        mass,
        static_friction=prior.material.static_friction,
        dynamic_friction=prior.material.dynamic_friction,
        restitution=prior.material.restitution,
        material=prior.material_name,
        source="priors",
    )


def _llm_physics(
    scene_dir: Path,
    obj: SceneObject,
    body: trimesh.Trimesh,
    mass: MassModel,
    prior: ResolvedPrior,
    tools: ObjectTools,
    notes: list[str],
) -> Physics | None:
    assert tools.estimator is not None
    facts = ObjectFacts(
        category=obj.category,
        label=obj.semantics.label,
        dimensions_m=obj.dimensions,
        enclosed_volume_m3=mass.enclosed_volume_m3,
        prior_mass_kg=mass.mass_kg,
        prior_material=prior.material_name,
    )
    record = scene_dir / asset_dir(obj.id) / RECORD_NAME
    estimate = tools.estimator.estimate(facts, record)
    if estimate is None:
        notes.append("llm estimate unavailable: priors used")
        return None
    clamped = clamp_guess(estimate.guess, facts, tools.table)
    notes.extend(clamped.notes)
    scaled = estimate_mass(body, obj.transform.scale, prior, tools.table, clamped.mass_kg)
    return make_physics(
        scaled,
        static_friction=clamped.static_friction,
        dynamic_friction=clamped.dynamic_friction,
        restitution=clamped.restitution,
        material=clamped.material,
        source=estimate.source,
    )


def write_hulls(scene_dir: Path, object_id: str, collision: CollisionResult) -> tuple[str, ...]:
    """Replace the object's hull files with `collision`'s pieces (hull_<k>.obj, asset frame).

    Args:
        scene_dir: the scene folder.
        object_id: the object's safe id.
        collision: the hulls.

    Returns:
        Scene-relative POSIX paths of the files, in order.
    """
    folder = collision_dir(object_id)
    remove_hulls(scene_dir, object_id)
    (scene_dir / folder).mkdir(parents=True)
    paths = []
    for k, piece in enumerate(collision.pieces):
        relative = f"{folder}/hull_{k}.obj"
        (scene_dir / relative).write_bytes(obj_bytes(piece.vertices, piece.faces))
        paths.append(relative)
    return tuple(paths)


def remove_hulls(scene_dir: Path, object_id: str) -> None:
    """Delete the object's collision folder if present."""
    shutil.rmtree(scene_dir / collision_dir(object_id), ignore_errors=True)
