"""The geometry pool: uncached geometries computed on several processes, same result as one."""

from __future__ import annotations

import json
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from simready_job.simready import SimreadyOptions, run_simready
from tools.provenance import sha256_file


def _assets(scene: Path) -> dict[str, bytes]:
    files = sorted(p for p in (scene / "assets").rglob("*") if p.is_file())
    return {p.relative_to(scene).as_posix(): p.read_bytes() for p in files}


def _record_sha256(scene: Path, object_id: str) -> None:
    path = scene / "assets/scene_manifest.json"
    doc = json.loads(path.read_text())
    for obj in doc["objects"]:
        if obj["id"] == object_id:
            obj["asset"]["sha256"] = sha256_file(scene / obj["asset"]["mesh_path"])
    path.write_text(json.dumps(doc))


def _scene_with_shapes(scene_factory, meshes):
    extra = [
        ("bowl_1", "bowl", "manipulable", meshes.cup(radius=0.06, height=0.05)),
        ("cup_2", "mug", "manipulable", meshes.cup(radius=0.03, height=0.12)),
    ]
    return scene_factory(extra=extra)


def test_two_workers_write_the_same_bytes_as_one(scene_factory, meshes, halving, tmp_path):
    """The pool computes every missing geometry; the scene comes out byte-identical."""
    one = _scene_with_shapes(scene_factory, meshes)
    two = _scene_with_shapes(scene_factory, meshes)
    sequential = run_simready(
        one, SimreadyOptions(cache_dir=tmp_path / "c1", workers=1), decomposer=halving
    )
    pooled = run_simready(
        two, SimreadyOptions(cache_dir=tmp_path / "c2", workers=2), decomposer=halving
    )
    assert (sequential.workers, pooled.workers) == (1, 2)
    assert _assets(one) == _assets(two)
    for report in (sequential, pooled):
        assert report.ready == report.objects
        assert (report.object_cache_hits, report.object_cache_misses) == (0, report.objects)
        assert report.cache_misses == report.decomposed_parts > 0


def test_a_bad_mesh_fails_in_the_sequential_pass_as_usual(scene_factory, meshes, halving, tmp_path):
    """A corrupt mesh skipped by the pool is dropped with the usual message."""
    scene = _scene_with_shapes(scene_factory, meshes)
    (scene / "assets/bowl_1/mesh.glb").write_bytes(b"glTF not really")
    _record_sha256(scene, "bowl_1")  # corrupt as recorded: unreadable, not edited
    report = run_simready(
        scene, SimreadyOptions(cache_dir=tmp_path / "c", workers=2), decomposer=halving
    )
    assert report.workers == 2
    assert list(report.dropped) == ["bowl_1"] and "cannot read mesh" in report.dropped["bowl_1"]


def test_no_pool_without_a_cache_or_with_everything_cached(
    scene_factory, meshes, halving, tmp_path
):
    """Without a cache folder, or when every geometry is cached, no process is started."""
    scene = _scene_with_shapes(scene_factory, meshes)
    assert run_simready(scene, SimreadyOptions(workers=2), decomposer=halving).workers == 1
    options = SimreadyOptions(cache_dir=tmp_path / "c", workers=2)
    assert run_simready(scene, options, decomposer=halving).workers == 2
    again = run_simready(scene, options, decomposer=halving)
    assert again.workers == 1 and again.object_cache_hits == again.objects


def test_a_broken_pool_leaves_the_work_to_the_sequential_pass(
    scene_factory, meshes, halving, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    """A worker killed (e.g. out of memory) costs speed, not objects."""

    def broken(*_args: object) -> None:
        raise BrokenProcessPool("a worker died")

    monkeypatch.setattr("simready_job.geometry_prefetch._run_pool", broken)
    scene = _scene_with_shapes(scene_factory, meshes)
    report = run_simready(
        scene, SimreadyOptions(cache_dir=tmp_path / "c", workers=2), decomposer=halving
    )
    assert report.ready == report.objects
    assert report.object_cache_misses == report.objects
