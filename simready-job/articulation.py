"""Articulation of furniture from its one static mesh: front, doors and drawers, joints, files.

Deterministic: the same mesh, pose and room give the same parts. Objects of categories that
have moving parts (articulation_priors) but whose parts cannot be inferred stay static with
the reason recorded in their provenance notes.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from simready_job import articulation_priors as pri
from simready_job.articulation_build import build_articulation, opens_enough, parts_dir
from simready_job.articulation_clearance import with_free_depth
from simready_job.articulation_facade import read_front
from simready_job.articulation_layout import plan_from_handles, plan_from_priors
from simready_job.articulation_llm import RECORD_NAME, ArticulationAdvisor
from simready_job.articulation_mesh import load_textured
from tools.scene_layout import asset_dir
from tools.scene_manifest import (
    Articulation,
    RoomBounds,
    SceneManifest,
    SceneObject,
    SimRole,
    parse_manifest,
)

NOTE_PREFIX = "simready: articulation: "


@dataclass(frozen=True)
class ArticulationOutcome:
    """The articulation of one object, or why it stays static (`articulation` None)."""

    articulation: Articulation | None
    note: str


def _plain(meshes: list[trimesh.Trimesh]) -> trimesh.Trimesh:
    """One mesh with UV-seam duplicates welded, so a handle is one connected piece."""
    offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    vertices = np.concatenate([m.vertices for m in meshes])
    faces = np.concatenate([m.faces + o for m, o in zip(meshes, offsets, strict=True)])
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    mesh.merge_vertices(merge_tex=True, merge_norm=True)
    return mesh


def infer_articulation(
    scene_dir: Path,
    obj: SceneObject,
    room: RoomBounds | None,
    body_hulls: tuple[str, ...],
    advisor: ArticulationAdvisor | None = None,
    others: list[SceneObject] | None = None,
) -> ArticulationOutcome | None:
    """Infer and write the doors and drawers of one object.

    Args:
        scene_dir: the scene folder.
        obj: the manifest object with its simready physics.
        room: the room's bounds (where the walls are).
        body_hulls: the object's simready hull paths (the body keeps them).
        advisor: optional LLM advice for a facade without handles (priors otherwise).
        others: the scene's objects; furniture in front of the facade limits the parts.

    Returns:
        None for a category without moving parts; else the articulation or the reason
        there is none.
    """
    prior = pri.prior_for(obj.category)
    shutil.rmtree(scene_dir / parts_dir(obj.id), ignore_errors=True)
    if prior is None or obj.sim_role not in (SimRole.STATIC, SimRole.ARTICULATED):
        return None
    if obj.physics is None:
        return ArticulationOutcome(None, "static: no physics to share between the parts")
    if any(abs(s - 1.0) > 1e-9 for s in obj.transform.scale):
        return ArticulationOutcome(None, "static: the asset is scaled (parts need metres)")
    meshes = load_textured(scene_dir / obj.asset.mesh_path, obj.asset.mesh_path)
    front = read_front(_plain(meshes), obj.transform, room)
    if front is None:
        return ArticulationOutcome(None, "static: front unknown (no handles, not against a wall)")
    clamps: tuple[str, ...] = ()
    if front.handles:
        plans, source = plan_from_handles(front, prior), "handles"
    elif prior.layout in pri.NO_DEFAULT or obj.category in pri.NO_DEFAULT:
        return ArticulationOutcome(None, f"static: no handles on this {obj.category}")
    else:
        plans, source = plan_from_priors(front, prior), "priors"
        record = scene_dir / asset_dir(obj.id) / RECORD_NAME
        advice = (
            advisor.advise(obj.category, obj.semantics.label, front, record) if advisor else None
        )
        if advice is not None and advice.plans:
            plans, source = advice.plans, advice.source
            clamps = advice.notes
    spaced = with_free_depth(obj, front, others or [], plans)
    plans = [p for p in spaced if opens_enough(p)]
    if not plans:
        return ArticulationOutcome(None, "static: every door and drawer is blocked in front")
    if len(plans) < len(spaced):
        clamps += (f"{len(spaced) - len(plans)} part(s) blocked in front, not made",)
    nearest = min(p.free_depth for p in spaced)
    if nearest < front.room_gap:
        clamps += (f"nearest furniture in front {nearest:.2f} m",)
    articulation = build_articulation(
        scene_dir,
        obj.id,
        meshes,
        front,
        plans,
        prior,
        (obj.physics.mass_kg, body_hulls),
        source,
        hollow=obj.category not in pri.NO_DEFAULT,
    )
    kinds = [p.kind for p in articulation.parts if p.kind != "body"]
    summary = f"{kinds.count('door')} door(s), {kinds.count('drawer')} drawer(s)"
    note = f"{summary} from {source}, front by {front.evidence}"
    return ArticulationOutcome(articulation, "; ".join((note, *clamps)))


def with_articulations(
    manifest: SceneManifest, outcomes: dict[str, ArticulationOutcome]
) -> SceneManifest:
    """The manifest with articulations set (role `articulated`) and reasons noted.

    Earlier articulation notes are replaced, so a rerun gives the same manifest.

    Args:
        manifest: the manifest after simready's physics.
        outcomes: per object id, its outcome (objects without one are left alone).

    Returns:
        The validated manifest.
    """
    objects = []
    for obj in manifest.objects:
        outcome = outcomes.get(obj.id)
        notes = [n for n in obj.provenance.notes if not n.startswith(NOTE_PREFIX)]
        if outcome is None:
            objects.append(
                obj.model_copy(
                    update={"provenance": obj.provenance.model_copy(update={"notes": tuple(notes)})}
                )
            )
            continue
        notes.append(NOTE_PREFIX + outcome.note)
        update: dict[str, object] = {
            "provenance": obj.provenance.model_copy(update={"notes": tuple(notes)}),
            "articulation": outcome.articulation,
        }
        if outcome.articulation is not None:
            update["sim_role"] = SimRole.ARTICULATED
        objects.append(obj.model_copy(update=update))
    updated = manifest.model_copy(update={"objects": tuple(objects)})
    return parse_manifest(updated.model_dump(mode="json"))
