"""A mixin for objects that own something to release: `with obj:` calls `obj.close()`."""

from __future__ import annotations


class ClosesOnExit:
    """Leaving a `with` block calls `close()`, whatever happened inside (exceptions propagate).

    Subclasses define `close()` (safe to call twice) and their own `__enter__` (which
    starts what they own and returns the object).
    """

    def close(self) -> None:
        """Release what the object owns."""
        raise NotImplementedError

    def __exit__(self, *exc_info: object) -> None:
        self.close()
