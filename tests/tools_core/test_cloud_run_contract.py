"""The runner's Cloud Run contract on a bucket: dependencies, skips, multi-task steps, markers.

Quick checks of each rule on fake-gcs-server with scratch steps; the whole path with the real
jobs is tests/e2e/test_cloud_run_e2e.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tools.config import JobSettings, load_settings
from tools.errors import DependencyNotReady, InputError
from tools.job_runner import PermanentFailureSeenError, execute_step, exit_code_for
from tools.steps import TASK_PART_ONLY, StepContext
from tools.storage.gcs import GCSStorage
from tools.structured_logging import capture_logs
from tools.testing import scratch_step


class TaskSettings(JobSettings):
    """Settings of a multi-task job (like the episode job's)."""

    CLOUD_RUN_TASK_INDEX: int = 0


def _settings(bucket: str) -> JobSettings:
    return load_settings(JobSettings, {"SCENE_ID": "s1", "BUCKET": bucket})


def _writer(name: str, calls: list[str]) -> Any:
    def work(ctx: StepContext) -> dict[str, Any]:
        calls.append(name)
        out = ctx.scene_dir / name / "out.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(name)
        return {}

    return work


@pytest.fixture
def cloud_task(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("CLOUD_RUN_EXECUTION", "job-x1")
    monkeypatch.setenv("CLOUD_RUN_TASK_INDEX", "0")
    monkeypatch.setenv("CLOUD_RUN_TASK_ATTEMPT", "0")
    return monkeypatch


def test_missing_or_stale_dependency_is_refused_by_name(gcs_storage: GCSStorage, cloud_task):
    """A step refuses (exit 2, marker, no work) while a dependency has not completed, or after
    an upstream step reran since that dependency completed."""
    calls: list[str] = []
    a = scratch_step("a", _writer("a", calls), outputs=("a/",))
    b = scratch_step("b", _writer("b", calls), depends_on=("a",), outputs=("b/",))
    c = scratch_step("c", _writer("c", calls), depends_on=("b",), outputs=("c/",))
    settings = _settings(gcs_storage.bucket_name)
    with pytest.raises(DependencyNotReady, match=r"dependency a is not ready: .* missing") as info:
        execute_step(b, settings)
    assert exit_code_for(info.value) == 2 and calls == []
    scene = gcs_storage.child("scenes/s1")
    assert scene.exists(".markers/b.failed-job-x1-task0-attempt0.json")
    cloud_task.setenv("CLOUD_RUN_EXECUTION", "job-x2")  # a new execution, once a has run
    for spec in (a, b, c):
        execute_step(spec, settings)
    execute_step(a, settings, force=True)  # a reruns: b's record of it is out of date
    with pytest.raises(DependencyNotReady, match=r"dependency b .* stale: step a completed again"):
        execute_step(c, settings)
    assert calls == ["a", "b", "c", "a"]


def test_missing_output_on_the_bucket_reruns_the_step(gcs_storage: GCSStorage, cloud_task):
    """Outputs are checked on the bucket before a skip: a deleted one is written again."""
    calls: list[str] = []
    spec = scratch_step("a", _writer("a", calls), outputs=("a/",))
    settings = _settings(gcs_storage.bucket_name)
    execute_step(spec, settings)
    assert execute_step(spec, settings).status == "skipped"
    scene = gcs_storage.child("scenes/s1")
    scene.delete("a/out.txt")
    with capture_logs() as logs:
        assert execute_step(spec, settings).status == "completed"
    assert scene.read_bytes("a/out.txt") == b"a"
    assert any("1 output(s) missing since the last run (a/out.txt)" in r["message"] for r in logs)


def test_multi_task_step_completes_once_and_skips_on_every_task(
    gcs_storage: GCSStorage, cloud_task
):
    """A task that did only its part writes no completion marker; the merging task does; a
    rerun with unchanged inputs skips on every task (the task index is not an input)."""
    scene = gcs_storage.child("scenes/s1")

    def part(ctx: StepContext) -> dict[str, Any]:
        assert isinstance(ctx.settings, TaskSettings)
        scene.write_bytes(f"parts/{ctx.settings.CLOUD_RUN_TASK_INDEX}", b"done")
        if len(scene.list("parts/")) < 2:
            return {TASK_PART_ONLY: True}
        return {"merged": True}

    spec = scratch_step("m", part, outputs=("parts/",))

    def task(index: int) -> TaskSettings:
        cloud_task.setenv("CLOUD_RUN_TASK_INDEX", str(index))
        env = {"SCENE_ID": "s1", "BUCKET": gcs_storage.bucket_name}
        return load_settings(TaskSettings, env | {"CLOUD_RUN_TASK_INDEX": str(index)})

    with capture_logs() as logs:
        assert execute_step(spec, task(1)).status == "task part done"
    assert not scene.exists(".markers/m.complete.json")
    assert any("another task completes the step" in r["message"] for r in logs)
    assert execute_step(spec, task(0)).status == "completed"
    assert scene.exists(".markers/m.complete.json")
    assert execute_step(spec, task(1)).status == "skipped"
    assert execute_step(spec, task(0)).status == "skipped"


def test_permanent_failure_stop_has_a_log_line(tmp_path: Path, cloud_task):
    """An attempt stopped by an earlier permanent failure says so (and writes no marker)."""

    def bad(ctx: StepContext) -> dict[str, Any]:
        raise InputError("regen3d/x", "bad input")

    spec = scratch_step("p", bad)
    settings = load_settings(JobSettings, {"SCENE_ID": "s", "SCENE_DIR": str(tmp_path)})
    with pytest.raises(InputError):
        execute_step(spec, settings)
    cloud_task.setenv("CLOUD_RUN_TASK_ATTEMPT", "1")
    with capture_logs() as logs, pytest.raises(PermanentFailureSeenError):
        execute_step(spec, settings)
    (line,) = [r for r in logs if r["severity"] == "ERROR"]
    assert "step p stopped: attempt 0 of this execution failed permanently" in line["message"]
    assert len(list((tmp_path / ".markers").glob("p.failed-*.json"))) == 1


def test_a_marker_that_cannot_be_written_never_hides_the_error(gcs_storage: GCSStorage):
    """The original error propagates (its exit code stands) and both failures are logged."""

    def bad(ctx: StepContext) -> dict[str, Any]:
        bucket = gcs_storage._client.get().bucket(gcs_storage.bucket_name)
        for blob in bucket.list_blobs():
            blob.delete()
        bucket.delete()  # the bucket is gone: no marker can be written
        raise InputError("assets/scene_manifest.json", "missing field objects")

    settings = _settings(gcs_storage.bucket_name)
    with capture_logs() as logs, pytest.raises(InputError) as info:
        execute_step(scratch_step("q", bad), settings)
    assert exit_code_for(info.value) == 2
    messages = [r["message"] for r in logs if r["severity"] == "ERROR"]
    assert any("could not write its failure marker" in m and "not found" in m for m in messages)
    assert any("step q failed: assets/scene_manifest.json: missing field" in m for m in messages)
