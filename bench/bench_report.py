"""Build a scene's report page and print how long it took and how big it is.

Usage:
    python bench/bench_report.py build/demo/demo_kitchen   # after `make demo`
    python bench/bench_report.py SCENE_DIR --repeat 5

Prints the median build time (reading every input, decoding the preview video for the
thumbnails, rendering), the page's size and that of the files it links (the preview video),
and how many images are inlined. Nothing is written to the scene: the page stays as it was.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from tools.report import build_report
from tools.report.layout import EPISODES_PREVIEW_PATH
from tools.storage import LocalStorage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scene_dir", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    storage = LocalStorage(args.scene_dir)
    seconds, html = [], ""
    for _ in range(args.repeat):
        started = time.perf_counter()
        html = build_report(storage)
        seconds.append(time.perf_counter() - started)
    video = args.scene_dir / EPISODES_PREVIEW_PATH
    figures = {
        "scene": args.scene_dir.name,
        "build_s_median": round(statistics.median(seconds), 3),
        "page_bytes": len(html.encode()),
        "linked_video_bytes": video.stat().st_size if video.is_file() else 0,
        "inline_images": len(re.findall(r'<img src="data:', html)),
        "inline_svgs": html.count("<svg"),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
