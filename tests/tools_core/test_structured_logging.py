"""Structured logging: Cloud Logging keys, labels, tracebacks in stack_trace, secrets scrubbed."""

import io
import json
import logging

from tools.redaction import clear_registered_secrets, register_secret_value
from tools.structured_logging import capture_logs, configure_logging, get_logger, log_fields
from tools.tracing import configure_tracing, span


def _json_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_json_lines_have_cloud_logging_keys():
    """Each line is JSON with severity, message, time, labels and source location."""
    stream = io.StringIO()
    configure_logging("simready-job", "scene_a", structured=True, stream=stream)
    get_logger("t").info("hello %s", "world", extra=log_fields(objects=3))
    (line,) = _json_lines(stream)
    assert line["severity"] == "INFO"
    assert line["message"] == "hello world"
    assert line["logging.googleapis.com/labels"] == {"job": "simready-job", "scene_id": "scene_a"}
    assert line["logging.googleapis.com/sourceLocation"]["function"]
    assert line["objects"] == 3
    assert "T" in line["time"]


def test_traceback_goes_to_stack_trace():
    """An exception is logged as a formatted traceback under stack_trace."""
    stream = io.StringIO()
    configure_logging("job", "s", structured=True, stream=stream)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        get_logger("t").exception("failed")
    (line,) = _json_lines(stream)
    assert line["severity"] == "ERROR"
    assert "Traceback" in line["stack_trace"] and "RuntimeError: boom" in line["stack_trace"]


def test_loaded_secret_never_logged():
    """A registered secret value is scrubbed from messages, fields and tracebacks."""
    canary = "sk-canary-0123456789"
    register_secret_value(canary)
    try:
        stream = io.StringIO()
        configure_logging("job", "s", structured=True, stream=stream)
        log = get_logger("t")
        log.warning("key is %s", canary, extra=log_fields(param=canary))
        try:
            raise ValueError(f"bad key {canary}")
        except ValueError:
            log.exception("oops")
        text = stream.getvalue()
        assert canary not in text
        assert "[REDACTED]" in text
    finally:
        clear_registered_secrets()


def test_readable_format_locally():
    """Without structured logging, lines are human-readable with job and scene."""
    stream = io.StringIO()
    configure_logging("job-x", "scene-y", structured=False, stream=stream)
    get_logger("t").info("step done", extra=log_fields(n=2))
    text = stream.getvalue()
    assert "[job-x/scene-y] step done n=2" in text
    assert not text.startswith("{")


def test_trace_ids_on_log_lines():
    """Inside a span, log lines carry the trace and span ids in Cloud Logging keys."""
    configure_tracing("test")
    with capture_logs() as records, span("unit"):
        get_logger("t").info("inside")
    (record,) = records
    assert len(record["logging.googleapis.com/spanId"]) == 16
    assert record["logging.googleapis.com/trace"]


def test_capture_logs_collects_records():
    """capture_logs() returns parsed records at the requested level."""
    with capture_logs(logging.INFO) as records:
        get_logger("x").info("one")
        get_logger("x").debug("not captured")
    assert [r["message"] for r in records] == ["one"]
