"""Terraform config: formatted, reads the YAML sources faithfully, exposes what resources use."""

# The provider cannot be downloaded here, so `terraform validate` cannot run. Instead the pure
# data files (jobs_config.tf, monitoring_config.tf) are evaluated with `terraform console`, which
# needs no provider, and the resource files may read only attributes those locals have.

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = ROOT / "infra" / "terraform"
MONITORING_DIR = ROOT / "monitoring"
YAML_SOURCES = [
    MONITORING_DIR / "alerting_policies.yaml",
    MONITORING_DIR / "log_based_metrics.yaml",
    TERRAFORM_DIR / "jobs.yaml",
]
POLICIES = yaml.safe_load((MONITORING_DIR / "alerting_policies.yaml").read_text())
LOG_METRICS = yaml.safe_load((MONITORING_DIR / "log_based_metrics.yaml").read_text())
JOBS = yaml.safe_load((TERRAFORM_DIR / "jobs.yaml").read_text())
RUNBOOKS_URL = "https://git.example.com/bp/-/blob/main/docs/RUNBOOKS.md"
# Values of these YAML fields are free-form maps (label names), not API field names.
MAP_FIELDS = {"userLabels", "labelExtractors", "env", "variants"}
BUCKET_LAYOUTS = {
    "linear_buckets": "linearBuckets",
    "exponential_buckets": "exponentialBuckets",
    "explicit_buckets": "explicitBuckets",
}
TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(
    TERRAFORM is None, reason="terraform binary not installed: HCL checks skipped"
)


