"""JSON Schema of the scene manifest, generated from the models and kept in sync by a test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.scene_manifest.models import SceneManifest

SCHEMA_FILE = Path(__file__).with_name("scene_manifest.schema.json")


def manifest_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) generated from `SceneManifest`."""
    schema = SceneManifest.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://blueprintpipeline.dev/schemas/scene_manifest.schema.json"
    return schema


def render_schema() -> str:
    """The schema file's exact text."""
    return json.dumps(manifest_json_schema(), indent=2, sort_keys=True) + "\n"


def write_schema(path: Path = SCHEMA_FILE) -> None:
    """Regenerate the committed schema file."""
    path.write_text(render_schema())


if __name__ == "__main__":
    write_schema()
