"""SPEC-004's template, as written, writes a failure marker through tools.workflow on GCS."""

from __future__ import annotations

import os

import pytest

from tools.markers import failure_markers
from tools.storage.gcs import GCSStorage

# --- SPEC-004 "Template for Integration", as written (the placeholders filled in) ---------
# At the top of each job file
from tools.workflow.failure_markers import write_failure_marker


def run_job_logic():  # the template's "Existing job logic": here, a job that fails
    raise RuntimeError("simready ran out of hulls")


# Wrap main execution
def main():
    bucket = os.getenv("BUCKET")
    scene_id = os.getenv("SCENE_ID")

    try:
        # Existing job logic
        result = run_job_logic()
        return result

    except Exception as e:
        # Write failure marker with context
        write_failure_marker(
            bucket=bucket,
            scene_id=scene_id,
            job_name="simready-job",
            error=e,
            input_params={
                "robot_type": os.getenv("ROBOT_TYPE"),
                # Add other relevant params
            },
            partial_results={
                # Any successful intermediate results
                "objects_done": 3,
            },
        )
        raise


# --- end of the spec's text --------------------------------------------------------------


def test_template_writes_a_marker_with_context_and_reraises(gcs_emulator, monkeypatch):
    """The job's error is re-raised and the bucket holds a marker with the error, its stack
    trace, the input parameters and the partial results, named after the step."""
    bucket = gcs_emulator.create_bucket()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.url)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.setenv("BUCKET", bucket)
    monkeypatch.setenv("SCENE_ID", "kitchen_61")
    monkeypatch.setenv("ROBOT_TYPE", "franka")
    with pytest.raises(RuntimeError, match="out of hulls"):
        main()
    storage = GCSStorage(bucket, "scenes/kitchen_61")
    try:
        (marker,) = failure_markers(storage, "simready")  # the job name maps to its step
    finally:
        storage.close()
    assert marker["status"] == "failed" and marker["scene_id"] == "kitchen_61"
    assert marker["error_type"] == "RuntimeError"
    assert "out of hulls" in marker["error_message"]
    assert "run_job_logic" in marker["stack_trace"]
    assert marker["parameters"] == {"robot_type": "franka"}
    assert marker["partial_results"] == {"objects_done": 3}


def test_without_a_bucket_the_marker_goes_to_scene_dir(tmp_path, monkeypatch):
    """Locally (no BUCKET) the marker lands in SCENE_DIR/.markers/, like the jobs' own."""
    monkeypatch.delenv("BUCKET", raising=False)
    monkeypatch.setenv("SCENE_DIR", str(tmp_path))
    key = write_failure_marker(
        bucket=None, scene_id="office_62", job_name="usd", error=ValueError("bad prim")
    )
    assert key == ".markers/usd.failed-0.json"
    assert (tmp_path / key).is_file()


def test_a_marker_that_cannot_be_written_never_hides_the_error(monkeypatch):
    """With no scene location (or a bad scene id) nothing is written and None comes back, so
    the caller's `raise` re-raises the job's own error."""
    monkeypatch.delenv("SCENE_DIR", raising=False)
    assert (
        write_failure_marker(bucket=None, scene_id="s", job_name="x", error=RuntimeError()) is None
    )
    monkeypatch.setenv("SCENE_DIR", "/tmp")
    assert (
        write_failure_marker(bucket=None, scene_id="../up", job_name="x", error=RuntimeError())
        is None
    )


def test_every_jobs_name_maps_to_its_step():
    """Each registered step is found by its Cloud Run job name and by its own name; anything
    else keeps its name (the marker is then named after it)."""
    from tools.steps import registered_steps
    from tools.workflow.failure_markers import step_name

    for spec in registered_steps().values():
        assert step_name(spec.job) == step_name(spec.name) == spec.name
    assert step_name("backfill-job") == "backfill-job"
