"""A small scene folder with every file the report reads, written with the real formats
(PNG, H.264 mp4, parquet episodes table) so the report's readers meet real bytes."""

import io
import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

SCENE_ID = "tiny_kitchen"
T0 = "2026-12-06T07:00:00+00:00"


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def mp4(frames: int = 12, width: int = 64, height: int = 32) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(30))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            image = np.full((height, width, 3), 20 * i % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def _object(oid, category, role, position, dims, mass=None, hulls=1):
    return {
        "id": oid,
        "category": category,
        "sim_role": role,
        "dimensions": dims,
        "transform": {"position": position, "rotation_wxyz": [0.7071, 0, 0, 0.7071]},
        "physics": {"mass_kg": mass, "material": "wood"},
        "asset": {"collision_paths": [f"assets/{oid}/hull_{i}.obj" for i in range(hulls)]},
    }


def manifest(data_source: str = "mock-fixture") -> dict:
    return {
        "scene_id": SCENE_ID,
        "room_bounds": {"min": [-2.0, -1.0, 0.0], "max": [2.0, 3.0, 2.5]},
        "camera": {"pose": {"position": [0.0, 0.0, 1.5], "rotation_wxyz": [0.85, 0.53, 0, 0]}},
        "robot": {
            "type": "franka_panda",
            "base_pose": {"position": [0.0, 1.0, 0.0], "rotation_wxyz": [1, 0, 0, 0]},
        },
        "provenance": {"data_source": data_source, "seed": 7},
        "objects": [
            _object("table", "table", "static", [0.0, 1.5, 0.0], [1.2, 0.8, 0.75], 30.0, 5),
            _object("cup", "cup", "manipulable", [0.2, 1.4, 0.75], [0.07, 0.07, 0.1], 0.25, 12),
            _object("plate", "plate", "manipulable", [-0.2, 1.6, 0.75], [0.25, 0.25, 0.02], 0.7),
            _object("room", "room", "background", [0.0, 1.0, 0.0], [4.0, 4.0, 2.5], None, 4),
        ],
    }


def markers() -> dict[str, dict]:
    code = {"version": "0.1.0", "git_commit": "abc123", "git_dirty": False}
    record = {
        "data_source": "mock-fixture",
        "code": code,
        "settings": {"SEED": 0},
        "input_sha256": {"assets/scene_manifest.json": "f" * 64},
    }
    return {
        "regen3d.complete.json": {
            "step": "regen3d",
            "completed_at": T0,
            "duration_s": 0.25,
            "result": {
                "objects": 4,
                "dropped": {"lamp_1": "no 3D mesh (floor/wall class)"},
                "manifest_path": "assets/scene_manifest.json",
            },
            "provenance": record,
            "tool_versions": {"python": "3.11.7", "numpy": "2.4.6"},
        },
        "episodes.complete.json": {
            "step": "episodes",
            "completed_at": "2026-12-06T07:05:00+00:00",
            "duration_s": 42.0,
            "result": {"episodes_succeeded": 3},
            "provenance": {**record, "run_fingerprint": "9" * 64},
        },
        "geniesim-export.complete.json": {
            "step": "geniesim-export",
            "completed_at": "2026-12-06T07:06:00+00:00",
            "duration_s": 1.5,
            "result": {
                "tasks": ["tiny__cup_to_plate"],
                "skipped_tasks": {"cup-to-table-right": "goal is a region, not an object"},
                "robot": "G2",
            },
        },
        "geniesim-import.complete.json": {
            "step": "geniesim-import",
            "completed_at": "2026-12-06T07:07:00+00:00",
            "duration_s": 0.5,
            "result": {
                "imported": {"cup_to_plate_0": 0, "cup_to_plate_1": 1},
                "quarantined": {"cup_to_plate_2": ["task failed (task_status=False)"]},
                "success_rate": 0.6667,
                "archive_sha256": "a" * 64,
            },
        },
        "usd.failed-0.json": {
            "step": "usd",
            "failed_at": "2026-12-06T07:01:00+00:00",
            "error_message": "usd/scene.usda: physics scene missing",
            "partial_results": {"stages_written": 2},
        },
    }


def episodes_summary() -> dict:
    return {
        "dataset_episodes": 3,
        "success_rate": 0.6,
        "attempts_this_run": 5,
        "failed_attempts": 2,
        "episodes_per_hour": 250.0,
        "wall_seconds": 43.2,
        "backend": "mujoco",
        "cameras": ["scene", "wrist"],
        "failure_reasons": {"not_lifted": 1, "not_upright": 1},
        "randomization": {"ranges": {"light_intensity": {"min": 1500.0, "max": 4200.0}}},
        "shards": [
            {
                "failed_attempts": {
                    "ep-000000/attempt-0": "not_lifted",
                    "ep-000001/attempt-0": "not_upright",
                }
            }
        ],
    }


def episodes_table() -> pa.Table:
    rows = [
        ("ep-000000", "put the cup on the plate", "cup-to-plate", 0.21, 1.41),
        ("ep-000001", "put the plate on the table", "plate-to-table", -0.19, 1.6),
        ("ep-000002", "put the cup on the plate", "cup-to-plate", 0.18, 1.38),
    ]
    return pa.table(
        {
            "episode_key": [r[0] for r in rows],
            "tasks": [[r[1]] for r in rows],
            "task_id": [r[2] for r in rows],
            "skill": ["place_on" if r[2] == "cup-to-plate" else "place_at_height" for r in rows],
            "target_id": [r[2].split("-")[0] for r in rows],
            "goal_id": [r[2].split("-")[-1] for r in rows],
            "goal_region/centre": [[-0.2, 1.6] for _ in rows],
            "goal_region/half_extents": [[0.1, 0.1] for _ in rows],
            "goal_region/yaw": [0.3 for _ in rows],
            "randomization_values/target_x": [r[3] for r in rows],
            "randomization_values/target_y": [r[4] for r in rows],
        }
    )


def write_scene(root: Path, *, data_source: str = "mock-fixture") -> Path:
    """Every file the report reads, under `root` (returned)."""

    def put(key: str, data: bytes | dict) -> None:
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())

    put("assets/scene_manifest.json", manifest(data_source))
    for name, marker in markers().items():
        put(f".markers/{name}", marker)
    put(
        "reports/validation_report.json",
        {
            "tool_versions": {"python": "3.11.7"},
            "steps": {
                "regen3d": {"ok": True, "checks": [{"name": "manifest", "ok": True}]},
                "usd": {
                    "ok": False,
                    "checks": [
                        {
                            "name": "usd_validation",
                            "ok": False,
                            "detail": "2 errors",
                            "problems": ["prim /World/cup: no mass"],
                            "figures": {"error": 2, "stages": 3},
                        }
                    ],
                },
            },
        },
    )
    put(
        "replicator/placement_regions.json",
        {
            "regions": [
                {
                    "id": "table_s1_0",
                    "kind": "support",
                    "exterior": [[-0.6, 1.1], [0.6, 1.1], [0.6, 1.9], [-0.6, 1.9]],
                }
            ]
        },
    )
    put("regen3d/tmp/converted_from_webp.png", png(1024, 768, (200, 150, 100)))
    put("reports/scene_preview.png", png(640, 480, (90, 90, 90)))
    put("reports/episodes_summary.json", episodes_summary())
    put("reports/episodes_preview.mp4", mp4())
    table_path = root / "episodes/lerobot/meta/episodes/chunk-000/file-000.parquet"
    table_path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(episodes_table(), table_path)
    put("geniesim/export/tasks/tiny__cup_to_plate.json", {"task": "cup_to_plate"})
    return root


@pytest.fixture
def scene_dir(tmp_path: Path) -> Path:
    return write_scene(tmp_path / SCENE_ID)
