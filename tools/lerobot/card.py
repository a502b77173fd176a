"""The dataset card (README.md at the dataset root): what lerobot writes, plus our extras."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

CARD_PATH = "README.md"

# Front matter as lerobot's create_lerobot_dataset_card renders it (the Hub reads the parquet
# files of the default config and shows the dataset under the LeRobot tag).
_FRONT_MATTER = """---
tags:
- LeRobot
task_categories:
- robotics
configs:
- config_name: default
  data_files: data/*/*.parquet
---
"""

_EXTRAS = """## What this dataset adds to LeRobot v3.0

lerobot 0.4.4 loads it as any other v3.0 dataset; these parts are ours:

- `provenance` in `meta/info.json`: where the episodes came from ({provenance_keys}).
- Extra columns of `meta/episodes/*/*.parquet` (one value per episode, nested keys joined
  with `/`): {columns}.
- H.264 videos are encoded as lerobot encodes them (`g=2`, `crf=30`, yuv420p, the encoder's
  B-frame setting), so lerobot's tools can copy their packets next to lerobot-written videos.

What lerobot's own tools keep of them: `aggregate_datasets`, `split_dataset` and
`delete_episodes` write a new `meta/info.json` from their own schema, so `provenance` and this
card are not carried over (copy them yourself); the extra episode columns are carried through
by `aggregate_datasets` (episodes of a dataset without them get nulls) and dropped by
`split_dataset` and `delete_episodes`.
"""


_LAYERS = """
### Depth and segmentation layers

{layers}

Each is a lossless `uint16` data column of height x width values (row-major: reshape with
the feature's `layer.height` and `layer.width`), so lerobot's `LeRobotDataset` returns it
exactly (an integer tensor per frame) and its tools (`aggregate_datasets`, `split_dataset`,
`delete_episodes`) keep it like any other feature. Its statistics in `meta/stats.json` have
one value per pixel, as lerobot's for such a feature, but each is the statistic of all the
episode's pixels (one normalisation for the whole layer). Depth is the distance
along the camera's viewing axis in millimetres (metres = value / 1000; 0 = no surface within
range); it is not a video (lerobot's decoders return 8-bit RGB, which would lose it).
Segmentation values are instance ids: the layer's `layer.id_map` document maps each id to an
object of the scene manifest (or to `robot` / `world`; 0 = no surface). Documents in `meta/`
({documents}) are not carried over by lerobot's tools.
"""


def _layer_lines(info: Mapping[str, Any]) -> str:
    lines = []
    for name, spec in (info.get("features") or {}).items():
        layer = spec.get("info") or {}
        if "layer.kind" in layer:
            unit = f", {layer['layer.unit']}" if layer.get("layer.unit") else ""
            ids = f", ids: `{layer['layer.id_map']}`" if layer.get("layer.id_map") else ""
            size = f"{layer['layer.height']} x {layer['layer.width']}"
            lines.append(f"- `{name}`: {layer['layer.kind']} of camera `{layer['layer.camera']}`"
                         f" ({size}{unit}){ids}")  # fmt: skip
    return "\n".join(lines)


def dataset_card(
    info: Mapping[str, Any], extra_columns: Mapping[str, str], documents: Sequence[str] = ()
) -> str:
    """README.md of a dataset.

    Args:
        info: the meta/info.json document.
        extra_columns: extra episode column name -> value kind (number, str, ...).
        documents: names of the meta/<name>.json documents the dataset carries.

    Returns:
        The card's text.
    """
    provenance = info.get("provenance") or {}
    columns = (
        ", ".join(f"`{name}` ({kind})" for name, kind in sorted(extra_columns.items())) or "none"
    )
    extras = _EXTRAS.format(
        provenance_keys=", ".join(f"`{key}`" for key in provenance) or "none recorded",
        columns=columns,
    )
    layers = _layer_lines(info)
    if layers:
        named = ", ".join(f"`meta/{name}.json`" for name in documents) or "none"
        extras += _LAYERS.format(layers=layers, documents=named)
    structure = f"[meta/info.json](meta/info.json):\n```json\n{json.dumps(info, indent=4)}\n```\n"
    return (
        f"{_FRONT_MATTER}\n"
        "This dataset was written by BlueprintPipeline in the "
        "[LeRobot](https://github.com/huggingface/lerobot) v3.0 format.\n\n"
        f"{extras}\n## Dataset Structure\n\n{structure}"
    )
