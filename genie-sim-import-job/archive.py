"""The results archive: find it in the scene, unpack it safely, find its recording_data/ folder."""

from __future__ import annotations

from pathlib import Path

from tools.archives import safe_extract_tar, safe_extract_zip
from tools.errors import InputError
from tools.geniesim_format import results as fmt
from tools.storage import LocalStorage, Storage

_ZIP_MAGIC = b"PK\x03\x04"


def locate_archive(scene_dir: Path, storage: Storage, key: str) -> Path:
    """The local path of the scene's results archive, downloaded from storage if needed.

    Args:
        scene_dir: the local scene folder.
        storage: the scene's storage (a bucket on Cloud Run).
        key: the archive's scene-relative path (GENIESIM_RESULTS).

    Returns:
        The local archive file.

    Raises:
        InputError: no archive there (Genie Sim's results were not uploaded yet).
    """
    local = scene_dir / key
    if not local.is_file() and not isinstance(storage, LocalStorage) and storage.exists(key):
        storage.download_file(key, local)
    if not local.is_file():
        raise InputError(
            key,
            "no Genie Sim results archive: nothing to import",
            hint="upload Genie Sim's recording_data/ as a .tar.gz there, or set GENIESIM_RESULTS",
        )
    return local


def unpack(archive: Path, dest: Path, max_bytes: int) -> Path:
    """Unpack an untrusted archive (tar, tar.gz/bz2/xz or zip) and return its recording_data/.

    Args:
        archive: the archive.
        dest: a fresh folder to unpack into.
        max_bytes: refuse archives that expand beyond this.

    Returns:
        The recording_data/ folder (at the top, or one folder down).

    Raises:
        UnsafeArchiveError: a member breaks the extraction policy or the archive is corrupt;
            nothing is left in `dest` then.
        InputError: the archive holds no recording_data/ folder.
    """
    with archive.open("rb") as handle:
        magic = handle.read(len(_ZIP_MAGIC))
    extract = safe_extract_zip if magic == _ZIP_MAGIC else safe_extract_tar
    extract(archive, dest, max_total_bytes=max_bytes, max_member_bytes=max_bytes)
    candidates = [dest / fmt.RECORDING_DIR] + [
        p / fmt.RECORDING_DIR for p in sorted(dest.iterdir()) if p.is_dir()
    ]
    found = [c for c in candidates if c.is_dir()]
    if len(found) != 1:
        raise InputError(
            archive.name,
            f"expected one {fmt.RECORDING_DIR}/ folder (at the top or one level down), "
            f"found {len(found)}",
        )
    return found[0]
