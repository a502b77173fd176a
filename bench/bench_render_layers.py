"""Camera cost per layer: RGB, RGB+depth, RGB+depth+segmentation at 128² and 256².

Usage:
    python bench/bench_render_layers.py [--scene-dir DIR] [--frames N]

Renders the episodes job's two cameras (scene, wrist) of the synthetic USD tabletop (or
--scene-dir) with tools.sim.render.OffscreenRenderer under MUJOCO_GL (egl by default), with
the scene as modelled and as the renderer draws it by default (tools.sim.render_lod: collision
duplicates not drawn, meshes simplified and built-in shapes coarser by frame size), and
prints, side by side, camera frames per second and the episodes per hour rendering alone would
allow at FRAMES_PER_EPISODE frames of both cameras (physics and encoding not included: compare
with bench/bench_episodes.py for whole episodes).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Literal

from episode_generation_job.backends import CameraConfig, open_backend
from episode_generation_job.testing import write_tabletop_usd
from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.sim.render import OffscreenRenderer

FRAMES_PER_EPISODE = 236  # the tabletop's episodes at 30 fps
LAYERS = {
    "rgb": {},
    "rgb+depth": {"depth": True},
    "rgb+depth+seg": {"depth": True, "segmentation": True},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene-dir", type=Path)
    parser.add_argument("--frames", type=int, default=100, help="frames per camera and case")
    args = parser.parse_args()
    scene_dir = args.scene_dir or write_tabletop_usd(Path(tempfile.mkdtemp()) / "tabletop")
    manifest = load_manifest(scene_dir)
    backend = open_backend("mujoco", scene_dir / SCENE_USD_PATH, manifest, CameraConfig())
    cameras = list(backend._camera_ids.values())  # the job's own two cameras
    print(
        f"{'size':>5} {'layers':>15} {'frames/s wall':>14} {'frames/CPU-s':>13}"
        f" {'episodes/h (render only, wall)':>31}"
    )
    budgets: tuple[int | Literal["auto"] | None, ...] = (None, "auto")
    for size, budget in ((s, b) for s in (128, 256) for b in budgets):
        print(f"scene: {'as modelled' if budget is None else 'lighter render copy (default)'}")
        with OffscreenRenderer(backend.model, size, size, mesh_face_budget=budget) as renderer:
            renderer.render_layers(backend.data, cameras[0], depth=True, segmentation=True)
            for name, layers in LAYERS.items():
                wall, cpu = time.perf_counter(), time.process_time()
                for _ in range(args.frames):
                    for camera in cameras:
                        renderer.render_layers(backend.data, camera, **layers)
                frames = args.frames * len(cameras)
                per_frame = (time.perf_counter() - wall) / frames
                per_cpu = (time.process_time() - cpu) / frames
                episodes = 3600 / (per_frame * FRAMES_PER_EPISODE * len(cameras))
                print(
                    f"{size:>5} {name:>15} {1 / per_frame:>14.1f} {1 / per_cpu:>13.1f}"
                    f" {episodes:>31.0f}"
                )
    backend.close()


if __name__ == "__main__":
    main()
