"""Grasps bench: antipodal grasps per object, sampling time and cache hit time, on fresh mock
scenes, next to the box rules' verdict (`tools.tasks.skills.grasp_skill`).

Usage:
    python bench/bench_grasps.py [--scenes kitchen:190,office:191,warehouse:192]
                                 [--robots franka_panda,xarm6] [--workdir DIR] [--reuse]

For each scene: generate it (`fixtures.generate_mock_regen3d`'s generator), ingest it and run
simready (its collision hulls, mass and friction), then for every manipulable object and robot
gripper sample its grasps (`tools.grasps`) into an empty cache folder (a miss: the sampling
time), read them back from disk in a fresh in-process cache (a hit), keep those clear of the
support it stands on, and print per object the grasps by approach (top/angled/side), how many
stay where it stands (clear of neighbours within 40 cm and of its support, reachable with IK
from the scene's robot base on its pedestal, `tools.grasps.reach`), the rules' grasp of its
upright oriented box (pinch/rim/side or -), and per scene and robot: objects, held by the
rules, held by the sampler, held only by the sampler (the rules say too wide or too tall),
with a grasp in the scene, sampling, hit and scene-check time. `--reuse` skips building
scenes the workdir already holds (simready done). Seeds are printed; pick ones nobody tuned on.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import trimesh

from fixtures.mock_regen3d import generate_mock_scene
from regen3d_ingest_job.ingest import IngestOptions, ingest_scene
from simready_job.simready import run_simready
from tools.grasps.antipodal import DEFAULT_SETTINGS, scene_clear
from tools.grasps.cache import cached_grasps, forget_memory, load_hull_vertices
from tools.grasps.gripper_model import GRIPPERS
from tools.grasps.reach import ik_reachable, object_pose, world_points
from tools.robots import robot_description
from tools.scene_layout import SIMREADY_LAYER_PATH
from tools.scene_manifest import SceneManifest, SceneObject, SimRole, load_manifest
from tools.sim.robots.kinematics import ArmKinematics
from tools.sim.robots.registry import sim_robot
from tools.tasks.geometry import ObjectBox
from tools.tasks.rims import load_rim
from tools.tasks.skills import grasp_skill

FREE = (SimRole.MANIPULABLE, SimRole.DISTRACTOR)


def _build(root: Path, environment: str, seed: int, reuse: bool) -> Path:
    if reuse and (root / f"{environment}_{seed}" / SIMREADY_LAYER_PATH).is_file():
        return root / f"{environment}_{seed}"
    scene = generate_mock_scene(f"{environment}_{seed}", root, environment, seed=seed)
    ingest_scene(scene, IngestOptions(seed=seed))
    run_simready(scene)
    return scene


def _rule(scene: Path, obj: SceneObject, hulls: list[np.ndarray], robot: str) -> str | None:
    """The box rules' grasp of the hulls' upright oriented box (None: none fits)."""
    every = np.vstack(hulls)
    _, extents = trimesh.bounds.oriented_bounds_2D(every[:, :2])
    height = float(every[:, 2].max() - every[:, 2].min())
    half = (float(extents[0]) / 2, float(extents[1]) / 2, height / 2)
    box = ObjectBox(obj.id, (0.0, 0.0, 0.0), half, 0.0)
    rim = load_rim(scene, obj.asset.collision_paths)
    physics = obj.physics
    held = (  # as tools.tasks.rest_scene
        rim is not None
        and physics is not None
        and rim.carried(physics.mass_kg, physics.center_of_mass) is not None
    )
    width = robot_description(robot).max_grasp_width_m
    return grasp_skill(box, obj.category, width, has_rim=held)


def _neighbour_points(scene: Path, manifest: SceneManifest) -> dict[str, np.ndarray]:
    """Every object's world surface points (unscaled objects with OBJ hulls)."""
    points = {}
    for obj in manifest.objects:
        hulls = load_hull_vertices(scene, obj.asset.collision_paths)
        if hulls and all(abs(v - 1.0) < 1e-9 for v in obj.transform.scale):
            points[obj.id] = world_points(hulls, object_pose(obj.transform))
    return points


