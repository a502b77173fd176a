"""`reports/scene_preview.png`: the scene loaded from its USD, seen by the reconstruction camera."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from tools.data_source import caption_if_mock, scene_data_source
from tools.scene_layout import REPORTS_DIR, SCENE_USD_PATH
from tools.sim import LoadedScene, load_scene_model
from tools.sim import usd_layout as layout
from tools.sim.render import OffscreenRenderer

PREVIEW_PATH = f"{REPORTS_DIR}/scene_preview.png"
DEFAULT_SIZE = (640, 480)


@dataclass(frozen=True)
class PreviewFigures:
    """Facts about a rendered preview."""

    width: int
    height: int
    camera: str
    backend: str
    frame_s: float


def preview_size(scene: LoadedScene, max_side: int) -> tuple[int, int]:
    """Preview size: the reconstruction image's aspect ratio, longest side `max_side`.

    Args:
        scene: the loaded scene (its camera resolution, when present, gives the aspect).
        max_side: longest side in pixels.

    Returns:
        (width, height).
    """
    camera = scene.cameras.get(layout.CAMERA_PATH)
    width, height = DEFAULT_SIZE
    if camera is not None:
        resolution = scene.model.cam_resolution[camera]
        if resolution[0] > 0 and resolution[1] > 0:
            width, height = int(resolution[0]), int(resolution[1])
    factor = max_side / max(width, height)
    return max(1, round(width * factor)), max(1, round(height * factor))


def render_preview(scene: LoadedScene, max_side: int) -> tuple[NDArray[np.uint8], PreviewFigures]:
    """Render the scene at rest from `/World/Camera` (or a free camera if there is none).

    Args:
        scene: the loaded scene.
        max_side: longest side of the image in pixels.

    Returns:
        The RGB image and figures (size, camera, GL backend, frame time).

    Raises:
        RenderError: no GL context could be created.
    """
    width, height = preview_size(scene, max_side)
    camera = layout.CAMERA_PATH if layout.CAMERA_PATH in scene.cameras else None
    data = scene.make_data()
    with OffscreenRenderer(scene.model, width, height) as renderer:
        image = renderer.render(data, camera)
        figures = PreviewFigures(
            width, height, camera or "free", renderer.backend, renderer.last_frame_s
        )
    return image, figures


def write_preview(scene_dir: Path, max_side: int) -> PreviewFigures:
    """Load `usd/scene.usda`, render it and write `reports/scene_preview.png` (captioned as a
    mock fixture when the manifest's data source is `mock-fixture`).

    Args:
        scene_dir: the scene folder.
        max_side: longest side of the image in pixels.

    Returns:
        Figures of the render.

    Raises:
        InputError: the scene USD cannot be loaded.
        RenderError: no GL context could be created.
    """
    scene = load_scene_model(scene_dir / SCENE_USD_PATH)
    image, figures = render_preview(scene, max_side)
    image = caption_if_mock(image, scene_data_source(scene_dir))  # mock scenes say so
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    target = scene_dir / PREVIEW_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buffer.getvalue())
    return figures
