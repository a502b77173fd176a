"""Build `reports/index.html` for a scene from what its steps left in storage, and write it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from tools.errors import PipelineError
from tools.randomization.layout import REGIONS_JSON_PATH
from tools.report.charts import bar_chart
from tools.report.episodes_section import episode_rows, episodes_view
from tools.report.layout import (
    EPISODES_PREVIEW_PATH,
    EPISODES_SUMMARY_PATH,
    GENIESIM_TASKS_DIR,
    REPORT_PATH,
    SCENE_PREVIEW_PATH,
    VALIDATION_REPORT_PATH,
    WORKING_IMAGE_PATH,
)
from tools.report.media import inline_image_file, video_thumbnails
from tools.report.provenance_section import geniesim, provenance
from tools.report.scene_files import SceneFiles
from tools.report.scene_map import ROLE_COLOURS, scene_map
from tools.report.steps_section import StepRow, format_value, step_rows
from tools.robots import ROBOTS
from tools.storage import Storage, open_storage
from tools.structured_logging import get_logger

log = get_logger("report")
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("tools.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,  # a misspelt field fails the tests, not the reader
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEMPLATES.filters["figure"] = format_value


def _reach(manifest: Mapping[str, Any]) -> tuple[float, float] | None:
    robot = ROBOTS.get(str((manifest.get("robot") or {}).get("type")))
    return (robot.min_reach_m, robot.reach_radius_m) if robot is not None else None


def _as_of(steps: list[StepRow]) -> str | None:
    """When the latest step ended, to the second (markers record ISO 8601 in UTC)."""
    latest = max((s.finished_at or "" for s in steps), default="")
    try:
        when = dt.datetime.fromisoformat(latest)
    except ValueError:
        return latest or None
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _objects_table(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for obj in manifest.get("objects", []):
        physics = obj.get("physics") or {}
        asset = obj.get("asset") or {}
        rows.append(
            {
                "id": obj.get("id"),
                "role": obj.get("sim_role"),
                "category": obj.get("category"),
                "mass_kg": physics.get("mass_kg"),
                "material": physics.get("material"),
                "hulls": len(asset.get("collision_paths") or []),
                "size_m": " x ".join(f"{d:.2f}" for d in obj.get("dimensions", [])),
            }
        )
    return rows


def build_report(storage: Storage, run_summary: Mapping[str, Any] | None = None) -> str:
    """The page's HTML, from every part of the scene that exists so far.

    Args:
        storage: the scene's storage (a local folder or `gs://…/scenes/<id>`).
        run_summary: the local runner's summary of this run (statuses it alone knows).
    """
    files = SceneFiles(storage)
    manifest = files.manifest()
    markers = files.markers()
    validation = files.json_dict(VALIDATION_REPORT_PATH)
    summary = files.json_dict(EPISODES_SUMMARY_PATH) or (
        markers.get("episodes.complete.json", {}).get("result") or {}
    )
    episodes = episodes_view(files, summary)
    rows = episodes.episodes if episodes is not None else episode_rows(files)
    regions = files.json_dict(REGIONS_JSON_PATH).get("regions") or []
    steps = step_rows(markers, validation, run_summary)
    has_video = files.exists(EPISODES_PREVIEW_PATH)
    return _TEMPLATES.get_template("index.html.j2").render(
        scene_id=manifest.get("scene_id") or (run_summary or {}).get("scene_id") or "scene",
        as_of=_as_of(steps),
        overall_ok=all(s.status not in ("failed", "blocked") for s in steps)
        and all(s.validated is not False for s in steps),
        provenance=provenance(manifest, markers, validation),
        working_image=inline_image_file(files.bytes(WORKING_IMAGE_PATH)),
        scene_preview=inline_image_file(files.bytes(SCENE_PREVIEW_PATH)),
        scene_map=scene_map(manifest, regions, rows, _reach(manifest)),
        work_area_map=scene_map(manifest, regions, rows, _reach(manifest), work_area=True),
        role_colours=ROLE_COLOURS,
        objects=_objects_table(manifest),
        steps=steps,
        episodes=episodes,
        failure_chart=(
            bar_chart(episodes.failure_reasons, title="Failed attempts by reason")
            if episodes is not None and episodes.failure_reasons
            else None
        ),
        thumbnails=video_thumbnails(files.bytes(EPISODES_PREVIEW_PATH)) if has_video else [],
        preview_video=Path(EPISODES_PREVIEW_PATH).name if has_video else None,
        geniesim=geniesim(markers, files.keys(GENIESIM_TASKS_DIR)),
    )


def write_report(storage: Storage, run_summary: Mapping[str, Any] | None = None) -> str:
    """Build the page and write it to `reports/index.html`; returns that key.

    The page depends only on the scene's files (it is dated by its latest marker, not by the
    clock), and an unchanged page is not written again: a rerun whose steps all skip leaves
    the scene exactly as it was.
    """
    data = build_report(storage, run_summary).encode("utf-8")
    if not (storage.exists(REPORT_PATH) and storage.read_bytes(REPORT_PATH) == data):
        storage.write_bytes(REPORT_PATH, data)
    return REPORT_PATH


def write_report_quietly(
    scene_uri: str | Path, run_summary: Mapping[str, Any] | None = None
) -> str | None:
    """`write_report` for runners: a report that cannot be written is logged, never raised,
    so it cannot turn a step's success into a failure. Returns the written key or None."""
    started = time.monotonic()
    try:
        key = write_report(open_storage(scene_uri), run_summary)
    except Exception as exc:  # a SIGTERM meanwhile too (JobTerminatedError): logged, not raised
        log.error("scene report not written: %s", exc, exc_info=not isinstance(exc, PipelineError))
        return None
    # Debug: the step's own completion line stays the last word of a job's log.
    log.debug("scene report written: %s (%.1f s)", key, time.monotonic() - started)
    return key
