"""Benchmark the room colliders (floor and walls of the room mesh) on realistic mock scenes.

Usage:
    python bench/bench_room_colliders.py                    # 3 environments x seeds 0-2
    python bench/bench_room_colliders.py --seeds 0 --keep DIR

Generates each scene with the realistic profile (a dense, bumpy, ragged Poisson-like room of
~120k triangles), ingests it, finds the room's planes in the room asset exactly as simready
does (`room_colliders.room_surfaces`), maps them into the manifest's world frame and prints
one row per scene: the floor's tilt, its height at the room's centre and over its extent
(the world floor is z = 0), the top of its slab in the world (the usd step uses the slab as
the floor collider when within 2 cm of z = 0), walls found against the mock's three (back,
left, right), the worst wall tilt, the error of the distance between the opposite walls once
the ingest's metric-scale error is divided out, and the time of `room_slabs` (wall clock and
CPU: on a shared machine the wall clock mostly measures the wait).
Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from fixtures.generate_mock_regen3d import generate_mock_scene
from regen3d_ingest_job.evaluation import evaluate_scene
from regen3d_ingest_job.ingest import IngestOptions, ingest_scene
from simready_job.mesh_io import load_triangles
from simready_job.room_colliders import PlaneParams, room_slabs, room_surfaces
from simready_job.room_planes import Plane
from tools.scene_manifest import SimRole, load_manifest

ENVIRONMENTS = ("kitchen", "office", "warehouse")
MOCK_WALLS = 3  # the realistic room has back, left and right walls
GOALS = {"tilt_deg": 1.0, "height_m": 0.01, "slab_top_m": 0.02, "width_m": 0.02, "cpu_s": 1.0}
HEADER = (
    f"{'scene':<14}{'tris':>8}{'tilt°':>7}{'z mm':>7}{'z range mm':>13}{'slab mm':>8}{'walls':>7}"
    f"{'wall°':>7}{'width cm':>9}{'slabs s':>8}{'cpu s':>7}{'ingest s':>9}"
)


@dataclass(frozen=True)
class RoomFigures:
    """One scene's room planes in the world frame."""

    triangles: int
    floor_tilt_deg: float
    floor_z_centre_m: float
    floor_z_range_m: tuple[float, float]
    slab_top_m: float
    walls: int
    wall_tilt_deg: float
    width_error_m: float | None
    slabs_s: float
    slabs_cpu_s: float


def _world(plane: Plane, rotation: np.ndarray, translation: np.ndarray) -> tuple[float, ...]:
    """The plane in the world: (nx, ny, nz, offset)."""
    normal = rotation @ plane.normal
    normal /= np.linalg.norm(normal)
    points = plane.inliers @ rotation.T + translation
    return (*normal, float(np.mean(points @ normal)))


def measure(scene_dir: Path) -> RoomFigures:
    """Find the room planes of an ingested scene and express them in its world frame."""
    manifest = load_manifest(scene_dir)
    room = next(o for o in manifest.objects if o.sim_role == SimRole.BACKGROUND)
    mesh = load_triangles(scene_dir / room.asset.mesh_path, room.asset.format, "room")
    started, cpu = time.perf_counter(), time.process_time()
    slabs = room_slabs(mesh.copy(), PlaneParams(), "room")
    slabs_s, slabs_cpu = time.perf_counter() - started, time.process_time() - cpu
    surfaces = room_surfaces(mesh, PlaneParams())
    w, x, y, z = room.transform.rotation_wxyz
    rotation = Rotation.from_quat([x, y, z, w]).as_matrix() * np.asarray(room.transform.scale)
    translation = np.asarray(room.transform.position)
    low, high = np.asarray(manifest.room_bounds.min), np.asarray(manifest.room_bounds.max)
    if surfaces.floor is None:
        nan = float("nan")
        floor: tuple[float, ...] = (0.0, 0.0, 1.0, nan)
        z_range = (nan, nan)
    else:
        floor = _world(surfaces.floor, rotation, translation)
        extent = surfaces.floor.inliers @ rotation.T + translation
        xy = np.array(
            [[a, b] for a in (extent[:, 0].min(), extent[:, 0].max())
             for b in (extent[:, 1].min(), extent[:, 1].max())]
        )  # fmt: skip
        heights = (floor[3] - xy @ np.asarray(floor[:2])) / floor[2]
        z_range = (float(heights.min()), float(heights.max()))
    centre = (low[:2] + high[:2]) / 2
    walls = [_world(p, rotation, translation) for p in surfaces.walls]
    # The floor slab (first piece) in the world: the usd step takes it for the floor when its
    # top is within 2 cm of z = 0 (tools.sim.usd_completion.floor_colliders).
    slab_top = float("nan")
    if surfaces.floor is not None:
        slab_top = float((slabs.pieces[0].vertices @ rotation.T + translation)[:, 2].max())
    wall_tilt = max((np.degrees(np.arcsin(abs(w[2]))) for w in walls), default=float("nan"))
    return RoomFigures(
        triangles=len(mesh.faces),
        floor_tilt_deg=float(np.degrees(np.arccos(min(1.0, abs(floor[2]))))),
        floor_z_centre_m=float((floor[3] - centre @ np.asarray(floor[:2])) / floor[2]),
        floor_z_range_m=z_range,
        slab_top_m=slab_top,
        walls=len(walls),
        wall_tilt_deg=float(wall_tilt),
        width_error_m=_width_error(scene_dir, walls),
        slabs_s=slabs_s,
        slabs_cpu_s=slabs_cpu,
    )


