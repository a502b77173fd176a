"""OpenTelemetry tracing behind one factory; one pipeline run is one trace via TRACEPARENT."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from tools.errors import ConfigError

TRACER_NAME = "blueprint_pipeline"
_propagator = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None


def _exporter_from_env() -> SpanExporter | None:
    """The exporter named by OTEL_TRACES_EXPORTER (console, none, otlp, gcp_trace)."""
    name = os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    if name in ("", "none"):
        return None
    if name == "console":
        return ConsoleSpanExporter()
    if name == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                OTLPSpanExporter,
            )
        except ImportError:
            raise ConfigError(
                "OTEL_TRACES_EXPORTER",
                "otlp needs opentelemetry-exporter-otlp-proto-http installed",
            ) from None
        exporter: SpanExporter = OTLPSpanExporter()
        return exporter
    if name == "gcp_trace":
        try:
            from opentelemetry.exporter.cloud_trace import (
                CloudTraceSpanExporter,
            )
        except ImportError:
            raise ConfigError(
                "OTEL_TRACES_EXPORTER",
                "gcp_trace needs opentelemetry-exporter-gcp-trace installed",
            ) from None
        gcp: SpanExporter = CloudTraceSpanExporter()
        return gcp
    raise ConfigError("OTEL_TRACES_EXPORTER", "must be one of console, none, otlp, gcp_trace")


def configure_tracing(service: str, exporter: SpanExporter | None = None) -> TracerProvider:
    """Install a tracer provider once per process and attach the TRACEPARENT parent context.

    Args:
        service: service name recorded on every span.
        exporter: explicit exporter (tests pass an InMemorySpanExporter); else from the env.
    """
    global _provider
    if _provider is None:
        _provider = TracerProvider(resource=Resource.create({"service.name": service}))
        trace.set_tracer_provider(_provider)
    chosen = exporter if exporter is not None else _exporter_from_env()
    if chosen is not None:
        processor = (
            SimpleSpanProcessor(chosen) if exporter is not None else BatchSpanProcessor(chosen)
        )
        _provider.add_span_processor(processor)
    parent = os.environ.get("TRACEPARENT")
    if parent:
        otel_context.attach(_propagator.extract({"traceparent": parent}))
    return _provider


@contextlib.contextmanager
def span(name: str, **attributes: Any) -> Iterator[trace.Span]:
    """A span named `name` with attributes; records exceptions and marks the span as error."""
    tracer = trace.get_tracer(TRACER_NAME)
    clean = {k: v for k, v in attributes.items() if isinstance(v, str | bool | int | float)}
    with tracer.start_as_current_span(name, attributes=clean) as current:
        yield current


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, to hand to a child job."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def child_environment(base: Mapping[str, str]) -> dict[str, str]:
    """`base` plus TRACEPARENT for the current span (for jobs started from here)."""
    env = dict(base)
    parent = current_traceparent()
    if parent:
        env["TRACEPARENT"] = parent
    return env
