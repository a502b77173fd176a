"""The UsdPhysics parse check in a child process with one pxr worker thread.

usd-core 25.11's `LoadUsdPhysicsFromRange` can corrupt the heap when one rigid body has many
colliders (a race in its multithreaded collider parsing, fixed in OpenUSD 26.05; usd-core
cannot be upgraded here because mujoco-usd 4.0 pins 25.11). Measured on the 1,017-object mock
kitchen: 2 of 5 processes crashed within 20 parses; with `PXR_WORK_THREAD_LIMIT=1` set before
pxr loads, 0 of 240 parses. The limit must be set before pxr is imported, hence a child
process; a child that still dies by a signal is retried once, then reported as a failed
check rather than taking the job down.

Usage (what the parent runs): python -m usd_assembly_job.isolated_parse SCENE_DIR
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tools.scene_layout import SCENE_USD_PATH
from tools.scene_manifest import load_manifest
from tools.steps import Check
from usd_assembly_job.usd_checks import check_physics_parse
from usd_assembly_job.usd_files import open_stage

THREAD_LIMIT_VAR = "PXR_WORK_THREAD_LIMIT"
_ATTEMPTS = 2
_TIMEOUT_S = 600


def child_command(scene_dir: Path) -> list[str]:
    """The child's command line."""
    return [sys.executable, "-m", "usd_assembly_job.isolated_parse", str(scene_dir)]


def check_physics_parse_isolated(scene_dir: Path) -> Check:
    """`usd_checks.check_physics_parse` on the scene, run in a single-threaded child.

    Args:
        scene_dir: the scene folder (usd/scene.usda and the manifest).

    Returns:
        The check; a failed check naming the signal if every child crashed.
    """
    env = dict(os.environ, **{THREAD_LIMIT_VAR: "1"})
    command = child_command(scene_dir)
    outcome = "no attempt"
    for _ in range(_ATTEMPTS):
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
        )
        if done.returncode == 0:
            return Check.from_dict(json.loads(done.stdout))
        outcome = (
            f"crashed with signal {-done.returncode}"
            if done.returncode < 0
            else f"exited with {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
        )
    return Check("physics_parse", False, f"the UsdPhysics parse {outcome} ({_ATTEMPTS} tries)")


def main(argv: list[str]) -> int:
    """Child side: print the check as JSON on stdout."""
    scene_dir = Path(argv[0])
    result = check_physics_parse(open_stage(scene_dir / SCENE_USD_PATH), load_manifest(scene_dir))
    print(json.dumps(result.as_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
