"""Alert policies and log-based metrics: valid API resources on real metrics, matching real logs."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.cloud import monitoring_v3
from google.cloud.logging_v2.types import LogMetric
from google.protobuf import json_format

from tools.config import JobSettings, load_settings
from tools.job_runner import execute_step
from tools.structured_logging import capture_logs
from tools.testing import scratch_step

ROOT = Path(__file__).resolve().parents[2]
POLICIES: list[dict[str, Any]] = yaml.safe_load(
    (ROOT / "monitoring" / "alerting_policies.yaml").read_text()
)
LOG_METRICS: dict[str, dict[str, Any]] = {
    m["name"]: m
    for m in yaml.safe_load((ROOT / "monitoring" / "log_based_metrics.yaml").read_text())
}
RUNBOOKS = ROOT / "docs" / "RUNBOOKS.md"

# The Cloud Monitoring metrics that exist for Cloud Run jobs (BRIEF), with their metric labels.
CLOUD_RUN_JOB_METRICS = {
    "run.googleapis.com/job/completed_execution_count": {"result"},
    "run.googleapis.com/job/completed_task_attempt_count": {"result"},
    "run.googleapis.com/job/running_executions": set(),
    "run.googleapis.com/job/running_task_attempts": set(),
}
USER_METRIC_PREFIX = "logging.googleapis.com/user/"
# Keys Cloud Logging lifts out of a JSON line; everything else stays in jsonPayload.
LIFTED_KEYS = {
    "severity",
    "time",
    "logging.googleapis.com/labels",
    "logging.googleapis.com/sourceLocation",
    "logging.googleapis.com/trace",
    "logging.googleapis.com/spanId",
    "logging.googleapis.com/trace_sampled",
}


def _policy_id(policy: dict[str, Any]) -> str:
    return str(policy["userLabels"]["alert"])


def _conditions(kind: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(p, c[kind]) for p in POLICIES for c in p["conditions"] if kind in c]


def _metric_type(condition_filter: str) -> str:
    found = re.findall(r'metric\.type\s*=\s*"([^"]+)"', condition_filter)
    assert len(found) == 1, f"one metric.type per condition filter: {condition_filter}"
    return found[0]


# --- a small evaluator for the Logging query language subset the metrics use ---------------
_TOKEN = re.compile(
    r'\s*(\(|\)|AND\b|OR\b|[\w.]+\s*(?::\*|(?:=~|=)\s*(?:"(?:[^"\\]|\\.)*"|[\w.-]+)))'
)


def _tokens(query: str) -> list[str]:
    tokens, pos = [], 0
    query = query.strip()
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        assert match, f"unsupported query syntax at: {query[pos:]!r}"
        tokens.append(match.group(1))
        pos = match.end()
        while pos < len(query) and query[pos].isspace():
            pos += 1
    return tokens


def _field(entry: dict[str, Any], path: str) -> Any:
    value: Any = entry
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _compare(entry: dict[str, Any], token: str) -> bool:
    path, op, literal = re.fullmatch(r"([\w.]+)\s*(:\*|=~|=)\s*(.*)", token, re.S).groups()
    value = _field(entry, path)
    if op == ":*":
        return value is not None
    text = literal[1:-1] if literal.startswith('"') else literal
    if value is None:
        return False
    if op == "=~":
        return re.search(text, str(value)) is not None
    return str(value) == text


def log_query_matches(query: str, entry: dict[str, Any]) -> bool:
    """Evaluate `query` on a LogEntry-shaped dict (OR binds tighter than AND, as in Logging)."""
    tokens = _tokens(query)

    def conjunction(i: int) -> tuple[bool, int]:
        ok, i = disjunction(i)
        while i < len(tokens) and tokens[i] == "AND":
            right, i = disjunction(i + 1)
            ok = ok and right
        return ok, i

    def disjunction(i: int) -> tuple[bool, int]:
        ok, i = atom(i)
        while i < len(tokens) and tokens[i] == "OR":
            right, i = atom(i + 1)
            ok = ok or right
        return ok, i

    def atom(i: int) -> tuple[bool, int]:
        if tokens[i] == "(":
            ok, i = conjunction(i + 1)
            assert tokens[i] == ")", "unbalanced parentheses"
            return ok, i + 1
        return _compare(entry, tokens[i]), i + 1

    result, end = conjunction(0)
    assert end == len(tokens), f"trailing tokens in query: {tokens[end:]}"
    return result


def extract(expression: str, entry: dict[str, Any]) -> Any:
    """Evaluate an `EXTRACT(field)` value or label extractor on a LogEntry-shaped dict."""
    match = re.fullmatch(r"EXTRACT\(([\w.]+)\)", expression)
    assert match, f"unsupported extractor {expression}"
    return _field(entry, match.group(1))


def log_entry(record: dict[str, Any], job: str) -> dict[str, Any]:
    """The LogEntry Cloud Logging makes of one JSON line a Cloud Run job task wrote to stdout."""
    return {
        "resource": {"type": "cloud_run_job", "labels": {"job_name": job}},
        "severity": record["severity"],
        "labels": record.get("logging.googleapis.com/labels", {}),
        "jsonPayload": {k: v for k, v in record.items() if k not in LIFTED_KEYS},
    }


def _runner_lines(tmp_path: Path, error: Exception | None) -> list[dict[str, Any]]:
    """Log entries of one real `execute_step` run of a step named `demo`, failing with `error`."""

    def work(_ctx: Any) -> dict[str, Any]:
        if error is not None:
            raise error
        return {"ok": True}

    scene = tmp_path / ("failing" if error else "passing")
    scene.mkdir()
    settings = load_settings(JobSettings, {"SCENE_ID": "scene_1", "SCENE_DIR": str(scene)})
    with capture_logs() as records:
        if error is None:
            execute_step(scratch_step("demo", work), settings)
        else:
            with pytest.raises(type(error)):
                execute_step(scratch_step("demo", work), settings)
    return [log_entry(r, "demo-job") for r in records]


# --- API validity ------------------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES, ids=_policy_id)
def test_policy_parses_as_alert_policy(policy):
    """Each policy is a google.monitoring.v3.AlertPolicy; unknown fields are rejected."""
    message = monitoring_v3.AlertPolicy.pb()()
    json_format.ParseDict(policy, message, ignore_unknown_fields=False)
    assert message.display_name and message.conditions
    assert message.documentation.mime_type == "text/markdown"
    assert message.combiner != monitoring_v3.AlertPolicy.ConditionCombinerType.COMBINE_UNSPECIFIED


def test_unknown_policy_field_is_rejected():
    """The parse really rejects misspelt fields (the spec's `log.level` style of mistake)."""
    broken = {**POLICIES[0], "notificationChannel": ["x"]}
    with pytest.raises(json_format.ParseError):
        json_format.ParseDict(broken, monitoring_v3.AlertPolicy.pb()(), ignore_unknown_fields=False)


@pytest.mark.parametrize("metric", list(LOG_METRICS.values()), ids=list(LOG_METRICS))
def test_log_metric_parses_as_log_metric(metric):
    """Each log-based metric is a google.logging.v2.LogMetric; unknown fields are rejected."""
    message = LogMetric.pb()()
    json_format.ParseDict(metric, message, ignore_unknown_fields=False)
    assert message.name and message.filter


def test_policy_keys_and_names_are_unique():
    """userLabels.alert (Terraform key, runbook anchor) and displayName are unique."""
    ids = [_policy_id(p) for p in POLICIES]
    names = [p["displayName"] for p in POLICIES]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)


