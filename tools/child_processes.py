"""Child processes that do not outlive their parent.

A local job that starts worker processes and is then killed with SIGKILL cannot stop them
itself; left running, they would keep writing next to the workers of the rerun. On Linux the
kernel can deliver a signal to a child when its parent dies (prctl PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def killed_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` for `subprocess.Popen` after which the kernel SIGKILLs the child as
    soon as this process dies (Linux; None elsewhere, where children may outlive a kill).

    Call it in the thread that starts the children: Linux ties the signal to that thread.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    parent = os.getpid()

    def arm() -> None:  # runs in the child between fork and exec
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return arm
