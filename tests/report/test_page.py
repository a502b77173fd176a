"""The page itself: sections, inline media, escaping, charts and map, written where the
runners write it (local folder, a bucket through fake-gcs-server, both runner hooks)."""

import base64
import io
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from tests.report.conftest import SCENE_ID, manifest, mp4, png, write_scene
from tools.report import REPORT_PATH, build_report, write_report, write_report_quietly
from tools.report.charts import bar_chart
from tools.report.media import inline_image_file, video_thumbnails
from tools.report.scene_map import scene_map, yaw_of
from tools.storage import LocalStorage
from tools.testing import scratch_step

SECTIONS = {"data-source", "scene", "map", "steps", "episodes", "geniesim", "provenance"}


class _Page(HTMLParser):
    """Ids, image sources and other references of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.images: list[str] = []
        self.references: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "img":
            self.images.append(str(found["src"]))
        for name in ("src", "href"):
            if found.get(name) and tag != "img":
                self.references.append(str(found[name]))


def test_full_page_has_every_section_and_inline_images(scene_dir: Path):
    """Every section is there; images are inline JPEG data URIs no larger than 640 px; the
    only other references are in-page anchors and the video beside the page."""
    key = write_report(LocalStorage(scene_dir))
    html = (scene_dir / key).read_text()
    page = _Page(html)
    assert SECTIONS | {"working-image", "scene-preview", "work-area", "episode-preview"} <= page.ids
    assert len(page.images) == 2 + 4  # working image, preview, four thumbnails
    for src in page.images:
        head, data = src.split(",", 1)
        assert head == "data:image/jpeg;base64"
        assert max(Image.open(io.BytesIO(base64.b64decode(data))).size) <= 640
    assert {r for r in page.references if not r.startswith("#")} == {"episodes_preview.mp4"}
    assert "MOCK FIXTURE" in html and 'class="source mock"' in html
    assert "lamp_1" in html and "no 3D mesh" in html  # a drop and its reason
    assert "cup_to_plate_2" in html and "task_status=False" in html  # quarantine and reason
    assert "not_lifted" in html  # the failure-reason chart
    assert len(html) < 400_000


def test_empty_scene_still_gets_a_page(tmp_path: Path):
    """Before any step has run the page says what is missing instead of failing."""
    html = build_report(LocalStorage(tmp_path), {"scene_id": "fresh", "steps": {}})
    assert SECTIONS - {"map"} <= _Page(html).ids
    assert "No step has run on this scene yet" in html
    assert "Data source unknown" in html and "<title>fresh" in html


def test_reconstruction_is_flagged_as_such(tmp_path: Path):
    """A reconstruction gets the green banner, never the mock one."""
    html = build_report(LocalStorage(write_scene(tmp_path / "s", data_source="reconstruction")))
    assert 'class="source real"' in html and "MOCK FIXTURE" not in html


def test_text_from_the_scene_is_escaped(scene_dir: Path):
    """Ids, reasons and labels from scene files cannot inject markup."""
    marker = scene_dir / ".markers/regen3d.complete.json"
    doc = json.loads(marker.read_text())
    doc["result"]["dropped"] = {"<script>alert(1)</script>": "<b>bad</b>"}
    marker.write_text(json.dumps(doc))
    html = build_report(LocalStorage(scene_dir))
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_bar_chart_is_valid_svg_largest_first():
    """Bars are sorted largest first, labels escaped, and the SVG parses."""
    svg = bar_chart({"not_upright": 1, "not_lifted": 3, "<x>": 2}, title="reasons")
    root = ET.fromstring(svg)
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert labels[0::2] == ["not_lifted", "<x>", "not_upright"] and labels[1::2] == ["3", "2", "1"]
    widths = [float(r.get("width", 0)) for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert widths == sorted(widths, reverse=True) and widths[0] == 300
    assert ET.fromstring(bar_chart({}, title="none"))  # empty, still valid


def test_map_draws_objects_robot_regions_and_tasks():
    """One shape per object (not the room), the region, the reach rings, each task's goal."""
    rows = [
        {
            "task_id": "cup-to-plate",
            "target_id": "cup",
            "goal_region/centre": [-0.2, 1.6],
            "randomization_values/target_x": 0.2,
            "randomization_values/target_y": 1.4,
        }
    ]
    regions = [{"id": "r", "kind": "support", "exterior": [[0, 1], [1, 1], [1, 2]]}]
    svg = scene_map(manifest(), regions, rows, reach=(0.25, 0.8))
    assert svg is not None
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    titles = [t.text or "" for t in root.iter(f"{ns}title")]
    assert {"table (static)", "cup (manipulable)", "plate (manipulable)"} <= set(titles)
    assert not any(t.startswith("room (") for t in titles)
    assert {"reach 0.80 m", "region r (support)", "goal of cup-to-plate", "camera"} <= set(titles)
    assert scene_map({}) is None
    zoomed = scene_map(manifest(), regions, rows, reach=(0.25, 0.8), work_area=True)
    assert zoomed is not None and "<title>Work area around the robot</title>" in zoomed
    assert 'id="arrow-work"' in zoomed and 'id="arrow-room"' in svg  # unique marker ids
    assert scene_map(manifest(), work_area=True) is None  # no reach known: no work area
    assert yaw_of([0.7071068, 0, 0, 0.7071068]) == pytest.approx(1.5707963)


