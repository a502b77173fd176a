"""Check Isaac Sim / Omniverse calls against a snapshot of the pinned release's own sources."""

from tools.isaacsim_api_check.chains import Call, ChainResolver
from tools.isaacsim_api_check.check import (
    SNAPSHOT_PATH,
    check_call,
    check_calls,
    load_snapshot,
    module_calls,
    wrapper_returns,
)

__all__ = [
    "SNAPSHOT_PATH",
    "Call",
    "ChainResolver",
    "check_call",
    "check_calls",
    "load_snapshot",
    "module_calls",
    "wrapper_returns",
]
