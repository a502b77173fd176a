"""The Cloud Workflows pipeline: step order, job overrides, failure marker, Terraform jobs."""

import re
from pathlib import Path
from typing import Any

import yaml

from tools.pipeline_graph import resolve_steps
from tools.scene_layout import MARKERS_DIR, REGEN3D_DIR, SCENES_PREFIX
from tools.scene_manifest import SCENE_ID_PATTERN
from tools.steps import registered_steps

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_FILE = ROOT / "infra" / "workflows" / "pipeline.yaml"
WORKFLOW: dict[str, Any] = yaml.safe_load(WORKFLOW_FILE.read_text())
TERRAFORM = ROOT / "infra" / "terraform"
JOBS: dict[str, dict[str, Any]] = {
    j["name"]: j for j in yaml.safe_load((TERRAFORM / "jobs.yaml").read_text())
}
FULL_ORDER = ["regen3d", "simready", "usd", "replicator", "episodes", "geniesim-export"]
# Runs after Genie Sim, outside this workflow (docs/OPERATIONS.md).
NOT_ORCHESTRATED = {"geniesim-import"}
RUN_CONNECTOR = "googleapis.run.v2.projects.locations.jobs.run"
STORAGE_INSERT = "googleapis.storage.v1.objects.insert"


def _steps(steps: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A Workflows `steps:` list as {step name: body}."""
    return {name: body for step in steps for name, body in step.items()}


def _walk(node: Any):
    """Every mapping in a YAML tree."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _calls(target: str) -> list[dict[str, Any]]:
    return [node for node in _walk(WORKFLOW) if node.get("call") == target]


def _pipeline() -> list[dict[str, Any]]:
    plan = _steps(WORKFLOW["main"]["steps"])["plan"]["assign"]
    (pipeline,) = [entry["pipeline"] for entry in plan if "pipeline" in entry]
    return pipeline


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, f"durations are whole seconds: {duration}"
    return int(match.group(1))


def test_pipeline_runs_every_step_in_order():
    """The workflow runs regen3d, simready, usd, replicator, episodes, geniesim-export in order."""
    assert [stage["step"] for stage in _pipeline()] == FULL_ORDER


def test_order_respects_registered_dependencies():
    """Each registered step runs after its dependencies, in the registry's resolved order."""
    specs = registered_steps()
    assert specs, "no step registered: is the project installed (pip install -e .)?"
    order = [stage["step"] for stage in _pipeline()]
    jobs = {stage["step"]: stage["job"] for stage in _pipeline()}
    for name, spec in specs.items():
        if name in NOT_ORCHESTRATED:
            continue
        assert name in order, f"registered step {name} is not run by the workflow"
        assert jobs[name] == spec.job, f"step {name} runs job {spec.job}"
        for dependency in spec.depends_on:
            assert order.index(dependency) < order.index(name), (dependency, name)
    orchestrated = [n for n in resolve_steps(None, specs) if n not in NOT_ORCHESTRATED]
    assert orchestrated == [n for n in order if n in orchestrated]


def test_every_workflow_job_is_a_terraform_job():
    """Each job the workflow runs is in jobs.yaml (one Cloud Run job resource per entry)."""
    for stage in _pipeline():
        assert stage["job"] in JOBS, stage["job"]
        assert JOBS[stage["job"]]["step"] == stage["step"]
    jobs_tf = (TERRAFORM / "jobs.tf").read_text()
    config_tf = (TERRAFORM / "jobs_config.tf").read_text()
    resource = r'resource "google_cloud_run_v2_job" "job" \{\s+for_each = local\.jobs'
    assert re.search(resource, jobs_tf)
    assert 'yamldecode(file("${path.module}/jobs.yaml"))' in config_tf


def test_jobs_run_with_scene_overrides():
    """Jobs run through the v2 connector with SCENE_ID, BUCKET, TRACEPARENT and a task count."""
    (call,) = _calls(RUN_CONNECTOR)
    overrides = call["args"]["body"]["overrides"]
    (container,) = overrides["containerOverrides"]
    assert {env["name"] for env in container["env"]} == {"SCENE_ID", "BUCKET", "TRACEPARENT"}
    assert overrides["taskCount"] == "${task_count}"
    assert call["args"]["name"].startswith('${"projects/" + project + "/locations/"')


def test_connector_waits_longer_than_any_execution():
    """The connector's wait outlasts each job's worst case: timeout x (retries + 1)."""
    (call,) = _calls(RUN_CONNECTOR)
    wait_s = int(call["args"]["connector_params"]["timeout"])
    for stage in _pipeline():
        job = JOBS[stage["job"]]
        assert _seconds(job["timeout"]) * (job["max_retries"] + 1) <= wait_s, job["name"]


def test_episode_job_is_sharded_over_tasks():
    """Only the episode stage overrides taskCount, from EPISODE_TASK_COUNT set by Terraform."""
    counts = {stage["step"]: stage["task_count"] for stage in _pipeline()}
    assert counts.pop("episodes") == "${episode_task_count}"
    assert set(counts.values()) == {1}
    init = _steps(WORKFLOW["main"]["steps"])["init"]["assign"]
    (expression,) = [e["episode_task_count"] for e in init if "episode_task_count" in e]
    assert 'sys.get_env("EPISODE_TASK_COUNT")' in expression
    assert "EPISODE_TASK_COUNT = tostring(var.episode_task_count)" in (
        (TERRAFORM / "workflow.tf").read_text()
    )


def test_failure_writes_marker_and_reraises():
    """On error the workflow writes .markers/workflow.failed-<execution>.json, then re-raises."""
    run = _steps(WORKFLOW["main"]["steps"])["run_pipeline"]
    handler = run["except"]
    steps = handler["steps"]
    (insert,) = [body for body in _steps(steps).values() if body.get("call") == STORAGE_INSERT]
    name = insert["args"]["name"]
    assert f'"{SCENES_PREFIX}/" + scene_id + "/{MARKERS_DIR}/workflow.failed-"' in name
    assert "execution_id" in name and name.endswith('".json"}')
    assert insert["args"]["body"]["status"] == "failed"
    assert next(iter(steps[-1].values())) == {"raise": "${" + handler["as"] + "}"}
    loop = _steps(run["try"]["steps"])["run_each_job"]["for"]
    assert loop["in"] == "${pipeline}"


def test_trigger_object_convention_matches_scene_layout():
    """Only scenes/<id>/regen3d/.upload_complete starts a run; ids follow the contract pattern."""
    parser = _steps(WORKFLOW["scene_id_from_object"]["steps"])
    layout = parser["check_layout"]["switch"][1]["condition"]
    assert f'parts[0] != "{SCENES_PREFIX}"' in layout
    assert f'parts[2] != "{REGEN3D_DIR}"' in layout
    assert 'parts[3] != ".upload_complete"' in layout
    (check,) = parser["check_scene_id"]["switch"]
    assert f'"{SCENE_ID_PATTERN}"' in check["condition"]
    assert "raise" in check


def test_traceparent_is_w3c_shaped():
    """The generated traceparent is 00-<32 hex>-<16 hex>-01 built from two UUIDs."""
    steps = _steps(WORKFLOW["new_traceparent"]["steps"])
    ids = {k: v for entry in steps["make_ids"]["assign"] for k, v in entry.items()}
    assert ids["trace_id"] == '${text.replace_all(uuid.generate(), "-", "")}'
    assert ids["span_id"].startswith("${text.substring(") and ids["span_id"].endswith(", 0, 16)}")
    assert steps["done"]["return"] == '${"00-" + trace_id + "-" + span_id + "-01"}'
