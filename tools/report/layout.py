"""Paths the scene report reads and the one it writes, relative to the scene folder.

The report sits in `reports/` beside the files it links (the episode preview video), so every
link in it is relative and the page opens from a local folder or a bucket download alike.
Scene-wide paths come from `tools.scene_layout`; the few still owned by a job or the 3D-RE-GEN
format (the usd preview, the working image) are repeated here because `tools/` never imports a
job or a fixture; tests/report/test_layout.py checks that they still agree with their owners.
"""

from __future__ import annotations

import posixpath
from typing import Final

from tools.geniesim_format.assets import TASKS_DIR
from tools.lerobot.format import EPISODES_DIR as LEROBOT_EPISODES_DIR
from tools.scene_layout import (
    EPISODES_PREVIEW_PATH,
    EPISODES_SUMMARY_PATH,
    GENIESIM_EXPORT_DIR,
    LEROBOT_DIR,
    MANIFEST_PATH,
    REGEN3D_DIR,
    REPORTS_DIR,
    VALIDATION_REPORT_PATH,
)

REPORT_PATH: Final = posixpath.join(REPORTS_DIR, "index.html")
# 3D-RE-GEN's working image (fixtures/mock_regen3d/regen3d_format.py: WORKING_IMAGE).
WORKING_IMAGE_PATH: Final = posixpath.join(REGEN3D_DIR, "tmp/converted_from_webp.png")
# Written by the usd job (usd-assembly-job/preview.py: PREVIEW_PATH).
SCENE_PREVIEW_PATH: Final = posixpath.join(REPORTS_DIR, "scene_preview.png")
EPISODES_TABLE_DIR: Final = posixpath.join(LEROBOT_DIR, LEROBOT_EPISODES_DIR)
GENIESIM_TASKS_DIR: Final = posixpath.join(GENIESIM_EXPORT_DIR, TASKS_DIR)

__all__ = [
    "EPISODES_PREVIEW_PATH",
    "EPISODES_SUMMARY_PATH",
    "EPISODES_TABLE_DIR",
    "GENIESIM_TASKS_DIR",
    "MANIFEST_PATH",
    "REPORT_PATH",
    "SCENE_PREVIEW_PATH",
    "VALIDATION_REPORT_PATH",
    "WORKING_IMAGE_PATH",
]
