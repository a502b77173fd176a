"""Logging for every job: Cloud Logging JSON lines on Cloud Run, readable lines locally."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import sys
import traceback
from collections.abc import Iterator
from typing import Any, TextIO

from tools.redaction import scrub

ROOT_LOGGER = "bp"
_LABEL_KEYS = ("job", "scene_id")
_SEVERITY = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}


class _Context:
    """Labels added to every record (job name, scene id) and the trace resolver."""

    labels: dict[str, str] = {}
    gcp_project: str | None = None


def _trace_fields() -> dict[str, Any]:
    """Cloud Logging trace keys for the current OpenTelemetry span, if one is recording."""
    try:
        from opentelemetry import trace
    except ImportError:  # pragma: no cover - opentelemetry is a dependency
        return {}
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return {}
    trace_id = format(ctx.trace_id, "032x")
    project = _Context.gcp_project
    return {
        "logging.googleapis.com/trace": (
            f"projects/{project}/traces/{trace_id}" if project else trace_id
        ),
        "logging.googleapis.com/spanId": format(ctx.span_id, "016x"),
        "logging.googleapis.com/trace_sampled": bool(ctx.trace_flags.sampled),
    }


class CloudLoggingFormatter(logging.Formatter):
    """One JSON object per line with the keys Cloud Logging lifts (BRIEF)."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelno, "DEFAULT"),
            "message": scrub(record.getMessage()),
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(),
            "logger": record.name,
            "logging.googleapis.com/labels": dict(_Context.labels),
            "logging.googleapis.com/sourceLocation": {
                "file": record.pathname,
                "line": str(record.lineno),
                "function": record.funcName,
            },
        }
        payload.update(_trace_fields())
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            payload.update({k: _scrub_value(v) for k, v in fields.items()})
        if record.exc_info:
            # Error Reporting reads a formatted traceback; frame locals are never included.
            payload["stack_trace"] = scrub("".join(traceback.format_exception(*record.exc_info)))
        return json.dumps(payload, default=str)


class ReadableFormatter(logging.Formatter):
    """`HH:MM:SS LEVEL [job/scene] message key=value` for terminals."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = dt.datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        where = "/".join(_Context.labels.get(k, "-") for k in _LABEL_KEYS)
        line = f"{stamp} {record.levelname:<7} [{where}] {scrub(record.getMessage())}"
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields:
            line += " " + " ".join(f"{k}={_scrub_value(v)}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + scrub("".join(traceback.format_exception(*record.exc_info)))
        return line


def _scrub_value(value: Any) -> Any:
    return scrub(value) if isinstance(value, str) else value


def on_cloud_run() -> bool:
    """Whether this process runs as a Cloud Run job task."""
    return "CLOUD_RUN_JOB" in os.environ


def configure_logging(
    job: str,
    scene_id: str | None = None,
    *,
    structured: bool | None = None,
    level: str = "INFO",
    stream: TextIO | None = None,
) -> logging.Logger:
    """Route the `bp` logger to `stream` (stderr by default) with the right format.

    Args:
        job: job name put on every line.
        scene_id: scene put on every line.
        structured: JSON lines; None means "on Cloud Run only".
        level: minimum level.
        stream: destination (stdout on Cloud Run, which ingests it).
    """
    _Context.labels = {"job": job}
    if scene_id:
        _Context.labels["scene_id"] = scene_id
    _Context.gcp_project = os.environ.get("GOOGLE_CLOUD_PROJECT")
    use_json = on_cloud_run() if structured is None else structured
    handler = logging.StreamHandler(stream or (sys.stdout if use_json else sys.stderr))
    handler.setFormatter(CloudLoggingFormatter() if use_json else ReadableFormatter())
    logger = logging.getLogger(ROOT_LOGGER)
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


def logging_config() -> dict[str, Any]:
    """`configure_logging` keyword arguments that reproduce the current set-up (for child
    processes, which start with logging unconfigured)."""
    logger = logging.getLogger(ROOT_LOGGER)
    structured = any(isinstance(h.formatter, CloudLoggingFormatter) for h in logger.handlers)
    return {
        "job": _Context.labels.get("job", "worker"),
        "scene_id": _Context.labels.get("scene_id"),
        "structured": structured,
        "level": logging.getLevelName(logger.getEffectiveLevel()),
    }


def get_logger(name: str) -> logging.Logger:
    """A child of the pipeline logger, e.g. `get_logger(__name__)`."""
    return logging.getLogger(f"{ROOT_LOGGER}.{name}")


def log_fields(**fields: Any) -> dict[str, Any]:
    """`extra=` payload for structured key/value fields: `log.info("x", extra=log_fields(n=3))`."""
    return {"fields": fields}


class StructuredLogger:
    """SPEC-009's logger: `StructuredLogger(name).info("message", key=value, ...)`.

    A thin front of `get_logger(name)`: keyword fields become the record's structured fields
    (JSON keys under Cloud Logging, `key=value` locally), formatted by whatever
    `configure_logging` installed, with the job, scene and trace on every line.
    """

    def __init__(self, name: str, level: int = logging.NOTSET) -> None:
        """Args: name: the logger's name under the pipeline logger; level: its own minimum."""
        self.logger = get_logger(name)
        self.logger.setLevel(level)

    def debug(self, message: str, **fields: Any) -> None:
        """Log at DEBUG with structured fields."""
        self.logger.debug(message, extra=log_fields(**fields))

    def info(self, message: str, **fields: Any) -> None:
        """Log at INFO with structured fields."""
        self.logger.info(message, extra=log_fields(**fields))

    def warning(self, message: str, **fields: Any) -> None:
        """Log at WARNING with structured fields."""
        self.logger.warning(message, extra=log_fields(**fields))

    def error(self, message: str, **fields: Any) -> None:
        """Log at ERROR with structured fields; inside an `except` block the traceback goes to
        `stack_trace` (SPEC-009: exception traces in error logs)."""
        handling = sys.exc_info()[0] is not None
        self.logger.error(message, exc_info=handling, extra=log_fields(**fields))


@contextlib.contextmanager
def capture_logs(level: int = logging.DEBUG) -> Iterator[list[dict[str, Any]]]:
    """Test helper: collect every pipeline log record as a parsed Cloud Logging JSON object."""
    records: list[dict[str, Any]] = []
    formatter = CloudLoggingFormatter()

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(json.loads(formatter.format(record)))

    logger = logging.getLogger(ROOT_LOGGER)
    handler = _Collect(level)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(min(level, previous or level))
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
