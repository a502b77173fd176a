"""A mixin for objects that own something to release: `with obj:` calls `obj.close()`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self


class ClosesOnExit(ABC):
    """Leaving a `with` block calls `close()`, whatever happened inside (exceptions propagate).

    Subclasses define `close()` (safe to call twice); one that starts something on entry
    defines its own `__enter__`.
    """

    @abstractmethod
    def close(self) -> None:
        """Release what the object owns."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
