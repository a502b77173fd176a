"""Files of the bundle: JSON written the same way every time, the script, README and metadata."""

from __future__ import annotations

import contextlib
import json
import os
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from pydantic import BaseModel

from tools.provenance import sha256_file, tool_versions
from tools.randomization.config import BundleConfig
from tools.randomization.layout import (
    BUNDLE_SCHEMA_VERSION,
    METADATA_PATH,
    README_PATH,
    SCRIPT_PATH,
    config_path,
    samples_path,
)
from tools.scene_layout import MANIFEST_FILES, REPLICATOR_DIR, SCENE_USD_PATH

GENERATOR = "replicator-job"
SCRIPT_SOURCE = "isaac_replicator_script.py"
README_TEMPLATE = "bundle_readme.md"


def write_json(path: Path, value: BaseModel | dict[str, Any]) -> None:
    """Write sorted, indented JSON atomically (same value, same bytes).

    Args:
        path: the file.
        value: a pydantic model (dumped in JSON mode) or a JSON-ready dict.
    """
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def script_text() -> str:
    """Source of the Isaac Sim Replicator script shipped with this package."""
    return resources.files("replicator_job").joinpath(SCRIPT_SOURCE).read_text()


def write_script(scene_dir: Path) -> str:
    """Copy the Replicator script into the bundle.

    Args:
        scene_dir: the scene folder.

    Returns:
        The script's scene-relative path.
    """
    path = scene_dir / SCRIPT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script_text())
    return SCRIPT_PATH


def _policy_rows(configs: dict[str, BundleConfig]) -> str:
    rows = []
    for policy, config in sorted(configs.items()):
        r = config.randomizers
        rows.append(
            f"| `{policy}` | {config.task.description} | {len(r.object_scatter.objects)} | "
            f"{r.distractors.count[0]} to {r.distractors.count[1]} | `{config_path(policy)}` |"
        )
    return "\n".join(rows)


def write_readme(
    scene_dir: Path, scene_id: str, seed: int, configs: dict[str, BundleConfig]
) -> str:
    """Render the bundle README for this scene.

    Args:
        scene_dir: the scene folder.
        scene_id: the scene id.
        seed: the bundle seed.
        configs: the written configs by policy.

    Returns:
        The README's scene-relative path.
    """
    template = Template(resources.files("replicator_job").joinpath(README_TEMPLATE).read_text())
    first = sorted(configs)[0] if configs else "pick_and_place"
    text = template.substitute(
        scene_id=scene_id,
        seed=seed,
        policy_rows=_policy_rows(configs) or "| (none) | the scene supports no policy | | | |",
        first_config=config_path(first),
        first_samples=samples_path(first),
        script=SCRIPT_PATH,
    )
    path = scene_dir / README_PATH
    path.write_text(text)
    return README_PATH


def bundle_metadata(
    scene_dir: Path,
    scene_id: str,
    seed: int,
    policies: list[str],
    extra: dict[str, Any],
) -> dict[str, Any]:
    """Versions, input and output hashes, seed and policies of the bundle.

    Args:
        scene_dir: the scene folder (bundle files already written).
        scene_id: the scene id.
        seed: the bundle seed.
        policies: the policies with a config.
        extra: further JSON-ready entries (regions count, LLM record, ...).

    Returns:
        The metadata (hashes of every bundle file except the metadata itself).
    """
    from importlib.metadata import PackageNotFoundError, version

    versions = dict(tool_versions())
    with contextlib.suppress(PackageNotFoundError):
        versions["shapely"] = version("shapely")
    bundle = scene_dir / REPLICATOR_DIR
    files = {
        path.relative_to(scene_dir).as_posix(): sha256_file(path)
        for path in sorted(bundle.rglob("*"))
        if path.is_file() and path.relative_to(scene_dir).as_posix() != METADATA_PATH
    }
    return {
        "schema_version": BUNDLE_SCHEMA_VERSION,
        "generator": GENERATOR,
        "scene_id": scene_id,
        "seed": seed,
        "policies": policies,
        "replicator": {
            "module": "omni.replicator.core",
            "script": SCRIPT_PATH,
            "runs_in": "the Isaac Sim container (/isaac-sim/python.sh), 4.5 or later",
        },
        "tool_versions": dict(sorted(versions.items())),
        "inputs_sha256": {
            SCENE_USD_PATH: sha256_file(scene_dir / SCENE_USD_PATH),
            **{
                path: sha256_file(scene_dir / path)
                for path in MANIFEST_FILES
                if (scene_dir / path).is_file()
            },
        },
        "files_sha256": files,
        **extra,
    }


def write_metadata(scene_dir: Path, metadata: dict[str, Any]) -> str:
    """Write bundle_metadata.json (last: it hashes the other files).

    Args:
        scene_dir: the scene folder.
        metadata: from `bundle_metadata`.

    Returns:
        The metadata's scene-relative path.
    """
    write_json(scene_dir / METADATA_PATH, metadata)
    return METADATA_PATH
