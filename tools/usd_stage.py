"""Open a USD file so that a broken one is bad input (exit 2), never a retried traceback."""

from __future__ import annotations

import re
from pathlib import Path

from pxr import Sdf, Tf, Usd

from tools.errors import InputError

# pxr joins its errors as "\tError in '<function>' at line N in file F : '<message>'"; a
# message may itself hold quotes and line breaks, so it runs to the next error or the end.
_PXR_ERROR = re.compile(
    r"Error in '[^']*' at line \d+ in file [^:]* : '(.*?)'\s*(?=\tError in|$)", re.S
)
_MAX_COMPLAINT = 200


def first_complaint(error: Exception) -> str:
    """The parser's first message from a pxr error, one line, without C++ grammar noise."""
    text = str(error)
    found = _PXR_ERROR.search(text)
    message = found.group(1) if found else text.strip().splitlines()[0] if text.strip() else ""
    if " matching " in message:
        # PEGTL prints the whole grammar rule that failed; where it failed is what helps.
        head, _, rest = message.partition(" matching ")
        where = rest.rfind(" at '")
        message = head + (rest[where:] if where >= 0 else "")
    message = " ".join(message.split())
    return message[:_MAX_COMPLAINT] or type(error).__name__


def open_usd_stage(path: Path, *, what: str = "scene USD") -> Usd.Stage:
    """Open a USD file fresh from disk.

    Args:
        path: the file (e.g. `usd/scene.usda`).
        what: how the file is named in an error (the step that writes it is a useful hint).

    Returns:
        The opened stage.

    Raises:
        InputError: the file is missing, unreadable or does not parse (names the file and the
            parser's first complaint).
    """
    source = str(path)
    if not path.is_file():
        raise InputError(source, f"{what} missing (did the usd step run?)")
    # An earlier step in this process may have opened the file before it was rewritten.
    cached = Sdf.Layer.Find(source)
    if cached is not None and not cached.dirty:
        try:
            cached.Reload(force=True)
        except Tf.ErrorException as exc:
            raise InputError(source, f"{what} does not parse: {first_complaint(exc)}") from exc
    try:
        stage = Usd.Stage.Open(source)
    except Tf.ErrorException as exc:
        raise InputError(source, f"{what} does not parse: {first_complaint(exc)}") from exc
    if stage is None:
        raise InputError(source, f"{what} does not open")
    return stage
