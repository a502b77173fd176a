"""The scene report: one self-contained page per scene, `reports/index.html`.

Written by the local runner after its steps and by each Cloud Run job after its own step,
from what the steps left in the scene's storage (markers, validation report, manifest,
previews, episode tables). Images are inlined; the episode preview video sits beside it.
"""

from tools.report.build import build_report, write_report, write_report_quietly
from tools.report.layout import REPORT_PATH

__all__ = ["REPORT_PATH", "build_report", "write_report", "write_report_quietly"]
