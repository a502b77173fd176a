"""Failure/completion markers and partial-failure tracking."""

import pytest

from tools.errors import InputError, PartialFailureError
from tools.markers import (
    failure_markers,
    permanent_failure,
    read_complete_marker,
    write_complete_marker,
    write_failure_marker,
)
from tools.partial_failure import PartialFailureTracker
from tools.redaction import clear_registered_secrets, register_secret_value
from tools.storage import LocalStorage


def _boom() -> Exception:
    try:
        raise InputError("regen3d/output/glb/x.glb", "corrupt GLB")
    except InputError as exc:
        return exc


def test_failure_marker_contents(tmp_path):
    """A failure marker records job, scene, attempt, error, stack trace and redacted params."""
    storage = LocalStorage(tmp_path)
    key = write_failure_marker(
        storage,
        "regen3d",
        "s1",
        _boom(),
        parameters={"SEED": 3, "API_KEY": "abc123"},
        partial_results={"done": 2},
    )
    assert key == ".markers/regen3d.failed-0.json"
    marker = storage.read_json(key)
    assert marker["step"] == "regen3d" and marker["scene_id"] == "s1"
    assert marker["error_type"] == "InputError"
    assert "corrupt GLB" in marker["error_message"]
    assert "Traceback" in marker["stack_trace"]
    assert marker["parameters"] == {"SEED": 3, "API_KEY": "[REDACTED]"}
    assert marker["partial_results"] == {"done": 2}
    assert marker["retryable"] is False and marker["exit_code"] == 2


def test_failure_markers_are_create_only_per_attempt(tmp_path):
    """Each local attempt gets its own marker; nothing is overwritten."""
    storage = LocalStorage(tmp_path)
    keys = [write_failure_marker(storage, "usd", "s", RuntimeError(str(i))) for i in range(3)]
    assert keys == [f".markers/usd.failed-{i}.json" for i in range(3)]
    assert [m["error_message"] for m in failure_markers(storage, "usd")] == ["0", "1", "2"]


def test_cloud_run_attempt_and_permanent_failure(tmp_path, monkeypatch):
    """On Cloud Run the marker is keyed by execution, task and attempt; a later attempt of the
    same execution sees permanence."""
    storage = LocalStorage(tmp_path)
    monkeypatch.setenv("CLOUD_RUN_EXECUTION", "exec-1")
    monkeypatch.setenv("CLOUD_RUN_TASK_ATTEMPT", "2")
    key = write_failure_marker(storage, "regen3d", "s", _boom())
    assert key == ".markers/regen3d.failed-exec-1-task0-attempt2.json"
    assert permanent_failure(storage, "regen3d")["attempt"] == 2
    monkeypatch.setenv("CLOUD_RUN_EXECUTION", "exec-2")
    assert permanent_failure(storage, "regen3d") is None


def test_secret_scrubbed_from_marker(tmp_path):
    """A loaded secret in an error message never reaches the marker."""
    register_secret_value("s3cr3t-value-xyz")
    try:
        storage = LocalStorage(tmp_path)
        key = write_failure_marker(storage, "x", "s", RuntimeError("token s3cr3t-value-xyz"))
        assert "s3cr3t-value-xyz" not in (tmp_path / key).read_text()
    finally:
        clear_registered_secrets()


def test_complete_marker_round_trip(tmp_path):
    """The completion marker is readable and absent before it is written."""
    storage = LocalStorage(tmp_path)
    assert read_complete_marker(storage, "usd") is None
    write_complete_marker(storage, "usd", {"inputs_sha256": "ab"})
    marker = read_complete_marker(storage, "usd")
    assert marker["status"] == "complete" and marker["inputs_sha256"] == "ab"


def test_partial_failure_threshold_and_checkpoint(tmp_path):
    """Below the threshold finalize() raises with both lists; successes are checkpointed."""
    storage = LocalStorage(tmp_path)
    tracker = PartialFailureTracker(storage, "episodes", min_success_rate=0.8, checkpoint_every=2)
    tracker.record_success("ep0", {"frames": 10})
    tracker.record_failure("ep1", RuntimeError("dropped object"))
    assert storage.exists(".checkpoints/episodes.json")
    tracker.record_success("ep2")
    with pytest.raises(PartialFailureError) as info:
        tracker.finalize()
    assert info.value.succeeded == ["ep0", "ep2"]
    assert info.value.failed[0]["item"] == "ep1"
    assert info.value.success_rate == pytest.approx(2 / 3)
    resumed = PartialFailureTracker(storage, "episodes")
    assert resumed.completed() == {"ep0", "ep2"}


def test_partial_failure_passes_above_threshold(tmp_path):
    """At or above the threshold finalize() returns and the summary counts both."""
    tracker = PartialFailureTracker(LocalStorage(tmp_path), "x", min_success_rate=0.5)
    tracker.record_success("a")
    tracker.record_failure("b", ValueError("no"))
    tracker.finalize()
    summary = tracker.summary()
    assert summary["succeeded"] == 1 and summary["failed"] == 1
    assert summary["failed_items"][0]["error"] == "no"


def test_invalid_threshold_refused(tmp_path):
    """A success-rate threshold outside [0, 1] is refused."""
    with pytest.raises(ValueError):
        PartialFailureTracker(LocalStorage(tmp_path), "x", min_success_rate=1.5)


def test_cloud_run_failure_markers_never_collide(tmp_path, monkeypatch):
    """Another execution or another task failing at the same attempt number gets its own
    marker (a create-only collision once hid the original error); so does a repeat."""
    storage = LocalStorage(tmp_path)
    monkeypatch.setenv("CLOUD_RUN_TASK_ATTEMPT", "0")
    keys = []
    for execution, task in [("job-a1", "0"), ("job-b2", "0"), ("job-b2", "1"), ("job-b2", "1")]:
        monkeypatch.setenv("CLOUD_RUN_EXECUTION", execution)
        monkeypatch.setenv("CLOUD_RUN_TASK_INDEX", task)
        keys.append(write_failure_marker(storage, "usd", "s", RuntimeError(execution + task)))
    assert keys == [
        ".markers/usd.failed-job-a1-task0-attempt0.json",
        ".markers/usd.failed-job-b2-task0-attempt0.json",
        ".markers/usd.failed-job-b2-task1-attempt0.json",
        ".markers/usd.failed-job-b2-task1-attempt0-2.json",
    ]
    assert [m["error_message"] for m in failure_markers(storage, "usd")] == [
        "job-a10",
        "job-b20",
        "job-b21",
        "job-b21",
    ]
