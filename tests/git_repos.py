"""A fake upstream checkout for tests: a folder committed once and tagged, like a release."""

import subprocess
from pathlib import Path


def commit_and_tag(repo: Path, tag: str) -> None:
    """`git init` the folder, commit everything in it and tag the commit `tag`."""
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", tag], check=True)
    subprocess.run([*git, "tag", tag], check=True)