def _console(tmp_path: Path, expressions: list[str], **variables: str) -> list[Any]:
    """Evaluate `jsonencode(...)` expressions on the data-only .tf files, without a provider."""
    module = tmp_path / "infra" / "terraform"
    module.mkdir(parents=True)
    (tmp_path / "monitoring").symlink_to(MONITORING_DIR)
    for name in ("variables.tf", "jobs_config.tf", "monitoring_config.tf", "jobs.yaml"):
        (module / name).symlink_to(TERRAFORM_DIR / name)
    cli_config = tmp_path / "terraformrc"
    cli_config.write_text("")
    env = {
        **os.environ,
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
        "TF_CLI_CONFIG_FILE": str(cli_config),
    }
    values = {
        "project": "demo-project",
        "region": "europe-west4",
        "bucket": "demo-scenes",
        "notification_email": "oncall@example.com",
        **variables,
    }
    command = [TERRAFORM, "console"] + [f"-var={k}={v}" for k, v in values.items()]
    proc = subprocess.run(
        command,
        # Piped, the console prints only the last result: ask for one list of everything.
        input=f"jsonencode([{', '.join(expressions)}])\n",
        capture_output=True,
        text=True,
        cwd=module,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    values = json.loads(json.loads(proc.stdout.strip()))
    assert len(values) == len(expressions)
    return values


def _yaml_keys(node: Any, skip: bool = False) -> set[str]:
    """Every mapping key of a YAML tree, except inside free-form map fields."""
    keys: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if not skip:
                keys.add(key)
            keys |= _yaml_keys(value, skip=skip or key in MAP_FIELDS)
    elif isinstance(node, list):
        for value in node:
            keys |= _yaml_keys(value, skip)
    return keys


@needs_terraform
def test_terraform_files_are_formatted():
    """`terraform fmt -check` passes on infra/terraform, and the example tfvars is formatted."""
    env = {**os.environ, "CHECKPOINT_DISABLE": "1"}
    proc = subprocess.run(
        [TERRAFORM, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM_DIR)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    example = (TERRAFORM_DIR / "terraform.tfvars.example").read_text()
    formatted = subprocess.run(
        [TERRAFORM, "fmt", "-"], input=example, capture_output=True, text=True, env=env, timeout=60
    )
    assert formatted.returncode == 0 and formatted.stdout == example, formatted.stdout


@needs_terraform
def test_yamldecode_reads_the_sources_like_pyyaml(tmp_path):
    """Terraform's YAML parser sees the same data as the tests (no YAML 1.1 surprises)."""
    expressions = [f'yamldecode(file("{path}"))' for path in YAML_SOURCES]
    decoded = _console(tmp_path, expressions)
    for path, value in zip(YAML_SOURCES, decoded, strict=True):
        assert value == yaml.safe_load(path.read_text()), path.name


@needs_terraform
def test_alert_policies_keep_every_condition_and_runbook(tmp_path):
    """local.alert_policies keeps each policy's conditions, strategy and a resolved runbook link."""
    (policies,) = _console(tmp_path, ["local.alert_policies"], runbooks_url=RUNBOOKS_URL)
    assert set(policies) == {p["userLabels"]["alert"] for p in POLICIES}
    for source in POLICIES:
        policy = policies[source["userLabels"]["alert"]]
        assert policy["severity"] == source["severity"]
        assert len(policy["conditions"]) == len(source["conditions"])
        for converted, original in zip(policy["conditions"], source["conditions"], strict=True):
            threshold = original.get("conditionThreshold")
            assert len(converted["threshold"]) == (threshold is not None)
            assert len(converted["matched_log"]) == ("conditionMatchedLog" in original)
            if threshold:
                assert converted["threshold"][0]["threshold_value"] == threshold["thresholdValue"]
                assert len(converted["threshold"][0]["aggregations"]) == len(
                    threshold["aggregations"]
                )
        rate_limit = source.get("alertStrategy", {}).get("notificationRateLimit")
        assert policy["notification_rate_periods"] == ([rate_limit["period"]] if rate_limit else [])
        content = policy["documentation"]["content"]
        assert "RUNBOOKS_URL" not in content
        assert f"({RUNBOOKS_URL}#{source['userLabels']['alert']})" in content


@needs_terraform
def test_log_metrics_keep_extractors_and_buckets(tmp_path):
    """local.log_metrics keeps each metric's filter, extractors, labels and bucket layout."""
    (metrics,) = _console(tmp_path, ["local.log_metrics"])
    assert set(metrics) == {m["name"] for m in LOG_METRICS}
    for source in LOG_METRICS:
        metric = metrics[source["name"]]
        assert metric["filter"] == source["filter"]
        assert metric["value_extractor"] == source.get("valueExtractor")
        assert metric["label_extractors"] == source.get("labelExtractors")
        assert [lab["key"] for lab in metric["labels"]] == [
            lab["key"] for lab in source["metricDescriptor"].get("labels", [])
        ]
        buckets = source.get("bucketOptions", {})
        for local_name, rest_name in BUCKET_LAYOUTS.items():
            assert metric[local_name] == ([buckets[rest_name]] if rest_name in buckets else [])


@needs_terraform
@pytest.mark.parametrize("backend", ["mujoco", "isaacsim"])
def test_jobs_images_and_episode_backend(tmp_path, backend):
    """Every job gets its image and tag; only the isaacsim backend swaps image, launcher and GPU."""
    jobs, images = _console(
        tmp_path,
        ["local.jobs", "local.job_images"],
        episode_backend=backend,
        default_image_tag="v7",
        image_tags='{"simready-job"="abc123"}',
    )
    assert set(jobs) == {j["name"] for j in JOBS}
    registry = "europe-west4-docker.pkg.dev/demo-project/blueprint-pipeline"
    assert images["simready-job"] == f"{registry}/simready-job:abc123"
    assert images["regen3d-ingest-job"] == f"{registry}/regen3d-ingest-job:v7"
    episode = jobs["episode-generation-job"]
    if backend == "isaacsim":
        assert episode["launcher"] == "/isaac-sim/python.sh" and episode["gpu"] == "nvidia-l4"
        assert images["episode-generation-job"].endswith("/episode-generation-job-isaacsim:v7")
    else:
        assert episode["launcher"] == "python" and episode["gpu"] is None
    others = [job for name, job in jobs.items() if name != episode["name"]]
    assert all(job["launcher"] == "python" and job["gpu"] is None for job in others)


@needs_terraform
def test_resources_read_only_attributes_the_locals_have(tmp_path):
    """jobs.tf and monitoring.tf use `<iterator>.value.<attr>` only for attributes that exist."""
    jobs, policies, metrics = _console(
        tmp_path, ["local.jobs", "local.alert_policies", "local.log_metrics"]
    )
    conditions = [c for p in policies.values() for c in p["conditions"]]
    thresholds = [t for c in conditions for t in c["threshold"]]
    buckets = [b for m in metrics.values() for b in m["linear_buckets"] + m["exponential_buckets"]]
    iterators = {
        "jobs.tf": {"each": list(jobs.values())},
        "monitoring.tf": {
            "each": list(policies.values()) + list(metrics.values()),
            "conditions": conditions,
            "condition_threshold": thresholds,
            "condition_matched_log": [m for c in conditions for m in c["matched_log"]],
            "aggregations": [a for t in thresholds for a in t["aggregations"]],
            "labels": [lab for m in metrics.values() for lab in m["labels"]],
            "linear_buckets": buckets,
            "exponential_buckets": buckets,
        },
    }
    for filename, scopes in iterators.items():
        text = (TERRAFORM_DIR / filename).read_text()
        for iterator, attribute in re.findall(r"\b(\w+)\.value\.(\w+)", text):
            if iterator not in scopes:
                continue
            known = {key for obj in scopes[iterator] for key in obj}
            assert attribute in known, f"{filename}: {iterator}.value.{attribute}"


def test_monitoring_config_reads_every_yaml_field():
    """Each REST field used in monitoring/*.yaml is read by the Terraform monitoring files."""
    files = ("monitoring_config.tf", "monitoring.tf")
    text = "".join((TERRAFORM_DIR / name).read_text() for name in files)
    for source in (POLICIES, LOG_METRICS):
        for key in _yaml_keys(source):
            assert re.search(rf"\.{key}\b", text), f"the Terraform monitoring files ignore {key}"


def test_jobs_config_reads_every_job_field():
    """Each field of jobs.yaml is used by jobs_config.tf or jobs.tf."""
    text = (TERRAFORM_DIR / "jobs_config.tf").read_text() + (TERRAFORM_DIR / "jobs.tf").read_text()
    for key in _yaml_keys(JOBS):
        assert re.search(rf"\.{key}\b", text), f"the Terraform jobs ignore {key}"


def test_deployment_variables_are_declared():
    """The deployment is parameterised by project, region, bucket, image tags and alert email."""
    variables = (TERRAFORM_DIR / "variables.tf").read_text()
    declared = set(re.findall(r'^variable "(\w+)"', variables, re.M))
    assert {"project", "region", "bucket", "image_tags", "notification_email"} <= declared
    sources = "".join(path.read_text() for path in TERRAFORM_DIR.glob("*.tf"))
    used = set(re.findall(r"\bvar\.(\w+)", sources))
    assert used == declared, f"unused {declared - used}, undeclared {used - declared}"