def _scene(scene: Path, robots: list[str], cache_root: Path) -> list[dict[str, float]]:
    manifest = load_manifest(scene)
    everyone = _neighbour_points(scene, manifest)
    base = manifest.robot.base_pose
    # On a pedestal flush with its work surface, as the episodes mount it (tools.tasks.robot_mount).
    surface = manifest.robot.work_surface
    height = base.position[2]
    if surface in everyone:
        height = max(height, float(everyone[surface][:, 2].max()))
    base_position = (base.position[0], base.position[1], height)
    rows = []
    for robot in robots:
        gripper = GRIPPERS[robot]
        kinematics = ArmKinematics(sim_robot(robot), base_position, base.rotation_wxyz)
        reachable = ik_reachable(kinematics)
        stats = {"objects": 0, "rules": 0, "sampler": 0, "only_sampler": 0, "only_rules": 0,
                 "in_scene": 0, "near_base": 0}  # fmt: skip
        cold, hits, counts, ik = [], [], [], []
        for obj in manifest.objects:
            hulls = load_hull_vertices(scene, obj.asset.collision_paths)
            if obj.sim_role not in FREE or obj.id not in everyone:
                continue
            com, settings = None, DEFAULT_SETTINGS
            if obj.physics is not None:  # as the Genie Sim export samples it
                com = obj.physics.center_of_mass
                friction = max(obj.physics.static_friction, 0.05)
                settings = replace(settings, friction=friction, mass_kg=obj.physics.mass_kg)
            folder = cache_root / robot
            forget_memory()
            start = time.perf_counter()
            grasps, hit = cached_grasps(hulls, gripper, com, settings, folder)
            cold.append(time.perf_counter() - start)
            forget_memory()
            start = time.perf_counter()
            again, hit_again = cached_grasps(hulls, gripper, com, settings, folder)
            hits.append(time.perf_counter() - start)
            assert not hit and hit_again and len(again) == len(grasps)
            # Standing on its support (the hulls' bottom): grasps into the support go.
            bottom = float(np.vstack(hulls)[:, 2].min())
            grasps = scene_clear(grasps, gripper, np.eye(4), np.zeros((0, 3)), bottom)
            rule = _rule(scene, obj, hulls, robot)
            # Where it stands: neighbours within 40 cm, its support, the arm's IK from its base.
            pose = object_pose(obj.transform)
            near = [p for k, p in everyone.items() if k != obj.id
                    and np.linalg.norm(p.mean(axis=0) - pose[:3, 3]) < 0.4]  # fmt: skip
            obstacles = np.vstack(near) if near else np.zeros((0, 3))
            start = time.perf_counter()
            support = float(everyone[obj.id][:, 2].min())
            placed = scene_clear(grasps, gripper, pose, obstacles, support, reachable)
            ik.append(time.perf_counter() - start)
            stats["in_scene"] += len(placed) > 0
            away = float(np.hypot(*(pose[:2, 3] - np.asarray(base.position[:2]))))
            stats["near_base"] += away <= robot_description(robot).reach_radius_m
            stats["objects"] += 1
            stats["rules"] += rule is not None
            stats["sampler"] += len(grasps) > 0
            stats["only_sampler"] += rule is None and len(grasps) > 0
            stats["only_rules"] += rule is not None and len(grasps) == 0
            counts.append(len(grasps))
            kinds = " ".join(f"{k} {v}" for k, v in grasps.counts().items())
            print(f"    {robot:13s} {obj.id:28s} {obj.category:12s} rules {rule or '-':5s} "
                  f"grasps {len(grasps):3d} ({kinds}), in the scene {len(placed):2d}  "
                  f"sample {cold[-1]:5.2f} s  "
                  f"hit {1000 * hits[-1]:5.1f} ms")  # fmt: skip
        if not counts:
            continue
        print(f"  {scene.name} {robot}: {stats['objects']} objects, rules hold {stats['rules']}, "
              f"sampler holds {stats['sampler']} (only the sampler {stats['only_sampler']}, only "
              f"the rules {stats['only_rules']}), with a grasp clear and in reach where it stands "
              f"{stats['in_scene']} (of {stats['near_base']} within the arm's reach radius of "
              f"the base); grasps/object {statistics.mean(counts):.1f}; "
              f"sample {statistics.mean(cold):.2f} s mean, {max(cold):.2f} s max; cache hit "
              f"{1000 * statistics.mean(hits):.1f} ms mean; scene+IK check "
              f"{statistics.mean(ik):.2f} s mean")  # fmt: skip
        rows.append({**stats, "sample_s": sum(cold), "hit_s": sum(hits), "n": len(cold)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", default="kitchen:190,office:191,warehouse:192")
    parser.add_argument("--robots", default="franka_panda,xarm6")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="reuse scenes built in --workdir")
    args = parser.parse_args(argv)
    root = args.workdir or Path(tempfile.mkdtemp(prefix="bench_grasps_"))
    robots = args.robots.split(",")
    print(f"scenes {args.scenes}; robots {args.robots}; settings {DEFAULT_SETTINGS}; in {root}")
    total: list[dict[str, float]] = []
    for item in args.scenes.split(","):
        environment, seed = item.split(":")
        scene = _build(root, environment, int(seed), args.reuse)
        total.extend(_scene(scene, robots, root / f"grasp-cache-{scene.name}"))
    n = sum(r["n"] for r in total)
    if n:
        print(f"all: {n} object x robot samplings, held by the rules "
              f"{sum(r['rules'] for r in total):.0f}, by the sampler "
              f"{sum(r['sampler'] for r in total):.0f} (only the sampler "
              f"{sum(r['only_sampler'] for r in total):.0f}, only the rules "
              f"{sum(r['only_rules'] for r in total):.0f}), clear and in reach where they stand "
              f"{sum(r['in_scene'] for r in total):.0f} (of "
              f"{sum(r['near_base'] for r in total):.0f} within the reach radius); sample "
              f"{sum(r['sample_s'] for r in total) / n:.2f} s/object, cache hit "
              f"{1000 * sum(r['hit_s'] for r in total) / n:.1f} ms/object")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
