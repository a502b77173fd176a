"""The hardening spec's workflow names (SPEC-004): failure markers keyed by bucket and scene."""

from tools.workflow.failure_markers import write_failure_marker

__all__ = ["write_failure_marker"]
