"""Keep usd-core's known, harmless start-up complaint off the user's terminal.

usd-core 25.11's wheel ships no `shaderDefs.usda` (OpenUSD issue #3983): building the Sdr shader
registry prints two "Coding Error (secondary thread): ... Could not find shader resource:
shaderDefs.usda" blocks straight to file descriptor 2 from its discovery threads, where no Python
handler sees them. A user can do nothing about it (`usd_assembly_job.shader_defs` registers the
missing definitions), so that complaint is dropped and anything else is passed on unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
from collections.abc import Iterator

from pxr import Sdr, Tf

_KNOWN = "Could not find shader resource: shaderDefs.usda"


@contextlib.contextmanager
def dropping_stderr_lines(marker: str) -> Iterator[None]:
    """Capture file descriptor 2 (C++ writes included) and re-emit every line without `marker`."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines(keepends=True)
            kept = [line for line in lines if marker not in line]
            if any(line.strip() for line in kept):
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


@functools.cache
def sdr_registry() -> Sdr.Registry:
    """The Sdr shader registry, built once without the wheel's missing-shaderDefs complaint."""
    with dropping_stderr_lines(_KNOWN):
        try:
            return Sdr.Registry()
        except Tf.ErrorException as exc:  # raised instead when discovery runs on this thread
            if "shaderDefs.usda" not in str(exc):
                raise
            return Sdr.Registry()  # constructed; only the built-in discovery found nothing