def _width_error(scene_dir: Path, walls: list[tuple[float, ...]]) -> float | None:
    """Distance between the two opposite walls vs the mock's room width, scale error removed."""
    pairs = [
        (a, b) for i, a in enumerate(walls) for b in walls[i + 1 :] if np.dot(a[:3], b[:3]) < -0.99
    ]
    if not pairs:
        return None
    a, b = pairs[0]
    found = abs(a[3] + b[3])  # normals face each other: offsets have opposite signs
    truth = json.loads((scene_dir / "ground_truth.json").read_text())["room"]["bounds_m"]
    width = truth[1][0] - truth[0][0]
    scale = 1.0 + evaluate_scene(scene_dir).scale_error
    return float(found / scale - width)


def row(scene_id: str, f: RoomFigures, ingest_s: float) -> str:
    """One table row."""
    width = "-" if f.width_error_m is None else f"{100 * f.width_error_m:+.2f}"
    z_range = f"{1e3 * f.floor_z_range_m[0]:+.1f}..{1e3 * f.floor_z_range_m[1]:+.1f}"
    return (
        f"{scene_id:<14}{f.triangles:>8}{f.floor_tilt_deg:>7.3f}{1e3 * f.floor_z_centre_m:>+7.1f}"
        f"{z_range:>13}{1e3 * f.slab_top_m:>+8.1f}{f'{f.walls}/{MOCK_WALLS}':>7}"
        f"{f.wall_tilt_deg:>7.2f}{width:>9}"
        f"{f.slabs_s:>8.2f}{f.slabs_cpu_s:>7.2f}{ingest_s:>9.1f}"
    )


def misses(f: RoomFigures) -> list[str]:
    """The goals this scene misses."""
    found = []
    if not f.floor_tilt_deg <= GOALS["tilt_deg"]:
        found.append("floor tilt")
    if not max(abs(v) for v in f.floor_z_range_m) <= GOALS["height_m"]:
        found.append("floor height")
    if not abs(f.slab_top_m) <= GOALS["slab_top_m"]:
        found.append("floor slab not at z = 0 (the usd step would add a floor box)")
    if f.walls != MOCK_WALLS or not f.wall_tilt_deg <= GOALS["tilt_deg"]:
        found.append("walls")
    if f.width_error_m is None or abs(f.width_error_m) > GOALS["width_m"]:
        found.append("wall positions")
    if f.slabs_cpu_s > GOALS["cpu_s"]:
        found.append("time")
    return found


def main() -> int:
    """Run the benchmark; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--environments", nargs="+", default=list(ENVIRONMENTS))
    parser.add_argument("--keep", type=Path, help="write scenes here instead of a temp dir")
    args = parser.parse_args()
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-room-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        print(HEADER, flush=True)
        for environment in args.environments:
            for seed in args.seeds:
                scene_id = f"{environment}_{seed}"
                scene_dir = generate_mock_scene(
                    scene_id, root, environment, 0, seed, profile="realistic"
                )
                started = time.perf_counter()
                ingest_scene(scene_dir, IngestOptions(seed=seed))
                figures = measure(scene_dir)
                print(row(scene_id, figures, time.perf_counter() - started), flush=True)
                failed += [f"{scene_id}: {m}" for m in misses(figures)]
    goals = ", ".join(f"{k} {v}" for k, v in GOALS.items())
    print(f"goals: {goals}; walls {MOCK_WALLS}")
    for line in failed:
        print(f"MISSED {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
