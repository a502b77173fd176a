"""Validation of the export: JSON Schemas, Aligned.usd with pxr, grasp pickles, file hashes."""

from __future__ import annotations

import json
import pickle
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
from pxr import Usd, UsdGeom, UsdPhysics

from tools.geniesim_format import assets as fmt
from tools.provenance import sha256_file
from tools.scene_layout import GENIESIM_EXPORT_DIR
from tools.steps import Check, StepContext, Validation, checks_report

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
# Which schema each exported JSON file follows, by file name or folder.
SCHEMAS = {
    "task_config": "task_config.schema.json",
    "object_parameters": "object_parameters.schema.json",
    "interaction": "interaction.schema.json",
    "grasp_pose": "grasp_pose.schema.json",
    "scene_graph": "scene_graph.schema.json",
    "asset_index": "asset_index.schema.json",
}


@cache
def schema_validator(kind: str) -> jsonschema.protocols.Validator:
    """A checked Draft 2020-12 validator for one of SCHEMAS."""
    schema = json.loads((SCHEMA_DIR / SCHEMAS[kind]).read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_problems(kind: str, document: Any, source: str) -> list[str]:
    """Every schema violation of a document, as `<source>: <path>: <message>` lines."""
    problems = []
    for error in schema_validator(kind).iter_errors(document):
        where = "/".join(str(p) for p in error.absolute_path) or "<root>"
        problems.append(f"{source}: {where}: {error.message}")
    return problems


def _kind_of(rel: str) -> str | None:
    name = rel.rsplit("/", 1)[-1]
    if rel.startswith(f"{fmt.TASKS_DIR}/") and name.endswith(".json"):
        return "task_config"
    return {
        fmt.OBJECT_PARAMETERS: "object_parameters",
        fmt.INTERACTION_JSON: "interaction",
        fmt.SCENE_GRAPH: "scene_graph",
        fmt.ASSET_INDEX: "asset_index",
    }.get(name)


def aligned_usd_problems(path: Path, source: str) -> list[str]:
    """Aligned.usd opens, is in metres and Z-up, and has meshes under a default prim."""
    stage = Usd.Stage.Open(str(path))
    if stage is None:
        return [f"{source}: does not open"]
    problems = []
    root = stage.GetDefaultPrim()
    if not root:
        problems.append(f"{source}: no default prim")
    elif not any(p.IsA(UsdGeom.Mesh) for p in Usd.PrimRange(root)):
        problems.append(f"{source}: no mesh")
    if UsdGeom.GetStageMetersPerUnit(stage) != 1.0 or UsdGeom.GetStageUpAxis(stage) != "Z":
        problems.append(f"{source}: not metres / Z-up")
    if root and root.HasAPI(UsdPhysics.RigidBodyAPI):
        mass = UsdPhysics.MassAPI(root).GetMassAttr().Get()
        if mass is None or not mass > 0:
            problems.append(f"{source}: rigid body without a positive mass")
    return problems


def grasp_problems(path: Path, source: str) -> list[str]:
    """grasp_pose.pkl follows its schema and holds proper rigid transforms."""
    with path.open("rb") as handle:
        data = pickle.load(handle)  # noqa: S301 - our own file, written by this step
    problems = schema_problems("grasp_pose", data, source)
    if problems:
        return problems
    poses, widths = np.asarray(data["grasp_pose"]), np.asarray(data["width"])
    if len(poses) != len(widths):
        problems.append(f"{source}: {len(poses)} poses but {len(widths)} widths")
    rotations = poses[:, :3, :3]
    identity = np.broadcast_to(np.eye(3), rotations.shape)
    if not np.allclose(rotations @ rotations.transpose(0, 2, 1), identity, atol=1e-5):
        problems.append(f"{source}: a rotation is not orthonormal")
    if not np.allclose(poses[:, 3], [0.0, 0.0, 0.0, 1.0]):
        problems.append(f"{source}: a pose's last row is not [0, 0, 0, 1]")
    return problems


def export_problems(root: Path) -> list[str]:
    """Every problem of an export folder (empty: valid).

    Args:
        root: the export folder (`geniesim/export/`, Genie Sim's `$SIM_ASSETS`).

    Returns:
        One line per problem.
    """
    index_path = root / fmt.ASSET_INDEX
    if not index_path.is_file():
        return [f"{fmt.ASSET_INDEX}: missing"]
    problems: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        kind = _kind_of(rel)
        if kind is not None and path.suffix == ".json":
            problems += schema_problems(kind, json.loads(path.read_text()), rel)
        elif path.name == fmt.ALIGNED_USD:
            problems += aligned_usd_problems(path, rel)
        elif rel.endswith(fmt.GRASP_POSE_FILE):
            problems += grasp_problems(path, rel)
    index = json.loads(index_path.read_text())
    for rel, digest in index.get("files", {}).items():
        path = root / rel
        if not path.is_file() or sha256_file(path) != digest:
            problems.append(f"{rel}: missing or changed since the index was written")
    for entry in index.get("objects", []):
        for key in ("aligned_usd", "object_parameters", "interaction"):
            if not (root / entry[key]).is_file():
                problems.append(f"{entry[key]}: listed in the index but missing")
    return problems


def validate_export(ctx: StepContext) -> Validation:
    """Validate `geniesim/export/` (the step's validation hook).

    Args:
        ctx: the step context.

    Returns:
        {"ok": bool, "checks": [Check.as_dict()]}.
    """
    problems = export_problems(ctx.scene_dir / GENIESIM_EXPORT_DIR)
    detail = f"{len(problems)} problem(s)" if problems else "export complete and consistent"
    return checks_report(
        [Check("geniesim_export", not problems, detail, problems=tuple(problems[:50]))]
    )
