"""3D-RE-GEN object ids (`<label>__(<cx>, <cy>)`) parsed and turned into safe, unique ids."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.scene_manifest import is_safe_id

_NUMBER = r"-?\d+(?:\.\d+)?"
_SOURCE_ID = re.compile(rf"^(?P<label>.+?)__\(\s*(?P<cx>{_NUMBER})\s*,\s*(?P<cy>{_NUMBER})\s*\)$")
_UNSAFE_RUN = re.compile(r"[^a-z0-9]+")
_MAX_ID_LENGTH = 128
_SUFFIX_RESERVE = 8  # room for a "_<n>" disambiguation suffix


@dataclass(frozen=True)
class SourceId:
    """One 3D-RE-GEN object id split into its parts.

    Attributes:
        raw: the id exactly as found (a file stem).
        label: the detector label with 3D-RE-GEN's `_` for spaces and dots.
        pixel: the box centre in pixels, when the id carries one.
    """

    raw: str
    label: str
    pixel: tuple[int, int] | None

    @property
    def readable_label(self) -> str:
        """The label as a person would write it (underscores back to spaces)."""
        return " ".join(self.label.replace("_", " ").split()) or self.label


def parse_source_id(raw: str) -> SourceId:
    """Split `<label>__(<cx>, <cy>)`; an id without the pixel suffix is all label.

    Args:
        raw: the 3D-RE-GEN id (the GLB's file stem).

    Returns:
        The parsed id.
    """
    match = _SOURCE_ID.match(raw)
    if match is None:
        return SourceId(raw=raw, label=raw, pixel=None)
    pixel = (round(float(match["cx"])), round(float(match["cy"])))
    return SourceId(raw=raw, label=match["label"], pixel=pixel)


def traversal_problem(raw: str) -> str | None:
    """Why a 3D-RE-GEN id must not be used as a path component, or None when it is harmless.

    3D-RE-GEN writes labels with spaces and dots replaced by `_`, so a dot, a slash, a
    backslash or a control character in a label means the tree was not written by it.

    Args:
        raw: the 3D-RE-GEN id.

    Returns:
        A one-line reason, or None.
    """
    label = parse_source_id(raw).label
    if ".." in raw or "/" in raw or "\\" in raw:
        return "label tries path traversal (contains '..', '/' or '\\')"
    if raw.startswith(".") or "." in label:
        return "label contains a dot (3D-RE-GEN replaces dots with '_')"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        return "label contains a control character"
    return None


def slug(text: str) -> str:
    """Lower-case `text` and collapse every run of characters outside [a-z0-9] into `_`.

    Args:
        text: any text.

    Returns:
        The slug, possibly empty.
    """
    return _UNSAFE_RUN.sub("_", text.lower()).strip("_")


class IdAllocator:
    """Hands out safe, unique object ids; owns the set of ids already taken."""

    def __init__(self, reserved: tuple[str, ...] = ()) -> None:
        self._taken: set[str] = set(reserved)

    def allocate(self, source: SourceId) -> str:
        """A safe id such as `coffee_mug_512_388`, unique among those already allocated.

        Args:
            source: the parsed 3D-RE-GEN id.

        Returns:
            An id matching SAFE_ID_PATTERN.
        """
        base = slug(source.label)[: _MAX_ID_LENGTH - _SUFFIX_RESERVE - 12].strip("_") or "object"
        if source.pixel is not None:
            base = f"{base}_{source.pixel[0]}_{source.pixel[1]}".replace("-", "m")
        candidate = base
        counter = 2
        while candidate in self._taken:
            candidate = f"{base}_{counter}"
            counter += 1
        if not is_safe_id(candidate):
            raise ValueError(f"internal: allocated id {candidate!r} is not safe")
        self._taken.add(candidate)
        return candidate
