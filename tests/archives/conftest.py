"""Fixtures for archive tests: a sandbox with an outside directory and an output directory."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tools.archives import UnsafeArchiveError
from tools.archives.testing import Sandbox, snapshot


@pytest.fixture(params=["dest-exists", "dest-missing"])
def sandbox(request: pytest.FixtureRequest, tmp_path: Path) -> Sandbox:
    """A sandbox whose output directory either exists (with a file and a link out) or not."""
    root = tmp_path / "sandbox"
    outside = root / "outside"
    outside.mkdir(parents=True)
    (outside / "sentinel.txt").write_text("original")
    dest = root / "dest"
    if request.param == "dest-exists":
        dest.mkdir()
        (dest / "keep.txt").write_text("kept")
        os.symlink("../outside", dest / "keep_link")
    archives = tmp_path / "archives"
    archives.mkdir()
    return Sandbox(root, outside, dest, archives)


Extractor = Callable[..., object]


@pytest.fixture
def assert_rejected(sandbox: Sandbox) -> Callable[[Extractor, Path, str], UnsafeArchiveError]:
    """Run an extractor expecting UnsafeArchiveError naming `rule`, then check that nothing
    in the sandbox changed: no escape outside, nothing left in (or created as) dest."""

    def check(extract: Extractor, archive: Path, rule: str, **limits: object) -> UnsafeArchiveError:
        before = snapshot(sandbox.root)
        with pytest.raises(UnsafeArchiveError) as caught:
            extract(archive, sandbox.dest, **limits)
        assert rule in caught.value.rule, caught.value
        assert rule in str(caught.value)
        assert snapshot(sandbox.root) == before
        return caught.value

    return check
