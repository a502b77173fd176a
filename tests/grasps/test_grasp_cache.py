"""The grasp cache: content-addressed by geometry, gripper and settings; safe to share."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import trimesh

from tools.grasps.antipodal import SamplerSettings
from tools.grasps.cache import (
    CACHE_DIR_ENV,
    cached_grasps,
    forget_memory,
    grasp_key,
    load_hull_vertices,
)
from tools.grasps.gripper_model import FRANKA_GRIPPER, XARM_GRIPPER

QUICK = SamplerSettings(surface_points=120, approaches=6, max_grasps=12, check_points=400)
BOX = [trimesh.creation.box((0.04, 0.06, 0.08)).vertices]


@pytest.fixture(autouse=True)
def _fresh_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    forget_memory()


def test_miss_then_hit_from_memory_and_from_disk(tmp_path: Path) -> None:
    """The first call samples and writes one entry; later calls (same process, or another
    after `forget_memory`) read the same grasps back."""
    first, hit = cached_grasps(BOX, FRANKA_GRIPPER, settings=QUICK, directory=tmp_path)
    assert not hit and len(first) > 0
    entries = list(tmp_path.glob("*.npz"))
    assert [p.stem for p in entries] == [grasp_key(BOX, FRANKA_GRIPPER, None, QUICK)]
    again, hit = cached_grasps(BOX, FRANKA_GRIPPER, settings=QUICK, directory=tmp_path)
    assert hit and again is first
    forget_memory()
    disk, hit = cached_grasps(BOX, FRANKA_GRIPPER, settings=QUICK, directory=tmp_path)
    assert hit and np.array_equal(disk.poses, first.poses)
    assert np.array_equal(disk.kinds, first.kinds) and np.array_equal(disk.scores, first.scores)


def test_geometry_gripper_mass_or_settings_change_the_key(tmp_path: Path) -> None:
    """A moved vertex, the other gripper, a centre of mass or another seed: a new entry."""
    base = grasp_key(BOX, FRANKA_GRIPPER, None, QUICK)
    moved = [BOX[0] + np.array([0.0, 0.0, 1e-6])]
    others = {
        grasp_key(moved, FRANKA_GRIPPER, None, QUICK),
        grasp_key(BOX, XARM_GRIPPER, None, QUICK),
        grasp_key(BOX, FRANKA_GRIPPER, (0.0, 0.0, 0.01), QUICK),
        grasp_key(BOX, FRANKA_GRIPPER, None, SamplerSettings(seed=1)),
    }
    assert base not in others and len(others) == 4
    cached_grasps(BOX, FRANKA_GRIPPER, settings=QUICK, directory=tmp_path)
    _, hit = cached_grasps(moved, FRANKA_GRIPPER, settings=QUICK, directory=tmp_path)
    assert not hit and len(list(tmp_path.glob("*.npz"))) == 2


def test_env_var_redirects_and_a_damaged_entry_is_resampled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`BP_GRASP_CACHE_DIR` wins over the scene's folder; a truncated entry is sampled again
    and replaced."""
    shared, scene = tmp_path / "shared", tmp_path / "scene"
    monkeypatch.setenv(CACHE_DIR_ENV, str(shared))
    grasps, _ = cached_grasps(BOX, FRANKA_GRIPPER, settings=QUICK, directory=scene)
    assert not scene.exists()
    (entry,) = shared.glob("*.npz")
    entry.write_bytes(entry.read_bytes()[:40])
    forget_memory()
    again, hit = cached_grasps(BOX, FRANKA_GRIPPER, settings=QUICK, directory=scene)
    assert not hit and np.array_equal(again.poses, grasps.poses)
    forget_memory()
    assert cached_grasps(BOX, FRANKA_GRIPPER, settings=QUICK, directory=scene)[1]


def test_concurrent_writers_leave_one_whole_entry(tmp_path: Path) -> None:
    """Four threads sampling the same object: one readable entry, no temporary left."""
    results: list[int] = []

    def work() -> None:
        grasps, _ = cached_grasps(BOX, XARM_GRIPPER, settings=QUICK, directory=tmp_path)
        results.append(len(grasps))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert [p.suffix for p in tmp_path.iterdir()] == [".npz"]


def test_hull_files_are_read_as_simready_writes_them(tmp_path: Path) -> None:
    """One OBJ per convex piece; a missing file or no OBJ gives no hulls."""
    folder = tmp_path / "assets" / "mug"
    folder.mkdir(parents=True)
    for k in range(2):
        trimesh.creation.box((0.02, 0.02, 0.02)).export(folder / f"hull_{k}.obj")
    paths = ["assets/mug/hull_0.obj", "assets/mug/hull_1.obj"]
    hulls = load_hull_vertices(tmp_path, paths)
    assert len(hulls) == 2 and hulls[0].shape == (8, 3)
    assert load_hull_vertices(tmp_path, [*paths, "assets/mug/hull_2.obj"]) == []
    assert load_hull_vertices(tmp_path, ["assets/mug/mesh.usd"]) == []


def test_a_cache_folder_that_cannot_be_written_keeps_the_grasps_in_memory(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A read-only home (or a full disk) costs the disk entry, not the session's grasps."""
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("a file where the cache folder would be")
    grasps, hit = cached_grasps(BOX, FRANKA_GRIPPER, settings=QUICK, directory=blocked)
    assert not hit and len(grasps) > 0
    assert "grasp cache" in caplog.text and "kept in memory" in caplog.text
    again, hit = cached_grasps(BOX, FRANKA_GRIPPER, settings=QUICK, directory=blocked)
    assert hit and again is grasps
