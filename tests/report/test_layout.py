"""The report's copies of paths owned by jobs agree with their owners."""

from episode_generation_job.episode_layout import PREVIEW_PATH, SUMMARY_PATH
from fixtures.mock_regen3d.regen3d_format import WORKING_IMAGE
from tools.report import layout
from tools.scene_layout import REGEN3D_DIR
from usd_assembly_job.preview import PREVIEW_PATH as SCENE_PREVIEW


def test_job_owned_paths_match():
    """Summary, previews and the working image are where their writers put them."""
    assert layout.EPISODES_SUMMARY_PATH == SUMMARY_PATH
    assert layout.EPISODES_PREVIEW_PATH == PREVIEW_PATH
    assert layout.SCENE_PREVIEW_PATH == SCENE_PREVIEW
    assert f"{REGEN3D_DIR}/{WORKING_IMAGE}" == layout.WORKING_IMAGE_PATH
    # The page links the video by its bare name: both must sit in the same folder.
    assert layout.EPISODES_PREVIEW_PATH.rsplit("/", 1)[0] == layout.REPORT_PATH.rsplit("/", 1)[0]
