"""Where a scene's data came from (a 3D-RE-GEN reconstruction, the mock generator, or authored
by hand), how the mock marks its trees, and the caption that marks mock previews."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from tools.scene_layout import MANIFEST_PATH

if TYPE_CHECKING:  # numpy and PIL load only to draw a caption: provenance stays light
    import numpy as np
    from numpy.typing import NDArray

DataSource = Literal["mock-fixture", "reconstruction", "authored"]
MOCK_FIXTURE: Final = "mock-fixture"
RECONSTRUCTION: Final = "reconstruction"
# Written at the root of `regen3d/` by fixtures/generate_mock_regen3d.py; 3D-RE-GEN never
# writes it, so its presence is what tells the ingest that the tree is not a reconstruction.
MOCK_MARKER_NAME: Final = "MOCK_FIXTURE.json"
MOCK_CAPTION: Final = "MOCK FIXTURE - not a reconstruction"


def mock_marker_document() -> dict[str, str]:
    """The body of the marker file the mock generator writes into every tree it makes."""
    return {"data_source": MOCK_FIXTURE, "generator": "fixtures/generate_mock_regen3d.py"}


def regen3d_data_source(regen3d_dir: Path) -> DataSource:
    """`mock-fixture` when the 3D-RE-GEN tree carries the mock's marker, else `reconstruction`."""
    return MOCK_FIXTURE if (regen3d_dir / MOCK_MARKER_NAME).is_file() else RECONSTRUCTION


def scene_data_source(scene_dir: Path) -> str | None:
    """The manifest's `provenance.data_source`, or None without a readable manifest.

    Read as plain JSON: reports call this and must not fail on a manifest the model rejects.
    """
    try:
        document = json.loads((scene_dir / MANIFEST_PATH).read_text())
        value = document["provenance"]["data_source"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) else None


def caption_image(image: NDArray[np.uint8], text: str = MOCK_CAPTION) -> NDArray[np.uint8]:
    """A copy of an RGB image with `text` on a dark band along its bottom edge.

    Uses PIL's built-in bitmap font (no font files needed in containers); the band spans the
    width so the caption stays visible on small frames, where the text may be cut off.
    """
    import numpy as np
    from PIL import Image, ImageDraw

    canvas = Image.fromarray(np.ascontiguousarray(image[..., :3]))
    draw = ImageDraw.Draw(canvas)
    _, top, _, bottom = draw.textbbox((0, 0), text)
    band = bottom - top + 6
    height = canvas.height
    draw.rectangle((0, height - band, canvas.width, height), fill=(0, 0, 0))
    draw.text((3, height - band + 3 - top), text, fill=(255, 220, 0))
    return np.asarray(canvas, dtype=np.uint8)


def caption_if_mock(image: NDArray[np.uint8], data_source: str | None) -> NDArray[np.uint8]:
    """The image captioned as mock data when `data_source` is `mock-fixture`, else unchanged."""
    return caption_image(image) if data_source == MOCK_FIXTURE else image
