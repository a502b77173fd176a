"""Write the pinned Isaac Sim API snapshot from the public Isaac Sim repository at a tag.

Usage:
    git clone --bare https://github.com/isaac-sim/IsaacSim /tmp/IsaacSim.git
    python -m tools.isaacsim_api_check.generate --git-dir /tmp/IsaacSim.git --tag v5.1.0

The default output is the snapshot the conformance test reads (`SNAPSHOT_PATH`); regenerate
it, never edit it, when the image's Isaac Sim release changes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tools.isaacsim_api_check.check import SNAPSHOT_PATH
from tools.isaacsim_api_check.snapshot import build_snapshot
from tools.isaacsim_api_check.source_tree import read_tree


def main(argv: list[str] | None = None) -> int:
    """Read the tree, build the snapshot, write it (sorted, one line per entry level)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--git-dir", type=Path, required=True, help="clone or mirror of IsaacSim")
    parser.add_argument("--tag", default="v5.1.0", help="release tag (default v5.1.0)")
    parser.add_argument("--out", type=Path, default=SNAPSHOT_PATH)
    args = parser.parse_args(argv)
    sys.setrecursionlimit(20_000)  # names resolve through long import chains
    commit, files = read_tree(args.git_dir, args.tag)
    snapshot = build_snapshot(files, tag=args.tag, commit=commit)
    args.out.write_text(json.dumps(snapshot, indent=0, sort_keys=True) + "\n")
    print(
        f"{args.out}: {len(snapshot['modules'])} modules, {len(snapshot['classes'])} classes, "
        f"{len(snapshot['functions'])} functions, {len(snapshot['usages'])} omni/carb calls"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
