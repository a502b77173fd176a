"""Fixtures for the regen3d ingest tests: a small hand-built 3D-RE-GEN tree with known truth."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from fixtures.generate_mock_regen3d import generate_mock_scene
from regen3d_ingest_job.ingest import IngestOptions, ingest_scene


@dataclass(frozen=True)
class SyntheticObject:
    """One object of a synthetic scene: a box of `size` metres standing at `position`."""

    label: str
    pixel: tuple[int, int]
    size: tuple[float, float, float]
    position: tuple[float, float, float]  # world bottom centre, metres
    yaw_deg: float = 0.0
    normalized: bool = True

    @property
    def source_id(self) -> str:
        return f"{self.label}__({self.pixel[0]}, {self.pixel[1]})"


@dataclass(frozen=True)
class SyntheticScene:
    """The written scene and the truth it was built from."""

    scene_dir: Path
    objects: tuple[SyntheticObject, ...]
    metric_scale: float
    gravity_scene: np.ndarray
    camera_height_m: float
    extras: dict[str, object] = field(default_factory=dict)


DEFAULT_OBJECTS = (
    SyntheticObject("dining table", (512, 500), (1.4, 0.8, 0.75), (0.0, 2.6, 0.0), 10.0),
    SyntheticObject("coffee mug", (480, 420), (0.08, 0.08, 0.095), (-0.2, 2.5, 0.75), 35.0),
    SyntheticObject("soda can", (560, 420), (0.066, 0.066, 0.12), (0.3, 2.7, 0.75), -20.0),
    SyntheticObject("counter", (200, 520), (1.8, 0.62, 0.91), (-1.8, 3.2, 0.0), 90.0),
    SyntheticObject("cardboard box", (800, 600), (0.4, 0.3, 0.3), (1.5, 2.0, 0.0), 0.0, False),
)


def box_mesh(size: Sequence[float]) -> trimesh.Trimesh:
    """A box subdivided once, with its bottom centre at the origin (Z-up, metres)."""
    mesh = trimesh.creation.box(extents=size).subdivide()
    mesh.apply_translation([0.0, 0.0, size[2] / 2])
    return mesh


def camera_rotation(pitch_deg: float, yaw_deg: float = 90.0) -> np.ndarray:
    """World-from-camera rotation; columns are the glTF camera axes (right, up, back)."""
    p, y = np.radians(pitch_deg), np.radians(yaw_deg)
    forward = np.array([np.cos(p) * np.cos(y), np.cos(p) * np.sin(y), -np.sin(p)])
    right = np.array([np.sin(y), -np.cos(y), 0.0])
    up = np.cross(right, forward)
    return np.stack([right, up, -forward], axis=1)


def _yaw(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _textured(vertices: np.ndarray, faces: np.ndarray) -> trimesh.Trimesh:
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False)
    uv = np.random.default_rng(0).random((len(vertices), 2))
    image = Image.new("RGB", (8, 8), (200, 120, 40))
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, image=image)
    return mesh


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def build_synthetic_scene(
    scene_dir: Path,
    objects: Sequence[SyntheticObject] = DEFAULT_OBJECTS,
    metric_scale: float = 0.4,
    pitch_deg: float = 25.0,
    camera_height_m: float = 1.45,
    room: bool = True,
    floor_points: bool = True,
) -> SyntheticScene:
    """Write `<scene_dir>/regen3d/` as 3D-RE-GEN would for boxes placed in a metric world."""
    rotation = camera_rotation(pitch_deg)
    position = np.array([0.3, -0.4, camera_height_m])

    def to_scene(world: np.ndarray) -> np.ndarray:
        return (world - position) @ rotation / metric_scale

    root = scene_dir / "regen3d"
    for obj in objects:
        mesh = box_mesh(obj.size)
        world = mesh.vertices @ _yaw(obj.yaw_deg).T + np.asarray(obj.position)
        posed = _textured(to_scene(world), mesh.faces)
        _write(root / "output/glb" / f"{obj.source_id}.glb", posed.export(file_type="glb"))
        if obj.normalized:
            gltf = mesh.vertices[:, [0, 2, 1]] * np.array([1.0, 1.0, -1.0])
            centre = (gltf.min(axis=0) + gltf.max(axis=0)) / 2
            gltf = (gltf - centre) * (2.0 / np.ptp(gltf, axis=0).max())
            canonical = trimesh.Trimesh(vertices=gltf, faces=mesh.faces, process=False)
            path = root / "output/3D" / obj.source_id / f"{obj.source_id}.glb"
            _write(path, canonical.export(file_type="glb"))
    if floor_points:
        grid = np.linspace(-3.0, 3.0, 20)
        xx, yy = np.meshgrid(grid, grid + 3.0)
        floor = np.column_stack([xx.ravel(), yy.ravel(), np.zeros(xx.size)])
        cloud = trimesh.PointCloud(to_scene(floor))
        _write(root / "output/pointclouds/PLANE_SAMPLED.ply", cloud.export(file_type="ply"))
    if room:
        shell = trimesh.creation.box(extents=(8.0, 8.0, 3.0))
        shell.apply_translation([0.0, 2.0, 1.5])
        shell.invert()
        room_mesh = trimesh.Trimesh(to_scene(shell.vertices), shell.faces, process=False)
        _write(
            root / "output/pointclouds/meshed/ground_aligned.glb", room_mesh.export(file_type="glb")
        )
    focal = 900.0
    (root / "output/pre_3D").mkdir(parents=True, exist_ok=True)
    np.savez(
        root / "output/pre_3D/camera.npz",
        extrinsic=np.eye(4),
        focal=np.array(focal),
        image_size=np.array([1024, 768]),
        camera_angle_x=np.array(2 * np.arctan(512 / focal)),
    )
    gravity = rotation.T @ np.array([0.0, 0.0, -1.0])
    return SyntheticScene(scene_dir, tuple(objects), metric_scale, gravity, camera_height_m)


@pytest.fixture
def synthetic_object() -> type[SyntheticObject]:
    """The SyntheticObject class (test modules cannot import conftest)."""
    return SyntheticObject


@pytest.fixture
def make_synthetic_scene(tmp_path: Path) -> Callable[..., SyntheticScene]:
    """Factory: build a synthetic scene under a fresh `tmp_path/<name>` scene directory."""

    def make(name: str = "synthetic_scene", **kwargs: object) -> SyntheticScene:
        return build_synthetic_scene(tmp_path / name, **kwargs)  # type: ignore[arg-type]

    return make


MockScenes = Callable[..., Path]


@pytest.fixture(scope="session")
def pristine_mock_scene(tmp_path_factory: pytest.TempPathFactory) -> MockScenes:
    """Generate each (environment, seed, extra) mock scene once per session; never modify it."""
    root = tmp_path_factory.mktemp("mock_regen3d")
    cache: dict[tuple[str, int, int], Path] = {}

    def get(environment: str = "kitchen", seed: int = 0, extra: int = 0) -> Path:
        key = (environment, seed, extra)
        if key not in cache:
            cache[key] = generate_mock_scene(
                f"{environment}_{seed}_{extra}", root, environment, extra, seed
            )
        return cache[key]

    return get


@pytest.fixture(scope="session")
def ingested_mock_scene(
    pristine_mock_scene: MockScenes, tmp_path_factory: pytest.TempPathFactory
) -> MockScenes:
    """A copy of a mock scene ingested with default options, once per session (read-only)."""
    root = tmp_path_factory.mktemp("ingested")
    cache: dict[tuple[str, int, int], Path] = {}

    def get(environment: str = "kitchen", seed: int = 0, extra: int = 0) -> Path:
        key = (environment, seed, extra)
        if key not in cache:
            source = pristine_mock_scene(environment, seed, extra)
            target = root / source.name
            shutil.copytree(source, target)
            ingest_scene(target, IngestOptions(seed=seed))
            cache[key] = target
        return cache[key]

    return get


@pytest.fixture
def fresh_mock_scene(pristine_mock_scene: MockScenes, tmp_path: Path) -> MockScenes:
    """A private, modifiable copy of a mock scene under `tmp_path` (same scene id)."""

    def get(environment: str = "kitchen", seed: int = 0, extra: int = 0) -> Path:
        source = pristine_mock_scene(environment, seed, extra)
        target = tmp_path / source.name
        shutil.copytree(source, target)
        return target

    return get