def test_media_are_inlined_or_left_out():
    """Images are downscaled JPEG data URIs; thumbnails come from the decoded video; broken
    or missing bytes give nothing rather than an error."""
    image = inline_image_file(png(1280, 960, (10, 200, 30)))
    assert image is not None and (image.width, image.height) == (640, 480)
    assert inline_image_file(b"not an image") is None and inline_image_file(None) is None
    thumbs = video_thumbnails(mp4(frames=12), count=4)
    assert [round(t, 2) for t, _ in thumbs] == [0.03, 0.13, 0.23, 0.33]
    assert all(i.src.startswith("data:image/jpeg;base64,") for _, i in thumbs)
    assert video_thumbnails(b"garbage") == [] and video_thumbnails(None) == []


def test_page_is_written_to_a_bucket(gcs_storage, tmp_path: Path):
    """On Cloud Run the scene lives in a bucket: the page is built from it and written to it."""
    scene = gcs_storage.child(f"scenes/{SCENE_ID}")
    scene.upload_tree(write_scene(tmp_path / SCENE_ID))
    assert write_report(scene) == REPORT_PATH
    html = scene.read_bytes(REPORT_PATH).decode()
    assert _Page(html).ids >= SECTIONS and "cup_to_plate_2" in html


def test_cloud_run_job_writes_the_page_after_its_step(tmp_path: Path, monkeypatch):
    """run_job_main (every Cloud Run job) rewrites the page after its step, failed or not."""
    from tools.job_runner import run_job_main

    def boom(ctx):
        raise RuntimeError("disk on fire")

    env = {"SCENE_ID": "s", "SCENE_DIR": str(tmp_path)}
    with pytest.raises(SystemExit) as done:
        run_job_main(scratch_step("boom", boom), env)
    assert done.value.code == 1
    html = (tmp_path / REPORT_PATH).read_text()
    assert 'id="step-boom" data-status="failed"' in html and "disk on fire" in html


def test_local_runner_writes_the_page_and_names_it(tmp_path: Path):
    """run_pipeline writes the page after its steps and puts its path in the summary."""
    from tools.run_local_pipeline import run_pipeline

    specs = {"hello": scratch_step("hello", lambda ctx: {"greeted": 3})}
    summary = run_pipeline(tmp_path, specs=specs)
    assert summary["report"] == str(tmp_path / REPORT_PATH)
    html = (tmp_path / REPORT_PATH).read_text()
    assert 'id="step-hello" data-status="completed"' in html and "greeted: <b>3</b>" in html


def test_a_report_that_cannot_be_written_is_logged_not_raised(tmp_path: Path, caplog):
    """A broken scene location costs the page, never the step: None and one error line."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert write_report_quietly(blocker) is None
    assert "scene report not written" in caplog.text


def test_unchanged_page_is_not_rewritten(scene_dir: Path):
    """The page is dated by its latest marker, not the clock; the same scene gives the same
    bytes and an unchanged page is left untouched (a rerun that skips every step writes
    nothing), while a new marker updates it."""
    storage = LocalStorage(scene_dir)
    page = scene_dir / write_report(storage)
    first = page.stat()
    assert "As of 2026-12-06 07:07:00 UTC" in page.read_text()
    write_report(storage)
    assert (page.stat().st_ino, page.stat().st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    marker = {"step": "extra", "completed_at": "2026-12-06T08:00:00+00:00", "duration_s": 1.0}
    (scene_dir / ".markers/extra.complete.json").write_text(json.dumps(marker))
    write_report(storage)
    assert "As of 2026-12-06 08:00:00 UTC" in page.read_text()
