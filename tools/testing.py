"""Test helpers shipped with the toolkit: a valid sample manifest and a scratch step."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tools.config import JobSettings
from tools.scene_layout import MANIFEST_LAYERS
from tools.scene_manifest import SceneManifest, save_manifest
from tools.steps import StepContext, StepResult, StepSpec

_SHA = "0" * 64


def sample_manifest_dict(scene_id: str = "test_scene") -> dict[str, Any]:
    """A small manifest that satisfies the contract: a table, a mug on it, a robot."""
    base = {
        "schema_version": "1.0.0",
        "scene_id": scene_id,
        "room_bounds": {"min": [-2.0, -2.0, 0.0], "max": [2.0, 2.0, 2.5]},
        "objects": [
            {
                "id": "table_1",
                "category": "table",
                "sim_role": "static",
                "transform": {"position": [0.0, 0.0, 0.0]},
                "asset": {"mesh_path": "assets/table_1/mesh.glb", "format": "glb", "sha256": _SHA},
                "dimensions": [1.2, 0.8, 0.75],
                "semantics": {"label": "table", "class_name": "table"},
                "provenance": {"source_id": "table__(10, 20)", "pose_source": "similarity_fit"},
            },
            {
                "id": "mug_1",
                "category": "mug",
                "sim_role": "manipulable",
                "transform": {
                    "position": [0.1, 0.0, 0.75],
                    "rotation_wxyz": [0.7071067811865476, 0.0, 0.0, 0.7071067811865476],
                },
                "asset": {"mesh_path": "assets/mug_1/mesh.glb", "format": "glb", "sha256": _SHA},
                "dimensions": [0.12, 0.09, 0.1],
                "semantics": {"label": "coffee mug", "class_name": "mug"},
                "relationships": [{"type": "on_top_of", "target": "table_1"}],
                "provenance": {
                    "source_id": "coffee_mug__(30, 40)",
                    "pose_source": "similarity_fit",
                },
            },
        ],
        "robot": {
            "type": "franka_panda",
            "base_pose": {"position": [-0.6, 0.0, 0.0]},
            "work_surface": "table_1",
        },
        "provenance": {"source": "3d-re-gen", "data_source": "mock-fixture", "seed": 0},
    }
    return copy.deepcopy(base)


def rewrite_manifest(scene_dir: Path, manifest: SceneManifest) -> None:
    """Make `manifest` the scene's one manifest file, its layers removed: a hand-edited scene
    (or one from before layers), which every reader loads as it is."""
    save_manifest(scene_dir, manifest)
    for path in MANIFEST_LAYERS.values():
        (scene_dir / path).unlink(missing_ok=True)


def scratch_step(
    name: str,
    run: Any,
    *,
    depends_on: tuple[str, ...] = (),
    inputs: tuple[str, ...] = (),
    outputs: tuple[str, ...] = (),
    validate: Any = None,
    order: int = 100,
) -> StepSpec:
    """A step built from a plain function, for runner tests."""

    def _run(ctx: StepContext) -> StepResult:
        result = run(ctx)
        return dict(result) if isinstance(result, dict) else {}

    return StepSpec(
        name=name,
        job=f"{name}-job",
        run=_run,
        settings_cls=JobSettings,
        depends_on=depends_on,
        inputs=inputs,
        outputs=outputs,
        validate=validate,
        order=order,
    )
