"""`python -m tools.scene_manifest SCENE_DIR`: print the merged manifest (base and layers)."""

from __future__ import annotations

import sys
from pathlib import Path

from tools.errors import InputError
from tools.scene_manifest.loader import load_manifest, manifest_to_json


def main(argv: list[str] | None = None) -> int:
    """Print the scene's merged, validated manifest; one line and exit 2 when it is bad."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tools.scene_manifest SCENE_DIR", file=sys.stderr)
        return 2
    try:
        manifest = load_manifest(Path(args[0]))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(manifest_to_json(manifest).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
