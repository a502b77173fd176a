"""A mock-fixture scene's preview carries a visible caption; other scenes' previews do not."""

import json
import shutil

import numpy as np
from PIL import Image

from tools.scene_layout import MANIFEST_PATH
from usd_assembly_job.preview import PREVIEW_PATH, write_preview


def _preview(scene_dir):
    write_preview(scene_dir, 320)
    with Image.open(scene_dir / PREVIEW_PATH) as image:
        return np.asarray(image.convert("RGB")).astype(int)


def test_mock_fixture_preview_is_captioned(assembled_scene, tmp_path):
    """Same scene, data_source authored then mock-fixture: only the bottom band changes, to a
    dark band with bright caption text."""
    scene_dir = tmp_path / "scene"
    shutil.copytree(assembled_scene, scene_dir)
    plain = _preview(scene_dir)
    manifest = json.loads((scene_dir / MANIFEST_PATH).read_text())
    assert manifest["provenance"]["data_source"] != "mock-fixture"
    manifest["provenance"]["data_source"] = "mock-fixture"
    (scene_dir / MANIFEST_PATH).write_text(json.dumps(manifest))
    captioned = _preview(scene_dir)
    assert captioned.shape == plain.shape
    assert np.array_equal(captioned[:-20], plain[:-20])
    band = captioned[-8:]
    assert (band.max(axis=-1) < 10).mean() > 0.5  # mostly the black band
    assert (band[..., 0] > 200).any()  # the yellow text
