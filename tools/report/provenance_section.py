"""Provenance and Genie Sim: where the data came from (mock or reconstruction, impossible to
miss), code and tool versions, seeds and hashes; tasks exported, episodes imported and
quarantined with their reasons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.data_source import MOCK_FIXTURE, RECONSTRUCTION

SOURCE_BANNERS: Mapping[str, tuple[str, str]] = {
    MOCK_FIXTURE: ("mock", "MOCK FIXTURE: a synthetic scene, not a reconstruction"),
    RECONSTRUCTION: ("real", "Reconstruction: 3D-RE-GEN output of a real photo"),
    "authored": ("authored", "Authored scene: made by hand, not a reconstruction"),
}
_UNKNOWN_SOURCE = ("unknown", "Data source unknown: no manifest or marker names it")
_HASH_SHOWN = 16


@dataclass(frozen=True)
class Provenance:
    """What the provenance section shows."""

    data_source: str | None
    banner_class: str
    banner_text: str
    code: dict[str, Any] = field(default_factory=dict)
    tool_versions: dict[str, str] = field(default_factory=dict)
    seeds: list[tuple[str, str]] = field(default_factory=list)
    hashes: list[tuple[str, str, str, str]] = field(default_factory=list)  # step, what, short, full


@dataclass(frozen=True)
class GenieSim:
    """What the Genie Sim section shows."""

    exported_tasks: list[str] = field(default_factory=list)
    skipped_tasks: dict[str, str] = field(default_factory=dict)
    robot: str | None = None
    imported: list[str] = field(default_factory=list)
    quarantined: dict[str, list[str]] = field(default_factory=dict)
    import_success_rate: float | None = None
    archive_sha256: str | None = None


def _completes(markers: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {
        str(m.get("step") or name.split(".", 1)[0]): m
        for name, m in sorted(markers.items(), key=lambda kv: str(kv[1].get("completed_at", "")))
        if name.endswith(".complete.json")
    }


def provenance(
    manifest: Mapping[str, Any],
    markers: Mapping[str, Mapping[str, Any]],
    validation: Mapping[str, Any],
) -> Provenance:
    """The provenance section from the manifest, the completion markers and the validation."""
    completes = _completes(markers)
    records = [m.get("provenance") or {} for m in completes.values()]
    source = (manifest.get("provenance") or {}).get("data_source") or next(
        (r["data_source"] for r in reversed(records) if r.get("data_source")), None
    )
    banner_class, banner_text = SOURCE_BANNERS.get(str(source), _UNKNOWN_SOURCE)
    code = next((dict(r["code"]) for r in reversed(records) if r.get("code")), {})
    versions: Mapping[str, Any] = validation.get("tool_versions") or next(
        (m["tool_versions"] for m in reversed(list(completes.values())) if m.get("tool_versions")),
        {},
    )
    seeds: list[tuple[str, str]] = []
    manifest_seed = (manifest.get("provenance") or {}).get("seed")
    if manifest_seed is not None:
        seeds.append(("scene (mock generator / ingest)", str(manifest_seed)))
    hashes: list[tuple[str, str, str, str]] = []
    for step, marker in completes.items():
        record = marker.get("provenance") or {}
        seed = (record.get("settings") or {}).get(
            "SEED", (marker.get("parameters") or {}).get("SEED")
        )
        if seed is not None:
            seeds.append((step, str(seed)))
        for what, digest in sorted((record.get("input_sha256") or {}).items()):
            if isinstance(digest, str):
                hashes.append((step, what, digest[:_HASH_SHOWN], digest))
        for key in ("run_fingerprint", "archive_sha256"):
            value = record.get(key) or (marker.get("result") or {}).get(key)
            if isinstance(value, str):
                hashes.append((step, key, value[:_HASH_SHOWN], value))
    return Provenance(
        data_source=str(source) if source else None,
        banner_class=banner_class,
        banner_text=banner_text,
        code=code,
        tool_versions={str(k): str(v) for k, v in versions.items()},
        seeds=seeds,
        hashes=hashes,
    )


def geniesim(markers: Mapping[str, Mapping[str, Any]], task_files: list[str]) -> GenieSim | None:
    """The Genie Sim section, or None when neither the export nor the import has run."""
    completes = _completes(markers)
    export = (completes.get("geniesim-export") or {}).get("result") or {}
    imported = (completes.get("geniesim-import") or {}).get("result") or {}
    if not export and not imported and not task_files:
        return None
    tasks = export.get("tasks") or [
        name.rsplit("/", 1)[-1].removesuffix(".json") for name in task_files
    ]
    rate = imported.get("success_rate")
    return GenieSim(
        exported_tasks=[str(t) for t in tasks],
        skipped_tasks={str(k): str(v) for k, v in (export.get("skipped_tasks") or {}).items()},
        robot=export.get("robot"),
        imported=sorted(str(k) for k in imported.get("imported") or {}),
        quarantined={
            str(k): [str(r) for r in (v if isinstance(v, list) else [v])]
            for k, v in (imported.get("quarantined") or {}).items()
        },
        import_success_rate=float(rate) if isinstance(rate, int | float) else None,
        archive_sha256=imported.get("archive_sha256"),
    )
