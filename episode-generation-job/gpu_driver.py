"""The NVIDIA driver floor of the Isaac Sim image, checked before Kit starts.

Isaac Sim 5.1 needs driver R570+ (`MIN_DRIVER_VERSION=570.169` in the image); on an older
driver Kit fails deep inside its renderer with messages that do not name the cause. The job
reads the loaded kernel module's version and refuses with one line naming both versions.
"""

from __future__ import annotations

import re
from pathlib import Path

MIN_DRIVER = "570.169"  # MIN_DRIVER_VERSION of nvcr.io/nvidia/isaac-sim:5.1.0
DRIVER_VERSION_FILE = Path("/proc/driver/nvidia/version")
_VERSION = re.compile(r"Kernel Module(?:\s+for\s+\S+)?\s+(\d+(?:\.\d+)+)")


def _as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def installed_driver(version_file: Path = DRIVER_VERSION_FILE) -> str | None:
    """The loaded NVIDIA kernel module's version ("570.172.08"), None without one."""
    try:
        text = version_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = _VERSION.search(text)
    return match.group(1) if match else None


def driver_problem(
    minimum: str = MIN_DRIVER, version_file: Path = DRIVER_VERSION_FILE
) -> str | None:
    """Why Isaac Sim cannot start on this host's driver, or None when the driver is new enough.

    Args:
        minimum: the oldest driver the image supports.
        version_file: where the kernel module reports its version.
    """
    found = installed_driver(version_file)
    if found is None:
        return f"no NVIDIA driver found ({version_file} unreadable); Isaac Sim needs R{minimum}+"
    if _as_tuple(found) < _as_tuple(minimum):
        return f"NVIDIA driver {found} is older than {minimum}, the Isaac Sim image's floor"
    return None
