"""Fixtures of the simready tests: small scenes built from trimesh primitives, fake decomposers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

from simready_job.convex_pieces import hull_piece
from simready_job.decomposition import CoacdDecomposer, DecompositionParams, RawHull
from tools.llm_client import reset_breakers
from tools.provenance import sha256_file
from tools.testing import sample_manifest_dict


def cup_mesh(radius: float = 0.04, height: float = 0.1, wall: float = 0.005) -> trimesh.Trimesh:
    """An open cup (walls and a thick base modelled), watertight, base at z = 0."""
    profile = np.array(
        [[0, 0], [radius, 0], [radius, height], [radius - wall, height],
         [radius - wall, 0.008], [0, 0.008]]
    )  # fmt: skip
    cup = trimesh.creation.revolve(profile, sections=24)
    assert isinstance(cup, trimesh.Trimesh)
    return cup


def table_mesh() -> trimesh.Trimesh:
    """A table made of five separate boxes (top and four legs)."""
    top = trimesh.creation.box(extents=[1.2, 0.8, 0.04])
    top.apply_translation([0, 0, 0.73])
    parts = [top]
    for x in (-0.55, 0.55):
        for y in (-0.35, 0.35):
            leg = trimesh.creation.box(extents=[0.05, 0.05, 0.71])
            leg.apply_translation([x, y, 0.355])
            parts.append(leg)
    table = trimesh.util.concatenate(parts)
    assert isinstance(table, trimesh.Trimesh)
    return table


def room_mesh(size: float = 4.0, height: float = 2.5) -> trimesh.Trimesh:
    """Floor and three walls (open towards -Y), as thin open surfaces."""
    h = size / 2
    quads = [
        [[-h, -h, 0], [h, -h, 0], [h, h, 0], [-h, h, 0]],  # floor
        [[-h, h, 0], [h, h, 0], [h, h, height], [-h, h, height]],  # back wall
        [[-h, -h, 0], [-h, h, 0], [-h, h, height], [-h, -h, height]],  # left wall
        [[h, h, 0], [h, -h, 0], [h, -h, height], [h, h, height]],  # right wall
    ]
    vertices = np.array([p for quad in quads for p in quad], dtype=float)
    faces = np.array([[4 * k, 4 * k + 1, 4 * k + 2] for k in range(4)]
                     + [[4 * k, 4 * k + 2, 4 * k + 3] for k in range(4)])  # fmt: skip
    return trimesh.Trimesh(vertices, faces, process=False)


def scan_like(
    mesh: trimesh.Trimesh,
    chart_size: float = 0.02,
    noise: float = 5e-4,
    holes: int = 4,
    debris: int = 1,
    seed: int = 0,
) -> trimesh.Trimesh:
    """`mesh` as a textured reconstruction has it: noisy, split along UV seams, cracked.

    Faces are grouped into charts (by dominant normal direction and a `chart_size` grid) and
    every chart gets its own copies of its vertices, off by float32-like rounding (0.2 µm),
    so the indexed mesh falls apart; `holes` random triangles are removed and `debris` tiny
    specks float beside it.
    """
    rng = np.random.default_rng(seed)
    faces = np.asarray(mesh.faces)
    normals = mesh.face_normals
    axis = np.argmax(np.abs(normals), axis=1)
    side = normals[np.arange(len(faces)), axis] > 0
    cells = np.floor(mesh.triangles_center / chart_size).astype(np.int64)
    _, chart = np.unique(np.column_stack([axis * 2 + side, cells]), axis=0, return_inverse=True)
    vertices = mesh.vertices + rng.normal(0.0, noise, mesh.vertices.shape)
    copies, index = np.unique(
        np.column_stack([np.repeat(chart.ravel(), 3), faces.ravel()]), axis=0, return_inverse=True
    )
    split = vertices[copies[:, 1]] + rng.normal(0.0, 2e-7, (len(copies), 3))
    keep = np.ones(len(faces), dtype=bool)
    keep[rng.choice(len(faces), holes, replace=False)] = False
    parts = [trimesh.Trimesh(split, index.reshape(-1, 3)[keep], process=False)]
    for _ in range(debris):
        speck = trimesh.creation.icosphere(subdivisions=0, radius=5e-4)
        speck.apply_translation(mesh.bounds[1] + 0.01 * rng.random(3))
        parts.append(speck)
    scan = trimesh.util.concatenate(parts)
    assert isinstance(scan, trimesh.Trimesh)
    return scan


class HalvingDecomposer:
    """A fast stand-in for CoACD: two hulls, the halves along the longest axis."""

    def __init__(self) -> None:
        self.calls = 0

    @property
    def name(self) -> str:
        return "halving-test"

    def decompose(
        self, vertices: np.ndarray, faces: np.ndarray, params: DecompositionParams
    ) -> list[RawHull]:
        self.calls += 1
        axis = int(np.argmax(np.ptp(vertices, axis=0)))
        middle = float(np.median(vertices[:, axis]))
        out = []
        for keep in (vertices[:, axis] <= middle, vertices[:, axis] >= middle):
            piece = hull_piece(vertices[keep], params.max_hull_vertices)
            if piece is not None:
                out.append((piece.vertices, piece.faces))
        return out


class CountingCoacd(CoacdDecomposer):
    """CoACD that counts how often it really ran."""

    def __init__(self) -> None:
        self.calls = 0

    def decompose(
        self, vertices: np.ndarray, faces: np.ndarray, params: DecompositionParams
    ) -> list[RawHull]:
        self.calls += 1
        return super().decompose(vertices, faces, params)


class Meshes:
    """The mesh builders, handed to tests through the `meshes` fixture."""

    cup = staticmethod(cup_mesh)
    table = staticmethod(table_mesh)
    room = staticmethod(room_mesh)
    scan_like = staticmethod(scan_like)


@pytest.fixture
def meshes() -> type[Meshes]:
    """Builders of test meshes: cup(), table(), room(), scan_like(mesh)."""
    return Meshes


@pytest.fixture
def counting_coacd() -> CountingCoacd:
    """The real CoACD decomposer, counting its runs."""
    return CountingCoacd()


@pytest.fixture
def halving() -> HalvingDecomposer:
    """A fresh fast fake decomposer."""
    return HalvingDecomposer()


@pytest.fixture(autouse=True)
def _no_llm_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches a real LLM or Secret Manager; breakers start closed."""
    for name in ("GEMINI_API_KEY", "OPENAI_API_KEY", "GOOGLE_CLOUD_PROJECT", "PRODUCTION_MODE"):
        monkeypatch.delenv(name, raising=False)
    reset_breakers()