def test_no_notification_channels_in_yaml():
    """Channels depend on the deployment: Terraform sets them, the YAML never does."""
    assert all("notificationChannels" not in p for p in POLICIES)


# --- metrics that exist ----------------------------------------------------------------


def test_threshold_conditions_use_existing_metrics():
    """Every metric type is a Cloud Run job metric or a log-based metric defined here."""
    for policy, condition in _conditions("conditionThreshold"):
        metric_type = _metric_type(condition["filter"])
        assert 'resource.type = "cloud_run_job"' in condition["filter"], _policy_id(policy)
        if metric_type.startswith(USER_METRIC_PREFIX):
            assert metric_type.removeprefix(USER_METRIC_PREFIX) in LOG_METRICS, metric_type
        else:
            assert metric_type in CLOUD_RUN_JOB_METRICS, metric_type


def test_conditions_use_only_labels_their_metric_has():
    """metric.label.X in a filter or groupByFields is a label of that condition's metric."""
    for policy, condition in _conditions("conditionThreshold"):
        metric_type = _metric_type(condition["filter"])
        if metric_type.startswith(USER_METRIC_PREFIX):
            descriptor = LOG_METRICS[metric_type.removeprefix(USER_METRIC_PREFIX)]
            labels = {lab["key"] for lab in descriptor["metricDescriptor"].get("labels", [])}
        else:
            labels = CLOUD_RUN_JOB_METRICS[metric_type]
        fields = [condition["filter"]]
        for aggregation in condition.get("aggregations", []):
            fields += aggregation.get("groupByFields", [])
        used = {label for text in fields for label in re.findall(r"metric\.labels?\.(\w+)", text)}
        assert used <= labels, f"{_policy_id(policy)} uses {used - labels}"


