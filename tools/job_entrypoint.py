"""The entrypoint module of a job folder: the one module that calls `run_job_main(`.

The one Dockerfile at the repository root runs this as a script (stdlib only, before any
dependency is installed) to turn its `JOB` build argument into the image's entrypoint; the
tests use the same rule, and infra/terraform/jobs.yaml must name the same module.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

JOB_FOLDER = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*-job")


class JobFolderError(ValueError):
    """The job name is not a job folder with exactly one entrypoint module."""


def entrypoint_module(root: Path, job: str) -> str:
    """`<package>.<module>` that the job's image runs with `python -m`.

    Args:
        root: the repository root (or the image build context).
        job: the job folder, e.g. `regen3d-ingest-job` (= Cloud Run job = image name).

    Returns:
        The dotted module name; the package is the folder name with `-` as `_`.

    Raises:
        JobFolderError: not a job folder name, no such folder, or not exactly one module
            calling run_job_main.
    """
    if not JOB_FOLDER.fullmatch(job):
        raise JobFolderError(f"JOB: {job!r} must be a job folder name like regen3d-ingest-job")
    folder = root / job
    if not folder.is_dir():
        raise JobFolderError(f"JOB: no job folder {job!r} in {root}")
    callers = sorted(p for p in folder.glob("*.py") if "run_job_main(" in p.read_text())
    if len(callers) != 1:
        names = [p.name for p in callers]
        raise JobFolderError(f"JOB: {job} must have one module calling run_job_main, has {names}")
    return f"{job.replace('-', '_')}.{callers[0].stem}"


def main(argv: list[str]) -> int:
    """Print the entrypoint module of `argv[0]` (a job folder under the current directory)."""
    if len(argv) != 1:
        print("usage: python tools/job_entrypoint.py <job-folder>", file=sys.stderr)
        return 2
    try:
        print(entrypoint_module(Path.cwd(), argv[0]))
    except JobFolderError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
