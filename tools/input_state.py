"""What the scene's files looked like when each step completed, to notice files changed since.

A step's completion marker records the sha256 of every file under its inputs and outputs as
the step left them (`files_sha256`, over the prefixes in `files_covered`). Steps rewrite each
other's files in place (simready and usd rewrite files under `assets/` that the ingest wrote),
so the content a step should find now is what the step that completed LAST recorded for each
file. A file that differs from that record, or has appeared or vanished, was changed outside
the pipeline, and every step that covers it must rerun.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tools.scene_layout import MARKERS_DIR
from tools.storage import Storage

FILES_KEY = "files_sha256"
COVERED_KEY = "files_covered"
_COMPLETE_SUFFIX = ".complete.json"


def _under(path: str, entries: Iterable[str]) -> bool:
    return any(path == e or (e.endswith("/") and path.startswith(e)) for e in entries)


def file_hashes(scene_dir: Path, entries: Sequence[str]) -> dict[str, str]:
    """sha256 of every file under the scene-relative files and folder prefixes ('x/')."""
    hashes: dict[str, str] = {}
    for entry in entries:
        root = scene_dir / entry
        found = [root] if root.is_file() else sorted(root.rglob("*")) if root.is_dir() else []
        for path in found:
            if path.is_file():
                digest = hashlib.sha256()
                with path.open("rb") as handle:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(chunk)
                hashes[path.relative_to(scene_dir).as_posix()] = digest.hexdigest()
    return hashes


def state_record(scene_dir: Path, entries: Sequence[str]) -> dict[str, Any]:
    """The marker fields that record the files under `entries` as they are now."""
    return {COVERED_KEY: sorted(set(entries)), FILES_KEY: file_hashes(scene_dir, entries)}


def completion_markers(storage: Storage) -> list[dict[str, Any]]:
    """Every step's completion marker in the scene, oldest first."""
    markers = []
    for key in storage.list(f"{MARKERS_DIR}/"):
        if key.endswith(_COMPLETE_SUFFIX):
            marker = storage.read_json(key)
            if isinstance(marker, dict):
                markers.append(marker)
    return sorted(markers, key=lambda m: str(m.get("completed_at", "")))


def expected_files(markers: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The content each file should have: the latest record covering it (absent if deleted)."""
    expected: dict[str, str] = {}
    for marker in markers:
        covered = marker.get(COVERED_KEY)
        files = marker.get(FILES_KEY)
        if not isinstance(covered, list) or not isinstance(files, dict):
            continue
        expected = {p: h for p, h in expected.items() if not _under(p, covered)}
        expected.update({str(p): str(h) for p, h in files.items()})
    return expected


def changed_files(
    scene_dir: Path, entries: Sequence[str], markers: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Files under `entries` that differ from the latest record, appeared or vanished."""
    expected = {p: h for p, h in expected_files(markers).items() if _under(p, entries)}
    current = file_hashes(scene_dir, entries)
    return sorted(p for p in expected.keys() | current.keys() if expected.get(p) != current.get(p))


def changed_since(
    storage: Storage, scene_dir: Path, own_marker: Mapping[str, Any], entries: Sequence[str]
) -> list[str]:
    """What changed under `entries` since the pipeline last wrote them; a marker written
    before these records existed counts as changed (`<no record>`), so its step reruns once."""
    if FILES_KEY not in own_marker:
        return ["<no record>"]
    return changed_files(scene_dir, entries, completion_markers(storage))


def missing_outputs(storage: Storage, outputs: Sequence[str]) -> list[str]:
    """Files under `outputs` the latest completion records expect but the storage lacks.

    Read from the storage itself (a listing, no download), so it holds on GCS, where a step
    stages its inputs only, as well as on a local folder.
    """
    expected = [p for p in expected_files(completion_markers(storage)) if _under(p, outputs)]
    present: set[str] = set()
    for entry in outputs:
        present.update(storage.list(entry) if entry.endswith("/") else [])
        if not entry.endswith("/") and storage.exists(entry):
            present.add(entry)
    return sorted(p for p in expected if p not in present)