def test_spec_010_traps_are_absent():
    """None of the metric names and fields SPEC-010 invented appear (BRIEF, known traps)."""
    text = (ROOT / "monitoring" / "alerting_policies.yaml").read_text()
    for invented in ("completed_task_count", "job/execution_time", "log.level"):
        assert invented not in text


def test_every_log_metric_is_alerted_on():
    """No dead metrics: each log-based metric feeds at least one policy."""
    used = {
        _metric_type(c["filter"]).removeprefix(USER_METRIC_PREFIX)
        for _, c in _conditions("conditionThreshold")
    }
    assert set(LOG_METRICS) <= used


def test_log_match_policies_limit_notifications():
    """A log-match condition needs alertStrategy.notificationRateLimit (the API requires it)."""
    matched = [p for p, _ in _conditions("conditionMatchedLog")]
    assert matched, "the rate-limit alert is a log-match policy"
    for policy in matched:
        assert policy["alertStrategy"]["notificationRateLimit"]["period"].endswith("s")
        assert len(policy["conditions"]) == 1, "a log-match condition must be the only one"


@pytest.mark.parametrize("metric", list(LOG_METRICS.values()), ids=list(LOG_METRICS))
def test_log_metric_descriptor_is_consistent(metric):
    """Distributions have a value extractor and buckets; label extractors match the labels."""
    descriptor = metric["metricDescriptor"]
    is_distribution = descriptor["valueType"] == "DISTRIBUTION"
    assert ("valueExtractor" in metric) == is_distribution
    assert ("bucketOptions" in metric) == is_distribution
    labels = {lab["key"] for lab in descriptor.get("labels", [])}
    assert set(metric.get("labelExtractors", {})) == labels
    assert "scene_id" not in labels, "scene ids are unbounded: never a metric label"


# --- metrics match the log lines the jobs really write ----------------------------------


def test_step_duration_metric_reads_the_runner_lines(tmp_path):
    """bp_step_duration matches the runner's completed and failed lines and extracts duration_s."""
    metric = LOG_METRICS["bp_step_duration"]
    entries = _runner_lines(tmp_path, None) + _runner_lines(tmp_path, RuntimeError("boom"))
    matched = [e for e in entries if log_query_matches(metric["filter"], e)]
    assert sorted(extract(metric["labelExtractors"]["status"], e) for e in matched) == [
        "failed",
        "ok",
    ]
    for entry in matched:
        assert extract(metric["labelExtractors"]["step"], entry) == "demo"
        assert float(extract(metric["valueExtractor"], entry)) >= 0.0


