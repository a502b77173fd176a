"""SPEC-009's logger usage, as written, gives Cloud Logging JSON with the fields as keys."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

from tools.structured_logging import StructuredLogger, configure_logging

scene_id = "kitchen_61"
objects = ["mug_0", "bowl_1", "table_2"]
config = SimpleNamespace(robot_type="franka")


def _usage() -> None:
    # --- SPEC-009 "Usage in jobs", as written ---------------------------------------------
    logger = StructuredLogger("genie-sim-export-job")

    logger.info(
        "Exporting scene to Genie Sim",
        scene_id=scene_id,
        num_objects=len(objects),
        robot_type=config.robot_type,
    )
    # --- end of the spec's text -----------------------------------------------------------


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_usage_writes_one_json_line_with_the_fields():
    """STRUCTURED_LOGGING on: one JSON object with severity, message, the job's labels and
    each keyword as its own key (Cloud Logging filters on them)."""
    stream = io.StringIO()
    configure_logging("genie-sim-export-job", scene_id, structured=True, stream=stream)
    _usage()
    (line,) = _lines(stream)
    assert line["severity"] == "INFO"
    assert line["message"] == "Exporting scene to Genie Sim"
    assert (line["scene_id"], line["num_objects"], line["robot_type"]) == (scene_id, 3, "franka")
    assert line["logging.googleapis.com/labels"]["job"] == "genie-sim-export-job"
    assert line["logger"] == "bp.genie-sim-export-job"


def test_error_inside_except_carries_the_traceback_and_locally_reads_as_text():
    """`error()` in an except block puts the traceback in stack_trace; without JSON the same
    call is one readable line with key=value fields."""
    stream = io.StringIO()
    configure_logging("job", "s", structured=True, stream=stream)
    logger = StructuredLogger("spec009")
    try:
        raise KeyError("mesh_path")
    except KeyError:
        logger.error("asset missing", object_id="mug_0")
    logger.warning("slow", seconds=3)
    error, warning = _lines(stream)
    assert error["severity"] == "ERROR" and "KeyError: 'mesh_path'" in error["stack_trace"]
    assert error["object_id"] == "mug_0"
    assert warning["severity"] == "WARNING" and "stack_trace" not in warning
    readable = io.StringIO()
    configure_logging("job", "s", structured=False, stream=readable)
    logger.debug("hidden at INFO")
    logger.info("exported", objects=3)
    assert readable.getvalue().rstrip().endswith("[job/s] exported objects=3")
