"""SPEC-012's tracing usage, as written, records nested spans through tools.tracing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tools.tracing import configure_tracing

# What the usage assumes: a scene graph type and its builders (ours live in the Genie Sim
# export job; these stand-ins keep the test about tracing).
scene_id = "kitchen_61"
objects = ["mug_0", "bowl_1"]


@dataclass
class SceneGraph:
    nodes: list[str]


def load_manifest(path: Path) -> dict:
    return {"objects": path.read_text().split()}


def build_nodes(manifest: dict) -> list[str]:
    return list(manifest["objects"])


# The spec's `init_tracing()` builds CloudTraceSpanExporter, which cannot be constructed
# without Google credentials; ours is the one factory `configure_tracing` (exporter chosen by
# OTEL_TRACES_EXPORTER, gcp_trace included). The test hands it an in-memory exporter, inside
# the test: a job run earlier in the same process shuts the provider's processors down.

# --- SPEC-012 "Implementation", from `tracer = ...` on, as written -------------------------
tracer = trace.get_tracer(__name__)


# Usage in jobs
@tracer.start_as_current_span("generate_scene_graph")
def generate_scene_graph(manifest_path: Path) -> SceneGraph:
    span = trace.get_current_span()
    span.set_attribute("scene_id", scene_id)
    span.set_attribute("object_count", len(objects))

    with tracer.start_as_current_span("load_manifest"):
        manifest = load_manifest(manifest_path)

    with tracer.start_as_current_span("build_nodes"):
        nodes = build_nodes(manifest)

    return SceneGraph(nodes=nodes)


# --- end of the spec's text --------------------------------------------------------------


def test_usage_records_a_parent_span_with_attributes_and_two_children(tmp_path):
    """generate_scene_graph is one span (scene_id, object_count) holding load_manifest and
    build_nodes, all in one trace."""
    exporter = InMemorySpanExporter()
    configure_tracing("spec012", exporter=exporter)
    manifest = tmp_path / "scene_manifest.txt"
    manifest.write_text("mug_0 bowl_1")
    assert generate_scene_graph(manifest) == SceneGraph(nodes=["mug_0", "bowl_1"])
    spans = {s.name: s for s in exporter.get_finished_spans()}
    parent = spans["generate_scene_graph"]
    assert dict(parent.attributes or {}) == {"scene_id": scene_id, "object_count": 2}
    for child in ("load_manifest", "build_nodes"):
        assert spans[child].parent is not None
        assert spans[child].parent.span_id == parent.context.span_id
        assert spans[child].context.trace_id == parent.context.trace_id