def test_failure_marker_metric_counts_only_failures(tmp_path):
    """bp_failure_markers matches exactly the runner's failed line, which names the marker."""
    metric = LOG_METRICS["bp_failure_markers"]
    passing = _runner_lines(tmp_path, None)
    failing = _runner_lines(tmp_path, RuntimeError("boom"))
    assert not [e for e in passing if log_query_matches(metric["filter"], e)]
    matched = [e for e in failing if log_query_matches(metric["filter"], e)]
    assert len(matched) == 1
    assert matched[0]["jsonPayload"]["failure_marker"] == ".markers/demo.failed-0.json"
    assert extract(metric["labelExtractors"]["step"], matched[0]) == "demo"
    assert (tmp_path / "failing" / ".markers" / "demo.failed-0.json").is_file()


def test_episode_success_metric_reads_the_documented_field():
    """bp_episode_success_rate matches a line with episode_success_rate and extracts it."""
    metric = LOG_METRICS["bp_episode_success_rate"]
    line = {"severity": "INFO", "message": "episodes done", "step": "episodes"}
    finished = log_entry({**line, "episode_success_rate": 0.85}, "episode-generation-job")
    other = log_entry(line, "episode-generation-job")
    assert log_query_matches(metric["filter"], finished)
    assert not log_query_matches(metric["filter"], other)
    assert extract(metric["valueExtractor"], finished) == 0.85


def test_episode_job_logs_its_success_rate():
    """Once the episode step exists, its code logs the episode_success_rate field."""
    job_dir = ROOT / "episode-generation-job"
    if not (job_dir / "step.py").is_file():
        pytest.skip("episode-generation-job has no step yet (field documented in RUNBOOKS.md)")
    sources = "".join(p.read_text() for p in job_dir.rglob("*.py"))
    assert "episode_success_rate" in sources


def test_rate_limit_condition_matches_429_failures(tmp_path):
    """The log-match filter catches a step failing on HTTP 429, not ordinary lines."""
    ((_policy, condition),) = _conditions("conditionMatchedLog")
    limited = _runner_lines(tmp_path, RuntimeError("GET gs://b/o: 429 Too Many Requests"))
    assert any(log_query_matches(condition["filter"], e) for e in limited)
    ordinary = _runner_lines(tmp_path, None)
    ordinary.append(log_entry({"severity": "INFO", "message": "wrote object_4290"}, "x-job"))
    assert not any(log_query_matches(condition["filter"], e) for e in ordinary)
    grpc_text = {"resource": {"type": "cloud_run_job"}, "textPayload": "RESOURCE_EXHAUSTED: quota"}
    assert log_query_matches(condition["filter"], grpc_text)
    assert extract(condition["labelExtractors"]["job"], limited[0]) == "demo-job"


# --- documentation ---------------------------------------------------------------------


def _anchors(markdown: str) -> set[str]:
    """GitHub-style anchors of the Markdown headings."""
    anchors = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", markdown, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


@pytest.mark.parametrize("policy", POLICIES, ids=_policy_id)
def test_documentation_links_its_runbook_section(policy):
    """The policy's documentation links RUNBOOKS_URL#<its id>, a heading of docs/RUNBOOKS.md."""
    links = re.findall(r"\]\(RUNBOOKS_URL#([\w-]+)\)", policy["documentation"]["content"])
    assert _policy_id(policy) in links
    assert set(links) <= _anchors(RUNBOOKS.read_text())


def test_doc_links_to_runbook_sections_resolve():
    """Links to runbook sections from OPERATIONS.md and within RUNBOOKS.md name real headings."""
    anchors = _anchors(RUNBOOKS.read_text())
    operations = (ROOT / "docs" / "OPERATIONS.md").read_text()
    links = re.findall(r"\]\(RUNBOOKS\.md#([\w-]+)\)", operations)
    links += re.findall(r"\]\(#([\w-]+)\)", RUNBOOKS.read_text())
    assert links and set(links) <= anchors
    assert {_policy_id(p) for p in POLICIES} <= set(links)
