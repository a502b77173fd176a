"""Shared fixtures for the mock 3D-RE-GEN generator tests: generated scenes and readers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

from fixtures.mock_regen3d import generate_mock_scene

# (environment, extra objects, seed): small scenes, one with extras on every kind of support.
SCENES = [("kitchen", 0, 11), ("office", 12, 12), ("warehouse", 60, 13)]


@dataclass
class MockScene:
    """A generated scene on disk plus cached readers (the tests may read the ground truth)."""

    path: Path
    truth: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.truth = json.loads((self.path / "ground_truth.json").read_text())

    @property
    def root(self) -> Path:
        return self.path / "regen3d"

    def posed(self, object_id: str) -> trimesh.Trimesh:
        """The posed object mesh (scene frame), loaded without any processing."""
        path = self.root / "output" / "glb" / f"{object_id}.glb"
        mesh = trimesh.load(path, process=False, force="mesh")
        assert isinstance(mesh, trimesh.Trimesh)
        return mesh

    def to_world(self, scene_points: np.ndarray) -> np.ndarray:
        """Scene-frame points to the metric world frame, using the ground truth."""
        pose = np.asarray(self.truth["camera"]["world_from_camera"])
        metric = np.asarray(scene_points) * self.truth["metric_scale"]
        return np.asarray(metric @ pose[:3, :3].T + pose[:3, 3], dtype=np.float64)

    @cached_property
    def world_meshes(self) -> dict[str, trimesh.Trimesh]:
        """Every object's posed mesh moved into the metric world frame."""
        meshes = {}
        for object_id in self.truth["objects"]:
            mesh = self.posed(object_id)
            meshes[object_id] = trimesh.Trimesh(
                self.to_world(mesh.vertices), mesh.faces, process=False
            )
        return meshes


@pytest.fixture(scope="session")
def scene_cache() -> dict[tuple[str, int, int], MockScene]:
    """Scenes generated once per session, keyed by (environment, extra objects, seed)."""
    return {}


@pytest.fixture(scope="session", params=SCENES, ids=[s[0] for s in SCENES])
def mock_scene(
    request: pytest.FixtureRequest,
    scene_cache: dict[tuple[str, int, int], MockScene],
    tmp_path_factory: pytest.TempPathFactory,
) -> MockScene:
    """One generated scene per environment."""
    environment, extra, seed = request.param
    key = (environment, extra, seed)
    if key not in scene_cache:
        out = tmp_path_factory.mktemp(f"mock-{environment}")
        scene_cache[key] = MockScene(
            generate_mock_scene(f"{environment}_scene", out, environment, extra, seed)
        )
    return scene_cache[key]