SceneBuilder = Callable[..., Path]


@pytest.fixture
def scene_factory(tmp_path: Path) -> SceneBuilder:
    """Build a scene folder: the sample manifest's robot and table, plus given objects.

    Call as `scene_factory({"table_1": mesh, "mug_1": mesh, ...}, extra=[...])` where the
    dict replaces the sample objects' meshes and `extra` adds objects as
    (id, category, sim_role, mesh) tuples.
    """
    counter = {"n": 0}

    def build(
        meshes: dict[str, trimesh.Trimesh] | None = None,
        extra: list[tuple[str, str, str, trimesh.Trimesh]] = (),  # type: ignore[assignment]
    ) -> Path:
        counter["n"] += 1
        scene = tmp_path / f"scene{counter['n']}"
        data = sample_manifest_dict()
        chosen = {"table_1": table_mesh(), "mug_1": cup_mesh(), **(meshes or {})}
        for obj_id, category, role, _ in extra:
            data["objects"].append(_object(obj_id, category, role))
        for obj in data["objects"]:
            mesh = chosen.get(obj["id"]) or next(m for i, _, _, m in extra if i == obj["id"])
            path = scene / obj["asset"]["mesh_path"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(mesh.export(file_type="glb"))
            obj["asset"]["sha256"] = sha256_file(path)
        (scene / "assets" / "scene_manifest.json").write_text(json.dumps(data, indent=2))
        return scene

    return build


def _object(obj_id: str, category: str, role: str) -> dict[str, Any]:
    return {
        "id": obj_id,
        "category": category,
        "sim_role": role,
        "transform": {"position": [0.2, 0.1, 0.75]},
        "asset": {"mesh_path": f"assets/{obj_id}/mesh.glb", "format": "glb", "sha256": "0" * 64},
        "dimensions": [0.1, 0.1, 0.1],
        "semantics": {"label": category, "class_name": category},
        "provenance": {"source_id": f"{category}__(1, 2)", "pose_source": "similarity_fit"},
    }
