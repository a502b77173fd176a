"""The scene report of a demo-like scene, rendered in a real headless Chromium: every section
is there, every image and the preview video load, nothing points off the page's folder.

Slow (e2e): it runs the whole pipeline on a mock kitchen (fewer episodes than `make demo`).
It leaves `build/report_screenshot.png` (the full page) and `build/report_check.json` (sizes,
counts) for people to look at.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.chromium_cdp import Chromium, chromium_path

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "build/report_screenshot.png"
CHECK_RECORD = ROOT / "build/report_check.json"
SECTIONS = (
    "data-source",
    "scene",
    "working-image",
    "scene-preview",
    "map",
    "work-area",
    "objects",
    "steps",
    "episodes",
    "success-per-task",
    "success-per-skill",
    "failure-reasons",
    "randomized-ranges",
    "episode-thumbnails",
    "episode-preview",
    "geniesim",
    "provenance",
    "hashes",
)
# Waits for each video's first frame (or its error), then reports what the reader would see.
_INSPECT = """
(async () => {
  const videos = [...document.querySelectorAll('video')];
  await Promise.all(videos.map(v => v.readyState >= 2 ? null : new Promise(done => {
    v.addEventListener('loadeddata', done); v.addEventListener('error', done);
    setTimeout(done, 20000);
  })));
  const banner = document.getElementById('data-source');
  return {
    missing: __SECTIONS__.filter(id => !document.getElementById(id)),
    images: [...document.images].map(i => ({
      src: i.getAttribute('src').slice(0, 30), loaded: i.complete && i.naturalWidth > 0,
      width: i.naturalWidth})),
    videos: videos.map(v => ({src: v.getAttribute('src'), readyState: v.readyState,
      error: v.error && v.error.code, duration: v.duration, width: v.videoWidth})),
    references: [...document.querySelectorAll('[src],[href]')].map(
      e => e.getAttribute('src') || e.getAttribute('href')),
    source: banner && banner.dataset.source,
    banner: banner && banner.innerText,
    bannerSticky: banner && getComputedStyle(banner).position,
    steps: [...document.querySelectorAll('.step')].map(s => [s.id, s.dataset.status]),
    geniesim: document.getElementById('geniesim').innerText,
    svgs: document.querySelectorAll('svg').length,
  };
})()
""".replace("__SECTIONS__", json.dumps(list(SECTIONS)))


def _run(*args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=1200, env=env
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope="module")
def browser_binary() -> str:
    binary = chromium_path()
    if binary is None:
        pytest.skip(
            "Debian's chromium is not installed (apt-get install chromium; .ci/run installs it): "
            "the scene report was NOT checked in a browser"
        )
    return binary


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory, browser_binary) -> Path:
    """A mock kitchen through every step, as `make demo` runs it, with a quarantined import."""
    out = tmp_path_factory.mktemp("report")
    scene = out / "demo_kitchen"
    _run(
        "fixtures.generate_mock_regen3d",
        "--scene-id",
        scene.name,
        "--output-dir",
        str(out),
        "--environment",
        "kitchen",
        "--seed",
        "7",
    )
    _run(
        "fixtures.generate_mock_geniesim_output",
        "--episodes",
        "3",
        "--failed-episode",
        "2",
        "--seed",
        "7",
        "--output",
        str(scene / "geniesim/results.tar.gz"),
    )
    env = {**os.environ, "NUM_EPISODES": "2", "PREVIEW_EPISODES": "2"}
    summary = json.loads(
        _run("tools.run_local_pipeline", "--scene-dir", str(scene), "--validate", env=env)
    )
    assert summary["report"] == str(scene / "reports/index.html")
    return Path(summary["report"])


def test_report_renders_every_section_and_loads_every_medium(demo_report: Path, browser_binary):
    """In Chromium the page shows every section, the mock banner, each step's status, Genie
    Sim's quarantine; every image and the video decode; every reference stays beside it."""
    with Chromium(browser_binary) as browser:
        browser.open(demo_report.as_uri())
        seen = browser.evaluate(_INSPECT)
        size = browser.screenshot(SCREENSHOT)

    assert seen["missing"] == []
    assert seen["source"] == "mock-fixture" and "MOCK FIXTURE" in seen["banner"]
    assert seen["bannerSticky"] == "sticky"  # stays on screen while scrolling
    broken = [i for i in seen["images"] if not i["loaded"]]
    assert broken == [] and len(seen["images"]) >= 3  # working image, preview, thumbnails
    assert len(seen["videos"]) == 1
    video = seen["videos"][0]
    assert video["error"] is None and video["readyState"] >= 2 and video["duration"] > 0
    for reference in seen["references"]:
        parsed = urlparse(reference)
        if parsed.scheme == "data" or reference.startswith("#"):
            continue
        assert not parsed.scheme and not parsed.netloc, f"off-page reference {reference}"
        assert (demo_report.parent / parsed.path).is_file(), f"broken reference {reference}"
    assert [status for _, status in seen["steps"]] == ["completed"] * len(seen["steps"])
    assert len(seen["steps"]) >= 7
    assert "quarantined" in seen["geniesim"] and "task failed" in seen["geniesim"]
    assert seen["svgs"] >= 1  # the map

    page_bytes = demo_report.stat().st_size
    beside = sum(
        (demo_report.parent / r).stat().st_size
        for r in seen["references"]
        if not urlparse(r).scheme and not r.startswith("#")
    )
    record = {
        "page_bytes": page_bytes,
        "linked_files_bytes": beside,
        "images": len(seen["images"]),
        "videos": len(seen["videos"]),
        "screenshot": str(SCREENSHOT.relative_to(ROOT)),
        "screenshot_css_px": list(size),
    }
    CHECK_RECORD.write_text(json.dumps(record, indent=2) + "\n")
    print(f"scene report checked in Chromium: {json.dumps(record)}")
